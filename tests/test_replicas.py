"""Several stateless replicas on one database (SQLite file, and PostgreSQL).

Each replica keeps its own in-memory map and checks the stored map version on every request, so an
edit made anywhere is served everywhere on the next request.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack

from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from navigator import migrations, store
from navigator.config import Settings
from navigator.models import Map
from tests.conftest import MINI_SEED


def _replica(database_url: str) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url, seed_file=MINI_SEED)))


def _name(client: TestClient, service_id: str) -> str:
    r = client.get(f"/api/v1/services/{service_id}")
    assert r.status_code == 200, r.text
    name: str = r.json()["name"]
    return name


def test_an_edit_is_served_by_the_other_replica_within_a_second(
    database_url: str, mini_map: Map
) -> None:
    with _replica(database_url) as a, _replica(database_url) as b:
        assert _name(a, "housing") == _name(b, "housing") == "Housing Options"
        renamed = mini_map.model_copy(
            update={
                "services": [
                    s.model_copy(update={"name": "Housing Options (renamed)"})
                    if s.id == "housing"
                    else s
                    for s in mini_map.services
                ]
            }
        )
        editor = store.make_engine(database_url)
        try:
            with Session(editor) as s:
                store.replace_map(s, renamed)
                s.commit()
        finally:
            editor.dispose()
        edited = time.monotonic()
        while _name(b, "housing") != "Housing Options (renamed)":
            assert time.monotonic() - edited < 1.0, "replica B still serves the old map"
            time.sleep(0.02)
        assert _name(a, "housing") == "Housing Options (renamed)"
        # Unchanged services are served as before, from the rebuilt map.
        assert _name(b, "little-minds-matter") == "Little Minds Matter"


def test_replicas_starting_together_migrate_and_seed_once(database_url: str) -> None:
    """Two replicas start at once on an empty database: both come up, the seed loads once."""
    clients = [_replica(database_url), _replica(database_url)]
    errors: list[BaseException] = []
    together = threading.Barrier(len(clients))
    with ExitStack() as stack:

        def start(client: TestClient) -> None:
            together.wait()
            try:
                stack.enter_context(client)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        for client in clients:
            assert client.get("/healthz").status_code == 200
            assert client.get("/api/v1/services").json()["total"] == 4
    engine = store.make_engine(database_url)
    try:
        with Session(engine) as s:
            assert store.map_version(s) == 1, "the seed was loaded more than once"
        assert migrations.current_revision(engine) == migrations.head()
    finally:
        engine.dispose()

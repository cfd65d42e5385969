"""Several stateless replicas on one database (SQLite file, and PostgreSQL).

Each replica keeps its own in-memory map and checks the stored map version on every request, so an
edit made anywhere is served everywhere on the next request.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from navigator.app import create_app
from navigator.core.models import Map
from navigator.db import connection, migrations, store
from navigator.settings import Settings
from tests.conftest import MINI_SEED, _free_port


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
        editor = connection.make_engine(database_url)
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
    """Three replicas start at once on an empty database: all come up, the seed loads once.

    (Threads stand in for processes: the start-up lock is a PostgreSQL session lock or a lock
    on a file, which threads contend for exactly as processes do.)
    """
    clients = [_replica(database_url) for _ in range(3)]
    started: list[TestClient] = []
    errors: list[BaseException] = []
    together = threading.Barrier(len(clients))

    def start(client: TestClient) -> None:
        together.wait()
        try:
            client.__enter__()
            started.append(client)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(c,), daemon=True) for c in clients]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not [t for t in threads if t.is_alive()], "a replica hung at start"
        assert not errors, errors
        for client in started:
            assert client.get("/api/v1/services").json()["total"] == 4
    finally:
        for client in started:
            client.__exit__(None, None, None)
    engine = connection.make_engine(database_url)
    try:
        with Session(engine) as s:
            assert store.map_version(s) == 1, "the seed was loaded more than once"
        assert migrations.current_revision(engine) == migrations.head()
    finally:
        engine.dispose()


def test_serve_with_two_workers_on_a_fresh_sqlite_file(tmp_path: Path) -> None:
    """The small-VM install: `serve --workers 2` on an empty data folder. Both workers start
    (one migrates and seeds, the other waits for it), every log line is JSON, and SIGTERM
    shuts down cleanly."""
    env = {**os.environ, "NAVIGATOR_DATA_DIR": str(tmp_path), "NAVIGATOR_SEED_FILE": str(MINI_SEED)}
    env.pop("NAVIGATOR_DATABASE_URL", None)
    env.pop("MALLOC_ARENA_MAX", None)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "navigator", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/v1/services", timeout=2)
                if r.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no answer within 60 s: {log.read_text()}"
            time.sleep(0.1)
        assert r.json()["total"] == 4
        # Both workers are up once two have said so (a request may reach either).
        while log.read_text().count("Application startup complete") < 2:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        if sys.platform == "linux":  # the workers start with glibc's malloc arenas capped
            tasks = Path(f"/proc/{proc.pid}/task").glob("*")
            children = [c for t in tasks for c in (t / "children").read_text().split()]
            environs = [Path(f"/proc/{c}/environ").read_bytes().split(b"\0") for c in children]
            assert sum(b"MALLOC_ARENA_MAX=2" in e for e in environs) >= 2, children
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    text = log.read_text()
    assert code == 0, text
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            pytest.fail(f"not a JSON log line: {line!r}\n{text}")
        assert entry["level"] not in ("ERROR", "CRITICAL"), text
    assert text.count("Finished server process") == 2, text
    engine = connection.make_engine(f"sqlite:///{tmp_path / 'navigator.db'}")
    try:
        with Session(engine) as s:
            assert store.map_version(s) == 1, "the seed was loaded more than once"
    finally:
        engine.dispose()

"""The per-process map: reads never expire it; a write through this process does, at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from navigator.app import create_app
from navigator.db import accounts, connection, store
from navigator.db.holder import MapHolder
from navigator.settings import Settings
from tests.conftest import MINI_SEED

FAMILY = {
    "postcode": "BD3 9AB",
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship"],
}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    # A long check interval: only an expiry can make the holder read the database again.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'nav.db'}",
        seed_file=MINI_SEED,
        map_check_interval=60,
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _holder(client: TestClient) -> MapHolder:
    holder: MapHolder = client.app.state.maps  # type: ignore[attr-defined]
    return holder


def _editor(client: TestClient) -> dict[str, str]:
    with connection.writing(client.app.state.engine) as session:  # type: ignore[attr-defined]
        key = accounts.create_key(session, name="cache-test", role="editor")
    return {"Authorization": f"Bearer {key}"}


def test_navigate_and_other_posts_never_expire_the_map(client: TestClient) -> None:
    assert client.get("/api/v1/services").status_code == 200
    holder = _holder(client)
    warm = holder.cached()
    assert warm is not None
    for _ in range(3):
        assert client.post("/api/v1/navigate", json=FAMILY).status_code == 200
        assert client.post("/results", data={**FAMILY, "needs": FAMILY["needs"]}).status_code in (
            200,
            422,
        )
        assert holder.cached() is warm, "a read expired the map"


def test_a_write_reaches_this_process_at_once(client: TestClient) -> None:
    editor = _editor(client)
    got = client.get("/api/v1/services/housing")
    assert _holder(client).cached() is not None
    r = client.patch(
        "/api/v1/services/housing",
        json={"name": "Housing Options Team"},
        headers={**editor, "If-Match": got.headers["ETag"]},
    )
    assert r.status_code == 200, r.text
    assert _holder(client).cached() is None, "the write did not tell the holder"
    assert client.get("/api/v1/services/housing").json()["name"] == "Housing Options Team"
    with Session(client.app.state.engine) as session:  # type: ignore[attr-defined]
        assert _holder(client).current().version == store.map_version(session)


def test_a_save_that_changes_nothing_leaves_the_map_cached(client: TestClient) -> None:
    editor = _editor(client)
    got = client.get("/api/v1/services/housing")
    warm = _holder(client).cached()
    assert warm is not None
    same = client.patch(
        "/api/v1/services/housing",
        json={"name": got.json()["name"]},
        headers={**editor, "If-Match": got.headers["ETag"]},
    )
    assert same.status_code == 200
    assert _holder(client).cached() is warm, "nothing changed: nothing to reload"


def test_a_failed_write_leaves_the_map_cached(client: TestClient) -> None:
    editor = _editor(client)
    client.get("/api/v1/services/housing")
    warm = _holder(client).cached()
    assert warm is not None
    stale = client.patch(
        "/api/v1/services/housing",
        json={"name": "Housing Options"},
        headers={**editor, "If-Match": '"stale"'},
    )
    assert stale.status_code == 412
    assert _holder(client).cached() is warm

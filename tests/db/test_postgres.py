"""The store and the API on both databases we support: a SQLite file and PostgreSQL.

Each test runs twice (`database_url`); the PostgreSQL run gets a fresh database of its own on the
session's throwaway cluster, migrated by the same code `serve` runs at start.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from navigator.app import create_app
from navigator.core.models import Map
from navigator.core.seedfile import SeedError, dump_yaml, load_seed
from navigator.db import connection, migrations, store
from navigator.db.seeding import seed_database
from navigator.settings import DEFAULT_SEED, Settings
from tests.conftest import MINI_SEED


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connection.make_engine(database_url)
    assert migrations.upgrade(engine) is migrations.Outcome.created
    yield engine
    engine.dispose()


def _client(database_url: str, seed: Path) -> TestClient:
    return TestClient(create_app(Settings(database_url=database_url, seed_file=seed)))


def _stored(engine: Engine) -> tuple[str, int]:
    with Session(engine) as s:
        return dump_yaml(store.load_map(s)), store.map_version(s)


def test_seed_load_is_all_or_nothing(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert seed_database(engine, MINI_SEED) == 1
    before = _stored(engine)
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI_SEED.read_text().replace("ring: outer", "ring: middle", 1))
    with pytest.raises(SeedError, match=r"services\[housing\]"):
        seed_database(engine, bad)
    assert _stored(engine) == before

    # A write failing half-way (after the old map was deleted) rolls back too.
    calls = 0
    real = store._insert

    def fail_on_third(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        real(*args, **kwargs)

    monkeypatch.setattr(store, "_insert", fail_on_third)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_database(engine, MINI_SEED)
    assert calls == 3
    assert _stored(engine) == before


def test_store_round_trip_keeps_every_field(engine: Engine, seed_map: Map) -> None:
    with Session(engine) as s:
        store.replace_map(s, seed_map)
        s.commit()
    with Session(engine) as s:
        assert store.load_map(s) == seed_map
        assert store.map_version(s) == 1


def test_export_seed_export_is_byte_identical(
    engine: Engine, tmp_path: Path, mini_map: Map
) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(dump_yaml(mini_map))
    seed_database(engine, first)
    with Session(engine) as s:
        assert dump_yaml(store.load_map(s)).encode() == first.read_bytes()
    # Twice over the same database: replacing a map leaves nothing of the old one behind.
    seed_database(engine, first)
    with Session(engine) as s:
        assert dump_yaml(store.load_map(s)).encode() == first.read_bytes()
        assert store.map_version(s) == 2


def test_api_reads(database_url: str) -> None:
    with _client(database_url, MINI_SEED) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        page = client.get("/api/v1/services", params={"per_page": 2, "page": 2}).json()
        assert page["total"] == 4
        assert [s["id"] for s in page["items"]] == ["housing", "refuge"]

        def ids(**params: str) -> set[str]:
            items = client.get("/api/v1/services", params=params).json()["items"]
            return {s["id"] for s in items}

        assert ids(need="housing") == {"housing", "refuge"}
        assert ids(ring="core") == {"health-visiting", "little-minds-matter"}
        assert "refuge" not in ids(as_of="2024-06-01")
        assert ids(q="Litle Minds Mater") >= {"little-minds-matter"}

        one = client.get("/api/v1/services/little-minds-matter")
        assert one.status_code == 200
        assert one.json()["name"] == "Little Minds Matter"
        assert one.json()["rules"], "nested rules come back from the database"
        etag = one.headers["ETag"]
        again = client.get("/api/v1/services/little-minds-matter", headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert client.get("/api/v1/services/nowhere").status_code == 404

        refuge = client.get("/api/v1/services/refuge")
        assert refuge.json()["address"] is None
        assert "Secret Street" not in client.get("/api/v1/map", params={"as_of": "2020-01-01"}).text
        assert {n["code"] for n in client.get("/api/v1/needs").json()} >= {"housing"}
        assert {a["id"] for a in client.get("/api/v1/areas").json()} == {"bsb", "bradford-district"}


def test_navigate_on_the_real_seed(database_url: str) -> None:
    family = {
        "postcode": "BD3 9AB",
        "stage": "postnatal",
        "child_age_months": 7,
        "needs": ["parent_infant_relationship"],
        "from_service": "health-visiting",
        "as_of": "2019-06-01",
    }
    with _client(database_url, DEFAULT_SEED) as client:
        assert client.get("/api/v1/services").json()["total"] == len(
            load_seed(DEFAULT_SEED).services
        )
        r = client.post("/api/v1/navigate", json=family)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["lmm"]["eligibility"] == "eligible"
        top = {x["service_id"] for x in body["recommendations"]}
        assert "little-minds-matter" in top
        later = client.post("/api/v1/navigate", json=family | {"child_age_months": 30}).json()
        assert later["lmm"]["eligibility"] == "not_eligible"
        bad = client.post("/api/v1/navigate", json=family | {"needs": ["flying"]})
        assert bad.status_code == 422


def test_an_edit_changes_the_etag(database_url: str, mini_map: Map) -> None:
    with _client(database_url, MINI_SEED) as client:
        first = client.get("/api/v1/services/housing")
        etag = first.headers["ETag"]
        renamed = [
            s.model_copy(update={"name": "Housing Options Service"}) if s.id == "housing" else s
            for s in mini_map.services
        ]
        engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
        with Session(engine) as s:
            store.replace_map(s, mini_map.model_copy(update={"services": renamed}))
            s.commit()
        client.app.state.maps.expire()  # type: ignore[attr-defined]  # as the editing API does
        after = client.get("/api/v1/services/housing", headers={"If-None-Match": etag})
        assert after.status_code == 200
        assert after.json()["name"] == "Housing Options Service"
        assert after.headers["ETag"] != etag
        # Services that did not change keep their ETag.
        hv = client.get("/api/v1/services/health-visiting")
        assert (
            client.get(
                "/api/v1/services/health-visiting", headers={"If-None-Match": hv.headers["ETag"]}
            ).status_code
            == 304
        )

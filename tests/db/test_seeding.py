"""Loading a seed into the database: all or nothing, and the export round trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from navigator.core.models import Map
from navigator.core.seedfile import SeedError, dump_yaml, load_seed, map_to_data
from navigator.db import connection, store
from navigator.db.seeding import seed_database
from tests.conftest import MINI_SEED
from tests.core.test_seed import _broken, _service


def test_failed_seed_leaves_database_as_it_was(tmp_path: Path) -> None:
    engine = connection.make_engine("sqlite://")
    connection.create_tables(engine)
    seed_database(engine, MINI_SEED)
    with Session(engine) as s:
        before, version = dump_yaml(store.load_map(s)), store.map_version(s)
    bad = _broken(tmp_path, lambda d: _service(d, "housing")["needs"].append("nope"))
    with pytest.raises(SeedError):
        seed_database(engine, bad)
    with Session(engine) as s:
        assert dump_yaml(store.load_map(s)) == before
        assert store.map_version(s) == version


def test_failed_write_rolls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = connection.make_engine("sqlite://")
    connection.create_tables(engine)
    seed_database(engine, MINI_SEED)
    with Session(engine) as s:
        before = dump_yaml(store.load_map(s))

    def explode(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "_insert", explode)
    with pytest.raises(RuntimeError):
        seed_database(engine, MINI_SEED)
    with Session(engine) as s:
        assert dump_yaml(store.load_map(s)) == before


def test_store_round_trip_keeps_every_field(seed_map: Map) -> None:
    engine = connection.make_engine("sqlite://")
    connection.create_tables(engine)
    with Session(engine) as s:
        store.replace_map(s, seed_map)
        s.commit()
    with Session(engine) as s:
        assert store.load_map(s) == seed_map


def test_export_seed_export_is_byte_identical(tmp_path: Path, seed_map: Map) -> None:
    first = tmp_path / "first.yaml"
    first.write_text(dump_yaml(seed_map))
    engine = connection.make_engine("sqlite://")
    connection.create_tables(engine)
    seed_database(engine, first)
    with Session(engine) as s:
        second = dump_yaml(store.load_map(s))
    assert second.encode() == first.read_bytes()
    assert map_to_data(load_seed(first)) == map_to_data(seed_map)

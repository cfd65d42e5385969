"""The per-process map holder: a replaced map is freed; reads go on without the database."""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from navigator.core.family import Family
from navigator.core.geography import PostcodeTable
from navigator.core.models import Map
from navigator.db import connection, migrations, store
from navigator.db.bootstrap import load_snapshot
from navigator.db.holder import MapHolder
from navigator.db.seeding import seed_database
from navigator.db.writes import MapWriter
from tests.conftest import MINI_SEED


def test_a_replaced_map_is_freed(postcodes: PostcodeTable) -> None:
    """The holder freezes each new map out of the collector's way and never unfreezes (that
    would walk the whole heap at each edit): the map it replaces must be freed by reference
    counting, so a reference cycle in a used snapshot leaks a map at every edit."""
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seed_database(engine, MINI_SEED)
    holder = MapHolder(engine, postcodes, interval=0)
    try:
        writer = MapWriter(engine, on_change=holder.expire)
        in_flight = holder.current()  # a request still working on the map when it is replaced
        # Used as a request would: the referral graph and its tables built, a whole answer.
        family = Family(
            postcode="BD3 9AB", stage="postnatal", child_age_months=3,
            needs=["parent_infant_relationship", "housing"], from_service="health-visiting",
        )  # fmt: skip
        assert in_flight.navigate(family, dt.date(2026, 1, 5)).recommendations
        gone = weakref.ref(in_flight.map.services[0])
        writer.patch_service(service_id="housing", patch={"remit": "A."}, if_match="*", actor="t")
        assert holder.current().version == 2
        del in_flight  # the request is done
        writer.patch_service(service_id="housing", patch={"remit": "B."}, if_match="*", actor="t")
        assert holder.current().version == 3
        gc.collect()
        assert gone() is None, "a replaced map is still in memory"
    finally:
        gc.unfreeze()
        engine.dispose()


class _InFlight:
    """Stands for a request in flight at an edit: its task and frames hold a reference cycle."""

    def __init__(self) -> None:
        self.me = self


def test_garbage_frozen_with_a_map_is_swept_at_the_next_sweep(postcodes: PostcodeTable) -> None:
    """A cycle alive when a new map is frozen, and dropped later, is never collected while it
    stays frozen: a reload unfreezes once `sweep_every` has passed, and only then."""
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seed_database(engine, MINI_SEED)
    for sweep_every, freed in ((0.0, True), (float("inf"), False)):
        holder = MapHolder(engine, postcodes, interval=0, sweep_every=sweep_every)
        writer = MapWriter(engine, on_change=holder.expire)
        try:
            holder.current()
            request = _InFlight()
            gone = weakref.ref(request)
            remit = "Swept." if freed else "Kept."
            writer.patch_service(
                service_id="housing", patch={"remit": remit}, if_match="*", actor="t"
            )
            holder.current()  # frozen with the new map while still alive
            del request  # the request ends; its cycle is garbage now, but frozen
            gc.collect()
            assert gone() is not None, "frozen garbage is not collected"
            writer.patch_service(
                service_id="housing", patch={"remit": remit + "."}, if_match="*", actor="t"
            )
            holder.current()
            gc.collect()
            assert (gone() is None) is freed
        finally:
            gc.unfreeze()
    engine.dispose()


def test_reads_go_on_from_memory_when_the_database_is_away(postcodes: PostcodeTable) -> None:
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seed_database(engine, MINI_SEED)
    holder = MapHolder(engine, postcodes, interval=0)
    try:
        snap = holder.current()

        def refuse(*_: object, **__: object) -> None:
            raise OperationalError("SELECT", {}, Exception("connection refused"))

        holder.engine = type("Down", (), {"connect": refuse})()  # type: ignore[assignment]
        import navigator.db.holder as module

        real = module.Session
        module.Session = lambda *_a, **_k: (_ for _ in ()).throw(  # type: ignore[assignment,misc]
            OperationalError("SELECT", {}, Exception("connection refused"))
        )
        try:
            assert holder.current() is snap
            assert holder.failure == "The database cannot be reached"
        finally:
            module.Session = real  # type: ignore[misc]
        holder.engine = engine
        assert holder.current() is snap
        assert holder.failure is None
    finally:
        gc.unfreeze()
        engine.dispose()


@pytest.mark.parametrize("enabled", [True, False])
def test_a_map_is_read_with_the_collector_off_and_left_as_it_was(
    postcodes: PostcodeTable, monkeypatch: pytest.MonkeyPatch, enabled: bool
) -> None:
    """The collector would walk every new object of a big map again and again while it is
    read (over a third of the read at 10,000 services), so it is off meanwhile; afterwards it
    is as it was."""
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seed_database(engine, MINI_SEED)
    seen = []
    read = store.load_map_and_edge_ids

    def watched(session: Session) -> tuple[Map, list[int]]:
        seen.append(gc.isenabled())
        return read(session)

    monkeypatch.setattr(store, "load_map_and_edge_ids", watched)
    (gc.enable if enabled else gc.disable)()
    try:
        assert load_snapshot(engine, postcodes).map.services
        assert seen == [False]
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
        engine.dispose()


def test_a_whole_map_is_written_with_the_collector_off(
    mini_map: Map, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seen = []
    insert = store._insert

    def watched(*args: Any) -> None:
        seen.append(gc.isenabled())
        insert(*args)

    monkeypatch.setattr(store, "_insert", watched)
    try:
        with Session(engine) as session:
            store.replace_map(session, mini_map)
            session.commit()
        assert seen
        assert not any(seen)
        assert gc.isenabled()
    finally:
        gc.enable()
        engine.dispose()

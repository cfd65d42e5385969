"""The per-process map holder: a replaced map is freed; reads go on without the database."""

from __future__ import annotations

import gc
import weakref

from sqlalchemy.exc import OperationalError

from navigator.core.geography import PostcodeTable
from navigator.db import connection, migrations
from navigator.db.holder import MapHolder
from navigator.db.seeding import seed_database
from navigator.db.writes import MapWriter
from tests.conftest import MINI_SEED


def test_a_replaced_map_is_freed(postcodes: PostcodeTable) -> None:
    """The holder freezes each new map out of the collector's way; the one it replaces must be
    unfrozen and collected, or every edit leaks a map (the soak saw +36 MB a minute)."""
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seed_database(engine, MINI_SEED)
    holder = MapHolder(engine, postcodes, interval=0)
    try:
        writer = MapWriter(engine, on_change=holder.expire)
        in_flight = holder.current()  # a request still working on the map when it is replaced
        in_flight.graph  # noqa: B018 - built, as a request would
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

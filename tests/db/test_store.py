"""The map in rows: replaced whole, read whole, and edited one entity at a time."""

from __future__ import annotations

from sqlmodel import Session

from navigator.core.models import Map
from navigator.db import connection, migrations, store


def test_a_map_round_trips_through_the_tables(mini_map: Map) -> None:
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    with Session(engine) as session:
        assert store.is_empty(session)
        assert store.map_version(session) == 0
        assert store.replace_map(session, mini_map) == 1
        session.commit()
    with Session(engine) as session:
        assert not store.is_empty(session)
        loaded = store.load_map(session)
    assert loaded == mini_map
    # The confidential address is kept in the database (only outputs drop it).
    refuge = loaded.service("refuge")
    assert refuge is not None
    assert refuge.address == "1 Secret Street"


def test_putting_a_service_in_place_keeps_its_order_and_edges(mini_map: Map) -> None:
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    with Session(engine) as session:
        store.replace_map(session, mini_map)
        housing = store.get_service(session, "housing")
        assert housing is not None
        store.put_service(session, housing.model_copy(update={"remit": "New remit."}))
        session.commit()
    with Session(engine) as session:
        loaded = store.load_map(session)
    assert [s.id for s in loaded.services] == [s.id for s in mini_map.services]
    assert loaded.edges == mini_map.edges
    changed = loaded.service("housing")
    assert changed is not None
    assert changed.remit == "New remit."

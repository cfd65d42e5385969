"""Start-up, the one way: engine → migrate → seed an empty database → snapshot.

The server's lifespan, every command-line command and the per-process map holder start here, so
they all see the database the same way. Replicas starting together take turns through `prepare`
(migrations.exclusive), so the schema is migrated and the seed loaded exactly once.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from navigator.core.geography import PostcodeTable
from navigator.core.models import Map
from navigator.core.snapshot import Snapshot, modified_times
from navigator.db import connection, migrations, store
from navigator.db.collector import collector_paused
from navigator.db.seeding import ensure_seeded
from navigator.settings import Settings


def prepare(engine: Engine, seed_file: Path | None = None) -> migrations.Outcome:
    """Migrate to the newest schema, then load `seed_file` if the database holds no map yet.

    One process at a time: a replica that finds another mid-way waits, then finds the schema
    current and the map loaded.
    """
    with migrations.exclusive(engine):
        # At the newest revision already (every start but the first after an upgrade): known
        # from a read of alembic_version, without loading Alembic.
        is_current = migrations.is_current(engine)
        outcome = migrations.Outcome.current if is_current else migrations.upgrade(engine)
        if seed_file is not None:
            ensure_seeded(engine, seed_file)
    return outcome


def open_engine(settings: Settings, *, seed: bool = True) -> Engine:
    """The configured database, migrated and (unless `seed` is False) seeded when empty."""
    engine = connection.make_engine(settings.db_url)
    try:
        prepare(engine, settings.seed_file if seed else None)
    except BaseException:
        engine.dispose()
        raise
    return engine


def load_postcodes(settings: Settings) -> PostcodeTable:
    return PostcodeTable.load(settings.postcode_dir)


def load_snapshot(engine: Engine, postcodes: PostcodeTable) -> Snapshot:
    """The stored map, labelled with its version: both read in one session, so never mislabelled.

    With it, when each service last really changed: the newest audit entry touching it (one
    grouped query), else when the map was seeded, else the map's last review.
    """
    with collector_paused(), Session(engine) as session:
        m, edge_ids = store.load_map_and_edge_ids(session)
        return Snapshot(
            map=m,
            version=store.map_version(session),
            postcodes=postcodes,
            modified=load_modified(session, m, edge_ids),
            etag_key=store.etag_key(session),
        )


def load_modified(
    session: Session, m: Map, edge_ids: list[int] | None = None
) -> dict[str, dt.datetime]:
    """When each service of `m` last really changed: the newest audit entry touching it, else
    when the map was seeded, else the map's last review.

    `edge_ids`: the stored id of each of `m`'s edges, when `m` was just read with them (saves
    reading the edges again)."""
    base = store.seeded_at(session) or dt.datetime.combine(
        m.meta.last_reviewed or dt.date(2000, 1, 1), dt.time(), dt.UTC
    )
    edges = store.list_edges(session) if edge_ids is None else zip(edge_ids, m.edges, strict=True)
    return modified_times(
        m,
        base=base,
        changes=store.last_changes(session),
        edges={str(i): e for i, e in edges},
    )


def snapshot(settings: Settings) -> Snapshot:
    """The whole sequence once, for a one-off reader (a command): the map as the server sees it."""
    engine = open_engine(settings)
    try:
        return load_snapshot(engine, load_postcodes(settings))
    finally:
        engine.dispose()

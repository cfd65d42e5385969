"""Loading a seed file into the database: validated first, then written all or nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session

from navigator.core.seedfile import load_seed
from navigator.db import store


def seed_database(engine: Engine, path: Path) -> int:
    """Validate `path`, then replace the stored map with it in one transaction.

    All or nothing: a bad file raises SeedError before the database is touched, and a failed
    write rolls back. Returns the new map version.
    """
    m = load_seed(path)
    with Session(engine) as session:
        version = store.replace_map(session, m)
        session.commit()
    return version


def ensure_seeded(engine: Engine, path: Path) -> bool:
    """Load the seed when the database holds no map yet; True when it did."""
    with Session(engine) as session:
        if not store.is_empty(session):
            return False
    seed_database(engine, path)
    return True

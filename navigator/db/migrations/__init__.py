"""Schema migrations (Alembic), run from code so they work from an installed package.

`upgrade` brings any database to the newest schema: it creates an empty one and migrates an older
one. `exclusive` makes replicas that start together take turns.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from navigator.db.tables import METADATA

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Revision files are modules mypy and ruff check, so their names must not start with a digit.
FILE_TEMPLATE = "v%%(rev)s_%%(slug)s"
# pg_advisory_lock's key: any constant 64-bit number that is ours.
_LOCK_KEY = zlib.crc32(b"bradford-early-years-navigator:migrate")


class Outcome(StrEnum):
    created = "created"  # an empty database got the whole schema
    upgraded = "upgraded"  # older revisions were applied
    current = "current"  # already at the newest revision


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration, built in code: no alembic.ini needed at run time."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None, "no migrations found"
    return revision


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_diffs(engine: Engine) -> list[Any]:
    """How the database's tables differ from the models'; [] when they match."""
    with engine.connect() as conn:
        diffs: list[Any] = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), METADATA
        )
        return diffs


def upgrade(engine: Engine) -> Outcome:
    """Bring the database to the newest schema (run it under `exclusive`)."""
    cfg = alembic_config()
    before = current_revision(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    after = current_revision(engine)
    if before is None:
        return Outcome.created
    return Outcome.current if after == before else Outcome.upgraded


@contextmanager
def exclusive(engine: Engine) -> Iterator[None]:
    """One process at a time through start-up (migrate, then seed an empty database).

    Replicas share the database and may start together; without this, two would both find it
    empty and both create tables or load the seed, and one would fail. PostgreSQL: an advisory
    lock. SQLite file: a lock file beside it (the replicas of a SQLite install share a machine).
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _LOCK_KEY})
            conn.commit()  # the lock belongs to the session, not the transaction
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield  # in-memory SQLite belongs to one process; other databases: no lock known
        return
    try:
        import fcntl
    except ImportError:  # Windows: a single laptop process, nothing to race
        yield
        return
    with open(f"{database}.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

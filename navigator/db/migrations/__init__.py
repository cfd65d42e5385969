"""Schema migrations (Alembic), run from code so they work from an installed package.

`upgrade` brings any database to the newest schema: it creates an empty one and migrates an older
one. `exclusive` makes replicas that start together take turns.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, inspect, text

from navigator.db.tables import METADATA

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported only when there is something to migrate: a start finding the database at
# the newest revision (`is_current`) skips the import and the revision scripts' loading, about a
# third of a second of a cold start (bench/README.md).

MIGRATIONS_DIR = Path(__file__).resolve().parent
VERSIONS_DIR = MIGRATIONS_DIR / "versions"
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
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("file_template", FILE_TEMPLATE)
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head() -> str:
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None, "no migrations found"
    return revision


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def schema_diffs(engine: Engine) -> list[Any]:
    """How the database's tables differ from the models'; [] when they match."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        diffs: list[Any] = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), METADATA
        )
        return diffs


def upgrade(engine: Engine) -> Outcome:
    """Bring the database to the newest schema (run it under `exclusive`)."""
    from alembic import command

    cfg = alembic_config()
    before = current_revision(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    after = current_revision(engine)
    if before is None:
        return Outcome.created
    return Outcome.current if after == before else Outcome.upgraded


# The two constants every revision file declares (script.py.mako), read as text.
_REVISION = re.compile(r"^revision\b[^=]*=\s*[\"']([^\"']+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(
    r"^down_revision\b[^=]*=\s*(?:[\"']([^\"']+)[\"']|None)\s*$", re.MULTILINE
)


def newest_revision() -> str | None:
    """The head revision, read from the revision files' `revision` and `down_revision` lines
    without importing Alembic; None when they are not one plain line of revisions (a merge, a
    branch, a file it cannot read), so the caller asks Alembic instead."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS_DIR.glob("v*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        if down.group(1) is not None:
            parents.add(down.group(1))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database's alembic_version table; None without one."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return versions[0] if len(versions) == 1 else None


def is_current(engine: Engine) -> bool:
    """The database is at the newest revision: known without Alembic (see `newest_revision`)."""
    newest = newest_revision()
    return newest is not None and stored_revision(engine) == newest


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

"""Backups and restores of the whole database, each all or nothing, while the servers run.

SQLite: SQLite's online backup API copies a consistent snapshot page by page while writers go
on (WAL); restoring copies a checked, prepared copy into the live file in one write transaction,
so readers see the old database or the new one, never a mixture.

PostgreSQL: the standard tools. `pg_dump` (custom format) takes a consistent snapshot;
restoring runs the dump's SQL and our own follow-up in one transaction (`psql
--single-transaction`): any error and nothing changes.

Either way a backup is written beside its target and renamed into place only once checked, and a
restore:
- refuses a file that is not a backup of this app (checked before anything is touched);
- migrates the restored schema to this version's;
- gives the map a version above both the live and the restored one, so every replica reloads;
- keeps the live database's key revocations (a key revoked since the backup stays revoked), and
  signs every browser out (sessions are not restored);
- records itself in the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from glob import glob
from pathlib import Path

from sqlalchemy import Engine, make_url
from sqlmodel import Session, delete

from navigator.db import accounts, connection, migrations, store
from navigator.db.tables import METADATA, SettingRow, WebSessionRow

# Tables every backup of this app has.
REQUIRED_TABLES = {"service", "setting", "audit", "api_key", "alembic_version"}


class BackupError(Exception):
    """A backup or restore that could not be done; nothing was changed."""


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory database cannot be backed up")
    return Path(database)


def _check_sqlite(path: Path) -> sqlite3.Connection:
    """Open a SQLite file read-only and check it is an intact database of this app."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        status = conn.execute("PRAGMA integrity_check").fetchone()
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from None
    if status != ("ok",):
        conn.close()
        raise BackupError(f"{path} fails SQLite's integrity check: {status}")
    missing = REQUIRED_TABLES - tables
    if missing:
        conn.close()
        raise BackupError(f"{path} is not a backup of the navigator (no {', '.join(missing)})")
    return conn


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial-{os.getpid()}")


def backup_sqlite(engine: Engine, target: Path) -> None:
    source = _sqlite_path(engine)
    partial = _partial(target)
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(partial)
        try:
            with dst:
                src.backup(dst)  # one step: a consistent snapshot, writers carry on (WAL)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            dst.close()
            src.close()
        _check_sqlite(partial).close()
        _fsync(partial)
        os.replace(partial, target)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"SQLite could not copy the database: {exc}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def restore_sqlite(engine: Engine, source: Path, *, actor: str) -> int:
    live = _sqlite_path(engine)
    _check_sqlite(source).close()
    with tempfile.TemporaryDirectory(dir=live.parent, prefix=".restore-") as folder:
        staged = Path(folder) / "staged.db"
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        dst = sqlite3.connect(staged)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        live_state = _live_state(engine)
        staging = connection.make_engine(f"sqlite:///{staged}")
        try:
            migrations.upgrade(staging)
            with Session(staging) as session:
                version = _follow_up(session, live_state, actor=actor, source=source.name)
                session.commit()
            with staging.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            staging.dispose()
        # The live file takes the staged copy in one write transaction (SQLite's backup API
        # holds the destination's write lock throughout): old or new, never a mixture.
        src = sqlite3.connect(staged)
        dst = sqlite3.connect(live, timeout=60)
        try:
            with dst:
                src.backup(dst)
        finally:
            dst.close()
            src.close()
    return version


# --- what a restore does besides copying --------------------------------------------------------

LiveState = tuple[int, list[tuple[str, dt.datetime]]]


def _live_state(engine: Engine) -> LiveState:
    """The live database's map version, and its revoked keys (prefix, when)."""
    with Session(engine) as session:
        revoked = [
            (row.prefix, row.revoked_at)
            for row in accounts.list_keys(session)
            if row.revoked_at is not None
        ]
        return store.map_version(session), revoked


def _follow_up(session: Session, live: LiveState, *, actor: str, source: str) -> int:
    """In the restored copy: a version above both, the live revocations, no sessions, and an
    audit entry. Returns the new map version."""
    version_live, revoked = live
    restored = store.map_version(session)
    version = max(version_live, restored) + 1
    session.merge(SettingRow(key="map_version", value=version))
    for prefix, at in revoked:
        row = accounts.key_by_prefix(session, prefix)
        if row is not None and row.revoked_at is None:
            row.revoked_at = at
            session.add(row)
    session.exec(delete(WebSessionRow))
    accounts.audit(
        session,
        actor=actor,
        action="restore",
        entity="database",
        entity_id=source,
        before={"map_version": version_live},
        after={"map_version": version, "restored_version": restored},
    )
    return version


# --- PostgreSQL -----------------------------------------------------------------------------------


def pg_tool(name: str) -> str:
    """A PostgreSQL client tool: on PATH, else Debian's newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(p: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p))

    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    if not candidates:
        raise BackupError(
            f"{name} is not installed: PostgreSQL's client tools are needed "
            "(Debian: apt-get install postgresql-client)"
        )
    return candidates[0]


def _pg_env(engine: Engine) -> tuple[str, dict[str, str]]:
    """libpq's connection string (no password) and the environment carrying the password."""
    url = make_url(engine.url.render_as_string(hide_password=False))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _run(args: list[str], env: dict[str, str], what: str) -> str:
    # The tools' own paths and our file names, as a list: no shell.
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{what} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout


def backup_postgres(engine: Engine, target: Path) -> None:
    dsn, env = _pg_env(engine)
    partial = _partial(target)
    try:
        _run(
            [pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}", dsn],
            env,
            "pg_dump",
        )
        listing = _run([pg_tool("pg_restore"), "--list", str(partial)], env, "pg_restore --list")
        if not all(f"TABLE public {t} " in listing for t in REQUIRED_TABLES):
            raise BackupError("pg_dump's file lacks the navigator's tables")
        _fsync(partial)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def restore_postgres(engine: Engine, source: Path, *, actor: str) -> int:
    dsn, env = _pg_env(engine)
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    listing = _run([pg_tool("pg_restore"), "--list", str(source)], env, "reading the backup")
    missing = [t for t in REQUIRED_TABLES if f"TABLE public {t} " not in listing]
    if missing:
        raise BackupError(f"{source} is not a backup of the navigator (no {', '.join(missing)})")
    script = _run(
        [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
         "--file=-", str(source)],
        env,
        "pg_restore",
    )  # fmt: skip
    version_live, revoked = _live_state(engine)
    variables = {
        "ON_ERROR_STOP": "1",
        "live_version": str(int(version_live)),
        "revoked": json.dumps([{"prefix": p, "at": at.isoformat()} for p, at in revoked]),
        "actor": actor,
        "source": source.name,
    }
    with tempfile.TemporaryDirectory(prefix="navigator-restore-") as folder:
        path = Path(folder) / "restore.sql"
        path.write_text(_pg_lock_all() + script + "\n" + PG_FOLLOW_UP)
        out = _run(
            [pg_tool("psql"), "--no-psqlrc", "--quiet", "--single-transaction", "--tuples-only",
             "--no-align", *(f"--set={k}={v}" for k, v in variables.items()),
             f"--file={path}", dsn],
            env,
            "restoring",
        )  # fmt: skip
    migrations.upgrade(engine)  # a backup from an older version: bring its schema up to date
    found = re.findall(r"^map_version=(\d+)$", out, re.M)
    if not found:
        raise BackupError("The restore did not report the map's new version")
    return int(found[-1])


def _pg_lock_all() -> str:
    """Lock every table first, the map version's first: edits (which start by locking that row)
    queue behind the restore instead of deadlocking with its DROPs half-way."""
    tables = sorted(set(METADATA.tables) - {"setting"})
    names = ", ".join(["setting", *tables, "alembic_version"])
    return f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE;\n"


# The follow-up (see _follow_up) in SQL, run in the restore's own transaction; psql fills in
# the variables (:'name' quotes a value as a literal), so nothing is pasted into the SQL.
PG_FOLLOW_UP = """
RESET search_path;
SELECT (value #>> '{}')::int AS restored_version FROM setting WHERE key = 'map_version' \\gset
UPDATE setting SET value = to_jsonb(GREATEST(:live_version, :restored_version) + 1)::json
 WHERE key = 'map_version';
DELETE FROM web_session;
UPDATE api_key SET revoked_at = r.at
  FROM (SELECT x->>'prefix' AS prefix, (x->>'at')::timestamptz AS at
          FROM json_array_elements(:'revoked'::json) AS x) AS r
 WHERE api_key.prefix = r.prefix AND api_key.revoked_at IS NULL;
INSERT INTO audit (at, actor, action, entity, entity_id, before, after)
SELECT now(), :'actor', 'restore', 'database', :'source',
       json_build_object('map_version', :live_version),
       json_build_object('map_version', (value #>> '{}')::int,
                         'restored_version', :restored_version)
  FROM setting WHERE key = 'map_version';
SELECT 'map_version=' || (value #>> '{}') FROM setting WHERE key = 'map_version';
"""


# --- either ---------------------------------------------------------------------------------------


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent backup of the database to `target`, whole or not at all."""
    if engine.dialect.name == "sqlite":
        backup_sqlite(engine, target)
    elif engine.dialect.name == "postgresql":
        backup_postgres(engine, target)
    else:
        raise BackupError(f"No backup for {engine.dialect.name} databases")


def restore(engine: Engine, source: Path, *, actor: str) -> int:
    """Replace the database with the backup in `source`, whole or not at all; the new version."""
    migrations.upgrade(engine)  # the live database at this version's schema, as the servers see it
    if engine.dialect.name == "sqlite":
        return restore_sqlite(engine, source, actor=actor)
    if engine.dialect.name == "postgresql":
        return restore_postgres(engine, source, actor=actor)
    raise BackupError(f"No restore for {engine.dialect.name} databases")

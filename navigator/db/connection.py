"""Engines for any SQLAlchemy URL, the append-only audit triggers, and the write lock."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, exc, text
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from navigator.db.tables import SettingRow


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets foreign keys, WAL and a write lock.

    Either way a connection that fails is replaced by a fresh one on the next use, so the app
    recovers by itself when the database comes back (pre-ping on PostgreSQL; on SQLite, a
    connection that found the file read-only is dropped, as it would stay read-only).
    """
    if not url.startswith("sqlite"):
        connect_args = {"connect_timeout": CONNECT_TIMEOUT} if "postgresql" in url else {}
        return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if memory:
        # One shared connection (tests): there is nobody to take a write lock against.
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
    else:
        path = Path(url.split("///", 1)[-1])
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn: Any, record: Any) -> None:
        if not memory:
            # SQLite opens a file it may not write read-only, and it stays so: remember that.
            record.info["read_only"] = path.exists() and not _writable(path)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            # pysqlite's own transaction handling cannot take the write lock up front, so we
            # begin transactions ourselves (SQLAlchemy's documented recipe for pysqlite).
            dbapi_conn.isolation_level = None
        cur.close()

    @event.listens_for(engine, "handle_error")
    def _drop_read_only(context: Any) -> None:
        if is_read_only(context.original_exception):
            context.is_disconnect = True  # a new connection may find the file writable again

    if not memory:

        @event.listens_for(engine, "checkout")
        def _reopen_when_writable(_conn: Any, record: Any, _proxy: Any) -> None:
            if record.info.get("read_only") and _writable(path):
                raise exc.DisconnectionError("the file is writable again: open it afresh")

    if not memory:

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


WRITE_OPTION = "navigator_write"


def _writable(path: Path) -> bool:
    """The SQLite file and its WAL files, those that exist, may be written by this process."""
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return all(os.access(f, os.W_OK) for f in files if f.exists())


# Seconds to wait for PostgreSQL to accept a connection before calling it unavailable.
CONNECT_TIMEOUT = 5

# --- when the database fails --------------------------------------------------------------------

# Errors that mean "the database cannot do this now" (down, unreachable, read-only), not "this
# request or this code is wrong": the app answers them 503 and carries on.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    exc.OperationalError,
    exc.InterfaceError,
    exc.TimeoutError,
    exc.DisconnectionError,
)


def is_read_only(error: BaseException | None) -> bool:
    """SQLite's "attempt to write a readonly database", PostgreSQL's read-only transaction
    (SQLSTATE 25006: a standby, or default_transaction_read_only)."""
    error = getattr(error, "orig", error)
    if getattr(error, "sqlstate", None) == "25006":
        return True
    text = str(error).lower()
    return "readonly database" in text or "read-only" in text


def is_unavailable(error: BaseException) -> bool:
    return isinstance(error, UNAVAILABLE) or is_read_only(error)


def failure_reason(error: BaseException) -> str:
    """Why the database refused, in plain words (never the SQL or its parameters)."""
    if is_read_only(error):
        return "The database is read-only"
    return "The database cannot be reached"


def probe(engine: Engine) -> str | None:
    """None when the database answers and takes writes; else the reason it does not.

    A real write, rolled back: the map version row is updated to itself inside the write lock,
    so a read-only file or server is found as an edit would find it.
    """
    try:
        with Session(engine.execution_options(**{WRITE_OPTION: True})) as session:
            if engine.dialect.name == "postgresql":
                session.exec(text("SET LOCAL lock_timeout = '2s'"))  # type: ignore[call-overload]
            session.exec(  # type: ignore[call-overload]
                text("UPDATE setting SET key = key WHERE key = 'map_version'")
            )
            session.rollback()
    except exc.SQLAlchemyError as error:
        if is_unavailable(error):
            return failure_reason(error)
        raise
    return None


_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_append_only ON audit",
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ],
}


def create_tables(engine: Engine) -> None:
    """The tables without migrations (tests, benches); with the ETag key migrations would add."""
    SQLModel.metadata.create_all(engine)
    append_only_audit(engine)
    with Session(engine) as session:
        if session.get(SettingRow, "etag_key") is None:
            session.add(SettingRow(key="etag_key", value=secrets.token_hex(32)))
            session.commit()


def append_only_audit(engine: Engine) -> None:
    """Database triggers that refuse any UPDATE or DELETE of audit rows."""
    with engine.begin() as conn:
        for statement in _APPEND_ONLY.get(engine.dialect.name, []):
            conn.exec_driver_sql(statement)


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A transaction holding the map's write lock, committed on success.

    Edits serialise on it, so an ETag check and the write it guards can never interleave with
    another edit: on SQLite through BEGIN IMMEDIATE, elsewhere by locking the map version row.
    """
    with Session(engine.execution_options(**{WRITE_OPTION: True})) as session:
        if engine.dialect.name != "sqlite":
            lock = select(SettingRow).where(SettingRow.key == "map_version").with_for_update()
            if session.exec(lock).first() is None:
                session.add(SettingRow(key="map_version", value=0))
                session.flush()
                session.exec(lock).first()
        yield session
        session.commit()

"""Engines for any SQLAlchemy URL, the append-only audit triggers, and the write lock."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

from navigator.db.tables import SettingRow


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets foreign keys, WAL and a write lock."""
    if not url.startswith("sqlite"):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if memory:
        # One shared connection (tests): there is nobody to take a write lock against.
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
    else:
        Path(url.split("///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            # pysqlite's own transaction handling cannot take the write lock up front, so we
            # begin transactions ourselves (SQLAlchemy's documented recipe for pysqlite).
            dbapi_conn.isolation_level = None
        cur.close()

    if not memory:

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


WRITE_OPTION = "navigator_write"

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

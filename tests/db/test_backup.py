"""Backups and restores, all or nothing, round-tripped while edits keep arriving."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from navigator.app import create_app
from navigator.cli import app as cli
from navigator.db import accounts, backup, bootstrap, connection, store
from navigator.db.tables import AuditRow
from navigator.db.writes import MapWriter
from navigator.settings import Settings, get_settings
from tests.conftest import MINI_SEED, need_tool


def _need_tools(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        return
    for tool in ("pg_dump", "pg_restore", "psql"):
        try:
            backup.pg_tool(tool)
        except backup.BackupError as exc:
            need_tool(tool, str(exc))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    _need_tools(database_url)
    engine = bootstrap.open_engine(Settings(database_url=database_url, seed_file=MINI_SEED))
    yield engine
    engine.dispose()


@dataclass
class Writer:
    """Edits arriving all the time: a patch of one service after another, in a thread."""

    engine: Engine
    done: int = 0
    failed: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def _run(self) -> None:
        writer = MapWriter(self.engine)
        while not self.stop.is_set():
            try:
                writer.patch_service(
                    service_id="housing",
                    patch={"remit": f"Write {self.done}."},
                    if_match="*",
                    actor="writer",
                )
                self.done += 1
            except Exception:  # a write caught by the restore: it may fail, never half-apply
                self.failed += 1
                time.sleep(0.01)

    def __enter__(self) -> Writer:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        while self.done < 3:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        time.sleep(0.1)
        self.stop.set()
        assert self.thread is not None
        self.thread.join(timeout=30)


def _consistent(engine: Engine) -> tuple[int, str, int]:
    """Every edit wrote its audit entry and its version in one transaction: so the versions
    since the last restore (or the seed) are the edits since, and the stored remit is the last
    edit's. Returns (version, remit, edits)."""
    with Session(engine) as session:
        version = store.map_version(session)
        service = store.get_service(session, "housing")
        entries, _ = accounts.audit_entries(session, limit=100_000)
    assert service is not None
    edits = []
    base = 1  # the seed's version
    for entry in reversed(entries):  # oldest first
        if entry.action == "restore":
            base, edits = entry.after["map_version"], []
        elif entry.entity == "service":
            edits.append(entry)
    assert version == base + len(edits), (version, base, len(edits))
    if edits:
        assert service.remit == edits[-1].after["remit"]
    return version, service.remit, len(edits)


def test_round_trip_under_writes(database_url: str, engine: Engine, tmp_path: Path) -> None:
    app = create_app(Settings(database_url=database_url, seed_file=MINI_SEED))
    with TestClient(app) as client:
        first = tmp_path / "first.backup"
        with Writer(engine) as writes:
            backup.backup(engine, first)
            during = writes.done
        assert writes.failed == 0
        assert writes.done > during, "edits went on during the backup"
        live_version, _, _ = _consistent(engine)
        assert not list(tmp_path.glob(".*partial*")), "no partial file is left behind"

        # The backup is a consistent snapshot taken mid-stream: restore it (while edits keep
        # arriving) and check it, and what followed it, for consistency.
        with Writer(engine) as after:
            version = backup.restore(engine, first, actor="tester")
        assert version > live_version, "above the live version: every replica reloads"
        restored_version, remit, edits_since = _consistent(engine)
        assert edits_since == restored_version - version
        with Session(engine) as session:
            entries, _ = accounts.audit_entries(session, entity="database")
        assert [(e.action, e.actor, e.entity_id) for e in entries] == [
            ("restore", "tester", "first.backup")
        ]
        assert after.done > 0
        # The running app sees the restored map (and what was written after it).
        deadline = time.monotonic() + 5
        while client.get("/api/v1/services/housing").json()["remit"] != remit:
            assert time.monotonic() < deadline
            time.sleep(0.1)

        # A second round trip, quiet this time: restored exactly.
        second = tmp_path / "second.backup"
        backup.backup(engine, second)
        MapWriter(engine).patch_service(
            service_id="housing", patch={"remit": "Not in the backup."}, if_match="*", actor="t"
        )
        backup.restore(engine, second, actor="tester")
        assert _consistent(engine)[1] == remit


def test_a_restore_keeps_revocations_and_signs_everyone_out(engine: Engine, tmp_path: Path) -> None:
    with connection.writing(engine) as session:
        accounts.create_key(session, name="leaver", role="editor")
        key_id = accounts.list_keys(session)[0].id
    assert key_id is not None
    file = tmp_path / "b.backup"
    backup.backup(engine, file)
    MapWriter(engine).revoke_key(ident="leaver", actor="admin")
    MapWriter(engine).sign_in(key_id=key_id, lifetime=dt.timedelta(hours=1))
    backup.restore(engine, file, actor="tester")
    with Session(engine) as session:
        assert accounts.list_keys(session)[0].revoked_at is not None, "still revoked"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM web_session").scalar() == 0


def test_a_bad_backup_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    good = tmp_path / "good.backup"
    backup.backup(engine, good)
    MapWriter(engine).patch_service(
        service_id="housing", patch={"remit": "After the backup."}, if_match="*", actor="t"
    )
    before = _consistent(engine)
    with Session(engine) as session:
        audits = session.exec(select(AuditRow)).all()
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    not_ours = tmp_path / "other.backup"
    not_ours.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    for bad in (truncated, not_ours, tmp_path / "missing.backup"):
        with pytest.raises(backup.BackupError):
            backup.restore(engine, bad, actor="tester")
        assert _consistent(engine) == before
    with Session(engine) as session:
        assert len(session.exec(select(AuditRow)).all()) == len(audits)
    # A backup that cannot be written leaves nothing behind.
    with pytest.raises((backup.BackupError, OSError)):
        backup.backup(engine, tmp_path / "no-such-folder" / "x.backup")
    assert not list(tmp_path.rglob(".*partial*"))


def test_the_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NAVIGATOR_SEED_FILE", str(MINI_SEED))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["seed"]).exit_code == 0
        file = tmp_path / "nav.backup"
        made = runner.invoke(cli, ["backup", str(file)])
        assert made.exit_code == 0, made.output
        assert file.stat().st_size > 10_000
        refused = runner.invoke(cli, ["restore", str(file)], input="n\n")
        assert refused.exit_code == 1
        done = runner.invoke(cli, ["restore", str(file), "--yes"])
        assert done.exit_code == 0, done.output
        assert "Restored from" in done.output
        bad = runner.invoke(cli, ["restore", str(tmp_path / "nothing"), "--yes"])
        assert bad.exit_code == 1
        assert "nothing changed" in bad.output
    finally:
        get_settings.cache_clear()

"""Fail safe when the database does: reads go on from memory, writes answer 503 with a plain
message, /readyz says why, and all recovers by itself when the database is back.

Tested for real: PostgreSQL stopped mid-run, and a read-only SQLite file served by a non-root
user (root ignores file permissions, so as root the server runs as `nobody`).
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from navigator.app import create_app
from navigator.db import accounts, bootstrap, connection
from navigator.settings import Settings
from tests.conftest import IN_CI, MINI_SEED, _pg_bindir, _throwaway_cluster, need_tool

FAMILY: dict[str, Any] = {
    "postcode": "BD3 9AB",
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _patch(client: httpx.Client | TestClient, key: str, remit: str) -> httpx.Response:
    etag = client.get("/api/v1/services/housing").headers["ETag"]
    return client.patch(
        "/api/v1/services/housing",
        json={"remit": remit},
        headers={"Authorization": f"Bearer {key}", "If-Match": etag},
    )


# --- PostgreSQL stopped mid-run -----------------------------------------------------------------


class Cluster:
    """Stops and starts a throwaway cluster again, with the options it was started with."""

    def __init__(self, url: str) -> None:
        self.url = url
        conninfo = url.replace("postgresql+psycopg", "postgresql")
        with psycopg.connect(conninfo, autocommit=True) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        assert row is not None
        self.data = Path(str(row[0]))
        bindir = _pg_bindir()
        assert bindir is not None
        self.pg_ctl = str(bindir / "pg_ctl")
        # postmaster.opts holds the server's command line: the options to start it again with.
        words = shlex.split((self.data / "postmaster.opts").read_text())
        options, skip = [], False
        for word in words[1:]:
            if skip:
                skip = False
            elif word == "-D":
                skip = True
            else:
                options.append(word)
        self.options = shlex.join(options)

    def _run(self, *args: str) -> None:
        command = [self.pg_ctl, *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def stop(self) -> None:
        self._run("stop", "--wait", "-m", "fast", "-D", str(self.data))

    def start(self) -> None:
        log = str(self.data.parent / "restart.log")
        self._run("start", "--wait", "-D", str(self.data), "-l", log, "-o", self.options)


@pytest.fixture
def own_cluster() -> Iterator[str]:
    """A cluster of this test's own: stopping it disturbs no other test."""
    bindir = _pg_bindir()
    if bindir is None:
        need_tool("pg_ctl", "PostgreSQL server binaries (Debian: apt-get install postgresql)")
    assert bindir is not None
    with _throwaway_cluster(bindir) as url:
        yield url.render_as_string(hide_password=False)


@pytest.mark.postgres
def test_postgresql_stopped_mid_run(own_cluster: str) -> None:
    cluster = Cluster(own_cluster)
    settings = Settings(database_url=own_cluster, seed_file=MINI_SEED, map_check_interval=0.05)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        with connection.writing(engine) as session:
            key = accounts.create_key(session, name="ed", role="editor")
        assert _patch(client, key, "Before the outage.").status_code == 200
        ready = client.get("/readyz")
        assert (ready.status_code, ready.json()["database"]) == (200, "ok")
        before = client.get("/api/v1/services/housing").json()

        cluster.stop()
        try:
            time.sleep(0.1)  # past the map check interval: reads now try the database
            # Liveness stays up; readiness says why not.
            assert client.get("/healthz").status_code == 200
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["database"] == "The database cannot be reached"
            # Reads go on from the map in memory.
            for _ in range(3):
                assert client.get("/api/v1/services/housing").json() == before
                assert client.post("/api/v1/navigate", json=FAMILY).status_code == 200
                assert client.get("/services/housing").status_code == 200
                time.sleep(0.06)
            # Writes, and reads that need the database itself, are 503 with a plain message.
            write = client.patch(
                "/api/v1/services/housing",
                json={"remit": "Lost?"},
                headers={"Authorization": f"Bearer {key}", "If-Match": "*"},
            )
            assert write.status_code == 503
            assert write.json()["detail"].startswith("The database cannot be reached")
            assert "Retry-After" in write.headers
            audit = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {key}"})
            assert audit.status_code == 503
            page = client.post("/edit/login", data={"key": key})
            assert page.status_code == 503
            assert "cannot be reached" in page.text
        finally:
            cluster.start()

        # Back by itself: no restart of the app.
        deadline = time.monotonic() + 15
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "not ready again within 15 s"
            time.sleep(0.2)
        assert _patch(client, key, "After the outage.").status_code == 200
        assert client.get("/api/v1/services/housing").json()["remit"] == "After the outage."


# --- a read-only SQLite file, served by a non-root user --------------------------------------


def _as_non_root() -> tuple[list[str], str | None]:
    """How to run this project's Python as a user file permissions apply to.

    Not root: ourselves. Root: `nobody`, with the system's Python of our version (ours lives
    under /root, which nobody may not enter) and our site-packages added.
    """
    if os.geteuid() != 0:
        return [sys.executable], None
    system = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    if not Path(system).exists() or not Path(runuser).exists():
        why = f"{system} and runuser, to serve as a non-root user"
        if IN_CI:
            pytest.fail(f"required under CI=true: {why}")
        pytest.skip(f"not installed: {why}")
    return [runuser, "-u", "nobody", "--", system], "nobody"


SERVE = """
import site, sys
site.addsitedir(sys.argv[1])
from navigator.cli import app
app(["serve", "--port", sys.argv[2]])
"""


@pytest.fixture
def open_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder another user may enter (pytest's own are root's alone), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="navigator-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_read_only_sqlite_file(open_folder: Path) -> None:
    python, user = _as_non_root()
    tmp_path = open_folder
    data = tmp_path / "data"
    settings = Settings(data_dir=data, seed_file=MINI_SEED)
    engine = bootstrap.open_engine(settings)
    with connection.writing(engine) as session:
        key = accounts.create_key(session, name="ed", role="editor")
    engine.dispose()
    db = data / "navigator.db"
    if user is not None:
        for path in (data, *data.iterdir()):
            shutil.chown(path, user=user)
    db.chmod(0o444)

    port = _free_port()
    site_packages = next(p for p in sys.path if p.endswith("site-packages"))
    env = {
        **os.environ,
        "NAVIGATOR_DATA_DIR": str(data),
        "NAVIGATOR_SEED_FILE": str(MINI_SEED),
        "NAVIGATOR_MAP_CHECK_INTERVAL": "0",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*python, "-c", SERVE, site_packages, str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        with httpx.Client(base_url=base, timeout=10) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 503, ready.text
            assert ready.json()["database"] == "The database is read-only"
            assert client.get("/api/v1/services").json()["total"] == 4
            assert client.post("/api/v1/navigate", json=FAMILY).status_code == 200
            assert client.get("/api/v1/edges").status_code == 200
            refused = _patch(client, key, "Read-only?")
            assert refused.status_code == 503, refused.text
            assert refused.json()["detail"] == (
                "The database is read-only: changes cannot be saved just now. "
                "The map can still be read."
            )
            assert client.post("/edit/login", data={"key": key}).status_code == 503
            # Writable again (the file and the WAL files SQLite made beside it, read-only like
            # it): the next write opens a new connection and succeeds.
            for path in data.glob("navigator.db*"):
                path.chmod(0o644)
            again = _patch(client, key, "Writable again.")
            assert again.status_code == 200, again.text
            assert client.get("/readyz").status_code == 200
        assert "Internal Server Error" not in log.read_text()
        assert "Traceback" not in log.read_text(), log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=15)

from __future__ import annotations

import os
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from glob import glob
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import URL, make_url

from navigator.app import create_app
from navigator.core.geography import PostcodeTable
from navigator.core.models import Map
from navigator.core.seedfile import load_seed
from navigator.settings import DEFAULT_SEED, POSTCODE_DIR, Settings

DATA = Path(__file__).parent / "data"
MINI_SEED = DATA / "mini.yaml"
STANDARDS = Path(__file__).parent / "standards"  # vendored HSDS and ORUK schemas (README there)
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_tool(path: str, why: str) -> None:
    """Skip when a tool is missing on a laptop; fail under CI=true, where it must be there."""
    if shutil.which(path) or Path(path).exists():
        return
    if IN_CI:
        pytest.fail(f"{path} is required under CI=true: {why}")
    pytest.skip(f"{path} not installed: {why}")


@pytest.fixture(scope="session")
def postcodes() -> PostcodeTable:
    return PostcodeTable.load(POSTCODE_DIR)


@pytest.fixture(scope="session")
def mini_map() -> Map:
    return load_seed(MINI_SEED)


@pytest.fixture(scope="session")
def seed_map() -> Map:
    return load_seed(DEFAULT_SEED)


def _client(seed: Path, database_url: str = "sqlite://") -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, seed_file=seed)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def mini_client() -> Iterator[TestClient]:
    """The API over an in-memory database holding the mini map (shared by a module's tests:
    read-only use only; a test that writes builds its own app)."""
    yield from _client(MINI_SEED)


@pytest.fixture(scope="module")
def seed_client() -> Iterator[TestClient]:
    """The API over the real seed (shared by a module's tests: read-only use only)."""
    yield from _client(DEFAULT_SEED)


# --- PostgreSQL -------------------------------------------------------------------------------
#
# One throwaway cluster per test session (or the server NAVIGATOR_TEST_POSTGRES_URL names, whose
# user may create databases); every test that asks for `pg_url` gets a fresh database in it.

PG_URL_ENV = "NAVIGATOR_TEST_POSTGRES_URL"
PG_WHY = "PostgreSQL server binaries (Debian: apt-get install postgresql)"


def _pg_bindir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or Debian's versioned folder (newest first)."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).parent

    def version(p: str) -> tuple[int, ...]:
        return tuple(int(x) for x in re.findall(r"\d+", p))

    found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=version, reverse=True)
    return Path(found[0]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _throwaway_cluster(bindir: Path) -> Iterator[URL]:
    """initdb + pg_ctl start into a temporary folder; stopped and removed afterwards.

    PostgreSQL refuses to run as root, so as root (CI) it runs as the `postgres` user. A watchdog
    process stops the cluster and removes the folder should pytest itself be killed.
    """
    as_root = os.geteuid() == 0
    runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")

    def as_postgres(args: list[str]) -> list[str]:
        if not as_root:
            return args
        if runuser:
            return [runuser, "-u", "postgres", "--", *args]
        return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(args)]

    root = Path(tempfile.mkdtemp(prefix="navigator-pg-"))
    data = root / "data"
    stop_now = shlex.join(
        as_postgres([str(bindir / "pg_ctl"), "stop", "-m", "immediate", "-D", str(data)])
    )
    watchdog = subprocess.Popen(
        [
            "sh",
            "-c",
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"if [ -f {shlex.quote(str(data / 'postmaster.pid'))} ]; then "
            f"{stop_now}; fi; rm -rf {shlex.quote(str(root))}",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started = False
    try:
        if as_root:
            shutil.chown(root, user="postgres")

        def run(*args: str) -> None:
            done = subprocess.run(
                as_postgres(list(args)), capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                log = root / "server.log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise RuntimeError(f"{' '.join(args)} failed: {done.stderr}{done.stdout}{tail}")

        run(
            str(bindir / "initdb"),
            "--pgdata",
            str(data),
            "--username=postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        for attempt in range(3):  # a free port can be taken between asking and binding
            port = _free_port()
            options = (
                f"-h 127.0.0.1 -p {port} -k {root} -F "
                "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
                # No WAL beyond crash recovery: CREATE DATABASE then takes a fifth of the time.
                "-c wal_level=minimal -c max_wal_senders=0"
            )
            try:
                run(
                    str(bindir / "pg_ctl"),
                    "start",
                    "--wait",
                    "--pgdata",
                    str(data),
                    "--log",
                    str(root / "server.log"),
                    "-o",
                    options,
                )
            except RuntimeError:
                if attempt == 2:
                    raise
                continue
            started = True
            break
        yield URL.create(
            "postgresql+psycopg",
            username="postgres",
            host="127.0.0.1",
            port=port,
            database="postgres",
        )
    finally:
        if started:
            stop = [str(bindir / "pg_ctl"), "stop", "--wait", "--pgdata", str(data)]
            for mode in ("fast", "immediate"):
                args = as_postgres([*stop, "-m", mode])
                if subprocess.run(args, capture_output=True, check=False).returncode == 0:
                    break
        shutil.rmtree(root, ignore_errors=True)
        watchdog.terminate()
        watchdog.wait()


class PgServer:
    """A PostgreSQL server that hands out fresh, empty databases."""

    def __init__(self, url: URL) -> None:
        self.url = url

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        conninfo = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True)

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"navigator_test_{uuid.uuid4().hex[:12]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """PostgreSQL for the session: $NAVIGATOR_TEST_POSTGRES_URL, or a throwaway cluster."""
    given = os.environ.get(PG_URL_ENV)
    if given:
        yield PgServer(make_url(given))
        return
    bindir = _pg_bindir()
    if bindir is None:
        need_tool("pg_ctl", f"{PG_WHY}; or set {PG_URL_ENV}")
        raise AssertionError("unreachable: need_tool skips or fails")
    with _throwaway_cluster(bindir) as url:
        yield PgServer(url)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    url = pg_server.create_database()
    yield url
    pg_server.drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, once as a SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'navigator.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from navigator.cli import app
from navigator.settings import get_settings
from tests.conftest import MINI_SEED

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NAVIGATOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NAVIGATOR_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_seed_then_export_round_trip(data_dir: Path) -> None:
    result = runner.invoke(app, ["seed", "--file", str(MINI_SEED)])
    assert result.exit_code == 0, result.output
    assert "4 services" in result.output
    first = data_dir / "first.yaml"
    assert runner.invoke(app, ["export", "--out", str(first)]).exit_code == 0
    assert runner.invoke(app, ["seed", "--file", str(first)]).exit_code == 0
    second = runner.invoke(app, ["export"])
    assert second.exit_code == 0
    assert second.stdout.encode() == first.read_bytes()


def test_bad_seed_is_refused_and_database_kept(data_dir: Path) -> None:
    assert runner.invoke(app, ["seed", "--file", str(MINI_SEED)]).exit_code == 0
    before = runner.invoke(app, ["export"]).stdout
    bad = data_dir / "bad.yaml"
    bad.write_text(MINI_SEED.read_text().replace("ring: outer", "ring: middle", 1))
    result = runner.invoke(app, ["seed", "--file", str(bad)])
    assert result.exit_code == 1
    assert "services[housing]" in result.output
    assert "ring" in result.output
    assert "unchanged" in result.output
    assert runner.invoke(app, ["export"]).stdout == before


HEAVY = ("sqlalchemy", "sqlmodel", "fastapi", "starlette", "uvicorn", "networkx", "pyvis")
# Every command's --help, and a command that fails before it needs the database.
LIGHT_INVOCATIONS = [
    ["--help"],
    *(
        [*command.split(), "--help"]
        for command in (
            "serve",
            "seed",
            "export",
            "navigate",
            "analytics",
            "analytics overlap",
            "analytics gaps",
            "analytics network",
            "analytics demand",
            "keys",
            "keys create",
            "keys list",
            "keys revoke",
            "audit",
            "gp-lists",
            "gp-lists load",
            "db",
            "db upgrade",
        )
    ),
    ["analytics", "network", "--as-of", "not-a-date"],
    ["gp-lists", "load", "ric", "/nonexistent/practices.csv"],
]


def test_help_and_commands_without_a_database_load_no_database_or_web_stack() -> None:
    """`navigator --help` stays fast: the heavy libraries load inside the commands that use them.

    In a fresh interpreter, since this test process has long since imported them all.
    """
    script = f"""
import json, sys
from typer.testing import CliRunner
import navigator.cli

codes = [CliRunner().invoke(navigator.cli.app, args).exit_code for args in {LIGHT_INVOCATIONS!r}]
heavy = sorted({{m.split(".")[0] for m in sys.modules}} & set({HEAVY!r}))
print(json.dumps({{"codes": codes, "heavy": heavy}}))
"""
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    out = json.loads(run.stdout)
    assert out["codes"] == [0] * (len(LIGHT_INVOCATIONS) - 2) + [2, 1]
    assert out["heavy"] == [], "imported by `navigator --help` or a command without a database"


def test_serve_parses_http_and_runs_its_loop_in_c() -> None:
    """httptools and uvloop, named so a missing one stops the start rather than falling back
    to the pure-Python parser and loop (twice the CPU a request: bench/README.md)."""
    import uvloop
    from uvicorn.config import HTTP_PROTOCOLS
    from uvicorn.importer import import_from_string
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from navigator.serve import server_config

    config = server_config(get_settings(), "127.0.0.1", 0)
    assert import_from_string(HTTP_PROTOCOLS[str(config.http)]) is HttpToolsProtocol
    factory = config.get_loop_factory()
    assert factory is not None
    loop = factory()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_loads_the_seed_on_first_start_and_logs_no_family(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "NAVIGATOR_DATA_DIR": str(tmp_path / "data")}
    env.pop("NAVIGATOR_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "navigator", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "serve did not answer within 30 s"
                time.sleep(0.1)
            services = httpx.get(f"{base}/api/v1/services", params={"per_page": 1})
            assert services.json()["total"] >= 30
            family = {
                "postcode": "BD4 9HS",
                "stage": "postnatal",
                "child_age_months": 3,
                "needs": ["parent_infant_relationship"],
                "gp_practice": "Q7Z9X4",
            }
            assert httpx.post(f"{base}/api/v1/navigate", json=family).status_code == 200
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    assert (tmp_path / "data" / "navigator.db").exists()
    text = log.read_text()
    assert "POST /api/v1/navigate" in text, "the access log is on, and still holds no family data"
    assert "BD4 9HS" not in text
    assert "Q7Z9X4" not in text
    stored = b"".join(p.read_bytes() for p in (tmp_path / "data").iterdir())
    assert b"BD4 9HS" not in stored
    assert b"Q7Z9X4" not in stored

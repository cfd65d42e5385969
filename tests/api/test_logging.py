"""Structured logs: request ids, JSON access lines, and nothing of a family in any log."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.logging import UNMATCHED, JsonFormatter, log_config
from navigator.app import create_app
from navigator.settings import Settings
from tests.conftest import MINI_SEED

FAMILY: dict[str, Any] = {
    "postcode": "BD5 0AU",
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship"],
    "gp_practice": "Q7Z9X4",
    "from_service": "health-visiting",
}
# Everything distinctive about the family above, in the spellings a log might hold.
# The test client's own loggers (it logs the URLs it asks for): not the server's logs.
CLIENT_LOGGERS = ("httpx", "httpcore")
SECRETS = ("BD5 0AU", "BD50AU", "BD5%200AU", "BD5+0AU", "bd5 0au", "Q7Z9X4", "q7z9x4")


@pytest.fixture
def app_client() -> Iterator[TestClient]:
    app = create_app(Settings(database_url="sqlite://", seed_file=MINI_SEED))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _access(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The access lines, as the server writes them."""
    formatter = JsonFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "navigator.access"]


def test_request_id_is_kept_when_safe_and_made_otherwise(app_client: TestClient) -> None:
    given = app_client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.22_x"})
    assert given.headers["X-Request-ID"] == "lb-7f3a.22_x"
    made = [app_client.get("/healthz").headers["X-Request-ID"] for _ in range(2)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", m) for m in made)
    assert made[0] != made[1]
    for unsafe in ('a"b', "x" * 65, "-starts-with-dash", "two words", "{}"):
        got = app_client.get("/healthz", headers={"X-Request-ID": unsafe}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", got), unsafe
    # Errors carry one too.
    assert app_client.get("/api/v1/services/nowhere").headers["X-Request-ID"]
    assert app_client.get("/boom").headers["X-Request-ID"]


def test_one_json_access_line_per_request(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="navigator.access")
    before = time.perf_counter()
    r = app_client.get("/api/v1/services/housing", headers={"X-Request-ID": "req-1"})
    elapsed_ms = (time.perf_counter() - before) * 1000
    assert r.status_code == 200
    app_client.get("/api/v1/services/nowhere")
    app_client.get("/boom")
    lines = _access(caplog)
    assert len(lines) == 3
    first = lines[0]
    assert set(first) >= {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "method",
        "path",
        "status",
        "duration_ms",
    }
    assert first["request_id"] == "req-1"
    assert first["level"] == "INFO"
    assert first["logger"] == "navigator.access"
    # The route's template, not the path.
    assert (first["method"], first["path"], first["status"]) == (
        "GET",
        "/api/v1/services/{service_id}",
        200,
    )
    assert first["message"] == "GET /api/v1/services/{service_id} 200"
    assert isinstance(first["duration_ms"], float)
    # Milliseconds of this request: more than nothing, and no more than the client waited
    # (the logged figure is rounded to 0.01 ms).
    assert 0 < first["duration_ms"] <= elapsed_ms + 0.01
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["time"])
    assert [x["status"] for x in lines[1:]] == [404, 500]


def test_nothing_of_a_family_reaches_any_log(
    app_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert app_client.post("/api/v1/navigate", json=FAMILY).status_code == 200
    bad = FAMILY | {"needs": ["flying"]}
    assert app_client.post("/api/v1/navigate", json=bad).status_code == 422
    # A family's details in a query string or a path are not logged either.
    assert app_client.post("/api/v1/navigate?postcode=BD5+0AU", json=FAMILY).status_code == 200
    assert app_client.get("/api/v1/services", params={"q": "Q7Z9X4"}).status_code == 200
    assert app_client.get("/api/v1/postcodes/BD5%200AU").status_code == 200
    assert app_client.get("/api/v1/postcodes/BD50AU/x").status_code == 404
    # Slightly wrong paths match no route: logged as a fixed word, never as they came.
    for path in (
        "//api/v1/postcodes/BD5%200AU",
        "/API/v1/postcodes/BD50AU",
        "/api/v1/postcodes/BD50AU/",
        "/api/v1//postcodes/BD50AU",
        "/static/BD50AU",
        "/BD5%200AU",
    ):
        assert app_client.get(path, follow_redirects=False).status_code in (404, 307), path

    formatter = JsonFormatter()
    server_side = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    assert server_side
    text = "\n".join(formatter.format(r) for r in server_side)
    for secret in SECRETS:
        assert secret not in text, secret
    paths = [x["path"] for x in _access(caplog)]
    assert paths == [
        "/api/v1/navigate",
        "/api/v1/navigate",
        "/api/v1/navigate",
        "/api/v1/services",
        "/api/v1/postcodes/{postcode}",
        UNMATCHED,
        UNMATCHED,
        UNMATCHED,
        UNMATCHED,
        UNMATCHED,
        "/static/{path}",
        UNMATCHED,
    ]


def test_server_log_config_writes_json_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    saved = {
        name: (lg.handlers[:], lg.level, lg.propagate)
        for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access")
        for lg in [logging.getLogger(name)]
    }
    try:
        logging.config.dictConfig(log_config("info"))
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        logging.getLogger("uvicorn.access").info("GET /?postcode=BD5+0AU 200")
        try:
            raise ValueError("bad")
        except ValueError:
            logging.getLogger("navigator").exception("failed")
    finally:
        for name, (handlers, level, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [x["message"] for x in lines] == ["Started server process [42]", "failed"]
    assert lines[0]["logger"] == "uvicorn.error"
    assert "ValueError: bad" in lines[1]["exc_info"]

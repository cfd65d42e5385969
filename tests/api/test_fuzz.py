"""No input reaches a 500, on SQLite and on PostgreSQL.

Schemathesis over every operation (no 5xx, and every response matches the documented schema),
then hostile bodies of our own that a schema-driven fuzzer does not think of: non-finite numbers,
lone surrogates, NUL, deep nesting, integers past 64 bits, bytes that are not UTF-8, and dates
that are not ISO.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from navigator.app import create_app
from navigator.db import accounts, connection
from navigator.settings import DEFAULT_SEED, Settings
from tests.conftest import PgServer

# Two apps, so each operation is a test of its own on each database (and xdist spreads them).
# The database is chosen when the app starts (the fixtures below), not when it is built.
# A fuzzer sends wrong keys on purpose: it must not be rate-limited into 429s.
FUZZ_SETTINGS = {"seed_file": DEFAULT_SEED, "auth_failures_per_minute": 100_000}
APPS = {
    "sqlite": create_app(Settings(database_url="sqlite://", **FUZZ_SETTINGS)),
    "postgres": create_app(Settings(database_url="sqlite://", **FUZZ_SETTINGS)),
}
SCHEMAS = {name: schemathesis.openapi.from_asgi("/openapi.json", app) for name, app in APPS.items()}
AUTH: dict[str, dict[str, str]] = {}
CASES = {"sqlite": 0, "postgres": 0}


def _start(name: str, url: str, tmp: Path) -> Iterator[None]:
    app = APPS[name]
    app.state.settings.database_url = url  # read by the lifespan, which starts below
    # Schemathesis calls the ASGI app directly; the lifespan (database, seed, map) runs here.
    with TestClient(app):
        # An admin key, so the writes are fuzzed past the 401 too.
        with connection.writing(app.state.engine) as session:
            key = accounts.create_key(session, name="fuzzer", role="admin")
        AUTH[name] = {"Authorization": f"Bearer {key}"}
        yield
    (tmp / f"fuzz-{name}-cases.txt").write_text(str(CASES[name]))


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    folder = tmp_path_factory.mktemp("fuzz")
    yield from _start("sqlite", f"sqlite:///{folder / 'fuzz.db'}", folder)


@pytest.fixture(scope="module")
def postgres_app(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    url = pg_server.create_database()
    try:
        yield from _start("postgres", url, tmp_path_factory.mktemp("fuzz"))
    finally:
        pg_server.drop_database(url)


FUZZ = settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def _call(name: str, case: schemathesis.Case) -> None:
    CASES[name] += 1
    case.call_and_validate(
        headers=AUTH[name], checks=[not_a_server_error, response_schema_conformance]
    )


@pytest.mark.usefixtures("sqlite_app")
@SCHEMAS["sqlite"].parametrize()
@FUZZ
def test_api_survives_anything_on_sqlite(case: schemathesis.Case) -> None:
    _call("sqlite", case)


@pytest.mark.postgres
@pytest.mark.usefixtures("postgres_app")
@SCHEMAS["postgres"].parametrize()
@FUZZ
def test_api_survives_anything_on_postgres(case: schemathesis.Case) -> None:
    _call("postgres", case)


# --- hostile bodies of our own ----------------------------------------------------------------

FAMILY = (
    b'{"postcode": "BD3 9AB", "stage": "postnatal", "child_age_months": %s, '
    b'"needs": ["parent_infant_relationship"]}'
)
DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE_JSON: list[tuple[str, bytes]] = [
    ("NaN", (FAMILY % b"NaN")),
    ("Infinity", (FAMILY % b"Infinity")),
    ("-Infinity", (FAMILY % b"-Infinity")),
    ("1e400 overflows a float", (FAMILY % b"1e400")),
    ("2^63", FAMILY % str(2**63).encode()),
    ("-2^63 - 1", FAMILY % str(-(2**63) - 1).encode()),
    ("5,000 digits", FAMILY % (b"9" * 5000)),
    ("a float age", (FAMILY % b"7.5")),
    ("lone surrogate", (FAMILY % b"7").replace(b"BD3 9AB", b"\\ud800")),
    ("lone low surrogate in a key", b'{"\\udc00": 1}'),
    ("surrogate pair, fine", (FAMILY % b"7").replace(b"BD3 9AB", b"\\ud83d\\ude00")),
    ("NUL", (FAMILY % b"7").replace(b"BD3 9AB", b"BD3\\u00009AB")),
    ("raw surrogate bytes", (FAMILY % b"7").replace(b"BD3 9AB", b"\xed\xa0\x80")),
    ("not UTF-8", (FAMILY % b"7").replace(b"BD3 9AB", b"\xff\xfe")),
    ("a BOM", b"\xef\xbb\xbf" + (FAMILY % b"7")),
    ("deep nesting", DEEP.encode()),
    ("nesting 33 deep", ("[" * 33 + "]" * 33).encode()),
    ("trailing garbage", (FAMILY % b"7") + b"}"),
    ("empty", b""),
    ("null", b"null"),
    ("a list", b"[]"),
    ("a string", b'"x"'),
    ("as_of 0", (FAMILY % b"7").replace(b"}", b', "as_of": 0}')),
    ("as_of a number in a string", (FAMILY % b"7").replace(b"}", b', "as_of": "0"}')),
    ("as_of not a day", (FAMILY % b"7").replace(b"}", b', "as_of": "2021-02-30"}')),
    ("as_of with a time", (FAMILY % b"7").replace(b"}", b', "as_of": "2021-02-01T00:00"}')),
]
SERVICE_FIELDS: list[tuple[str, Any]] = [
    ("min_age_months", 2**63),
    ("max_age_months", 2**63 - 1),
    ("min_age_months", -(2**63)),
    ("max_age_months", 10**30),
    ("name", "\x00"),
    ("remit", "a\x00b"),
    ("last_verified", 0),
    ("last_verified", "1700000000"),
    ("valid_from", 1),
    ("rules", [{"kind": "age", "min_months": 2**64}]),
    ("rules", [{"kind": "any_of", "rules": [{"kind": "any_of", "rules": []}] * 2}]),
    ("rules", [{"kind": "age", "valid_from": "yesterday", "min_months": 0}]),
]


@pytest.fixture
def hostile(database_url: str) -> Iterator[tuple[TestClient, dict[str, str], FastAPI]]:
    app = create_app(Settings(database_url=database_url, seed_file=DEFAULT_SEED))
    with TestClient(app) as client:
        with connection.writing(app.state.engine) as session:
            key = accounts.create_key(session, name="fuzz", role="admin")
        yield client, {"Authorization": f"Bearer {key}"}, app


def _never_5xx(response: Any, what: str) -> None:
    assert response.status_code < 500, (what, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json"), what
    response.json()  # and the answer is itself valid JSON


def test_hostile_bodies_are_4xx_everywhere(
    hostile: tuple[TestClient, dict[str, str], FastAPI],
) -> None:
    client, auth, _ = hostile
    etag = client.get("/api/v1/services/little-minds-matter").headers["ETag"]
    targets = [
        ("POST", "/api/v1/navigate", {}),
        ("POST", "/api/v1/analytics/what-if", {}),
        ("POST", "/api/v1/services", auth),
        ("PATCH", "/api/v1/services/little-minds-matter", auth | {"If-Match": etag}),
        ("PUT", "/api/v1/services/little-minds-matter", auth | {"If-Match": etag}),
        ("POST", "/api/v1/edges", auth),
        ("POST", "/api/v1/gp-lists", auth),
        ("POST", "/api/v1/keys", auth),
    ]
    for method, path, headers in targets:
        for what, body in HOSTILE_JSON:
            r = client.request(
                method, path, content=body, headers=headers | {"content-type": "application/json"}
            )
            _never_5xx(r, f"{method} {path}: {what}")
    json_type = {"content-type": "application/json"}
    for _what, body in HOSTILE_JSON[:4]:
        r = client.post("/api/v1/navigate", content=body, headers=json_type)
        assert r.status_code == 400
        assert r.json()["detail"][0]["type"] == "json_invalid"
        assert "number" in r.json()["detail"][0]["msg"]
    # The pair is real text: it is answered, not refused.
    pair = dict(HOSTILE_JSON)["surrogate pair, fine"]
    ok = client.post("/api/v1/navigate", content=pair, headers=json_type)
    assert ok.status_code == 422  # a well-formed body whose postcode is not a postcode


@pytest.mark.parametrize(("field", "value"), SERVICE_FIELDS)
def test_hostile_service_fields_are_refused_and_nothing_is_written(
    hostile: tuple[TestClient, dict[str, str], FastAPI], field: str, value: Any
) -> None:
    client, auth, _ = hostile
    before = client.get("/api/v1/services/little-minds-matter")
    r = client.patch(
        "/api/v1/services/little-minds-matter",
        json={field: value},
        headers=auth | {"If-Match": before.headers["ETag"]},
    )
    _never_5xx(r, f"{field}={value!r}")
    assert r.status_code in (400, 422), (field, r.text)
    assert (
        client.get("/api/v1/services/little-minds-matter").headers["ETag"] == before.headers["ETag"]
    )


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/services?as_of=0",
        "/api/v1/services?as_of=2021-13-01",
        "/api/v1/services?stale_after=1",
        "/api/v1/map?as_of=-1",
        "/api/v1/analytics/overlap?min_score=nan",
        "/api/v1/analytics/overlap?min_score=inf",
        "/api/v1/analytics/overlap?limit=99999999999999999999999",
        "/api/v1/audit?since=0",
        "/api/v1/audit?entity=%00",
        "/api/v1/gp-lists/%00",
        "/api/v1/services/%ED%A0%80",
        "/api/v1/postcodes/%ED%A0%80",
        "/api/v1/edges/9223372036854775808",
        "/api/v1/services?page=-1",
        "/api/v1/services?q=" + "x" * 5000,
    ],
)
def test_hostile_queries_and_paths_are_4xx(
    hostile: tuple[TestClient, dict[str, str], FastAPI], url: str
) -> None:
    client, auth, _ = hostile
    r = client.get(url, headers=auth)
    _never_5xx(r, url)
    assert r.status_code >= 400, url


def test_every_number_a_client_sends_is_bounded(mini_client: TestClient) -> None:
    """Every integer in a request (body, query, path) has a documented minimum and maximum."""
    schema = mini_client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    found: list[str] = []
    seen: set[str] = set()

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref not in seen:
                seen.add(ref)
                name = ref.rsplit("/", 1)[-1]
                walk(components[name], name)
            if node.get("type") == "integer":
                found.append(where)
                assert "maximum" in node or "exclusiveMaximum" in node, where
                assert "minimum" in node or "exclusiveMinimum" in node, where
            for key, child in node.items():
                walk(child, f"{where}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{where}/{i}")

    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            for param in op.get("parameters", []):
                walk(param.get("schema", {}), f"{where} {param['name']}")
            walk(op.get("requestBody", {}), f"{where} body")
    assert len(found) >= 10, found

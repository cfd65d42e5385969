"""Schemathesis over every operation: no 5xx, and every response matches the documented schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from navigator.app import create_app
from navigator.db import accounts, connection
from navigator.settings import DEFAULT_SEED, Settings

app = create_app(Settings(database_url="sqlite://", seed_file=DEFAULT_SEED))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


AUTH: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Iterator[None]:
    # Schemathesis calls the ASGI app directly; the lifespan (database, seed, map) runs here.
    with TestClient(app):
        # An admin key, so the writes are fuzzed past the 401 too.
        with connection.writing(app.state.engine) as session:
            AUTH["Authorization"] = "Bearer " + accounts.create_key(
                session, name="fuzzer", role="admin"
            )
        yield


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_survives_anything(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=AUTH, checks=[not_a_server_error, response_schema_conformance])

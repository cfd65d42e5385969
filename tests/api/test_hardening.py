from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from navigator.app import create_app
from navigator.settings import Settings
from tests.conftest import MINI_SEED


def test_malformed_json_is_400(mini_client: TestClient) -> None:
    r = mini_client.post(
        "/api/v1/navigate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["detail"][0]["type"] == "json_invalid"


def test_body_over_the_limit_is_413_with_or_without_length() -> None:
    settings = Settings(database_url="sqlite://", seed_file=MINI_SEED, max_body_bytes=2048)
    with TestClient(create_app(settings)) as client:
        big = b'{"postcode": "' + b"x" * 5000 + b'"}'
        declared = client.post(
            "/api/v1/navigate", content=big, headers={"content-type": "application/json"}
        )
        assert declared.status_code == 413

        def chunks() -> Iterator[bytes]:
            yield big[:1500]
            yield big[1500:]

        streamed = client.post(
            "/api/v1/navigate", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        small = client.post("/api/v1/navigate", json={"postcode": "BD3 9AB"})
        assert small.status_code == 422


def test_cors_is_off_by_default_and_configurable(mini_client: TestClient) -> None:
    pre = {"Origin": "https://directory.example", "Access-Control-Request-Method": "GET"}
    off = mini_client.options("/api/v1/services", headers=pre)
    assert "access-control-allow-origin" not in off.headers
    settings = Settings(
        database_url="sqlite://", seed_file=MINI_SEED, cors_origins=["https://directory.example"]
    )
    with TestClient(create_app(settings)) as client:
        on = client.options("/api/v1/services", headers=pre)
        assert on.headers["access-control-allow-origin"] == "https://directory.example"
        other = client.options("/api/v1/services", headers=pre | {"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_every_body_taking_operation_documents_400_and_413(mini_client: TestClient) -> None:
    paths = mini_client.get("/openapi.json").json()["paths"]
    with_body = [
        (path, method, op)
        for path, ops in paths.items()
        for method, op in ops.items()
        if "requestBody" in op
    ]
    assert len(with_body) >= 8
    for path, method, op in with_body:
        assert {"400", "413", "422"} <= set(op["responses"]), (method, path)

"""ORUK (HSDS 3.0) and FHIR R4 feeds, validated against the official schemas and libraries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.healthcareservice import HealthcareService
from typer.testing import CliRunner

from navigator.core.models import Map
from navigator.settings import get_settings
from tests.conftest import STANDARDS

HSDS = STANDARDS / "hsds-3.0" / "compiled"
SECRET = "Confidential refuge address held by Staying Put"


def _strict(node: Any) -> Any:
    """Open Referral's strict check: no properties beyond the schema's, anywhere."""
    if isinstance(node, dict):
        if "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for value in node:
            _strict(value)
    return node


def _schema(name: str) -> jsonschema.Draft202012Validator:
    schema = _strict(json.loads((HSDS / name).read_text()))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def _errors(validator: jsonschema.Draft202012Validator, doc: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_strict_schema_rejects_what_it_should() -> None:
    validator = _schema("service_with_definitions.json")
    assert _errors(validator, {"id": "x", "name": "n", "status": "active", "colour": "red"})
    assert _errors(validator, {"id": "x", "name": "n", "status": "open"})


def test_every_seed_service_validates_as_hsds(seed_client: TestClient, seed_map: Map) -> None:
    full = _schema("service_with_definitions.json")
    for service in seed_map.services:
        r = seed_client.get(f"/oruk/services/{service.id}")
        assert r.status_code == 200
        assert _errors(full, r.json()) == [], service.id
        by_uuid = seed_client.get(f"/oruk/services/{r.json()['id']}")
        assert by_uuid.json()["id"] == r.json()["id"]


def test_service_list_pages_validate_and_page_correctly(
    seed_client: TestClient, seed_map: Map
) -> None:
    item = _schema("service_list.json")
    seen: list[str] = []
    page = 1
    while True:
        body = seed_client.get("/oruk/services", params={"page": page, "per_page": 10}).json()
        assert body["total_items"] == len(seed_map.services)
        assert body["total_pages"] == -(-len(seed_map.services) // 10)
        assert body["page_number"] == page
        assert body["first_page"] is (page == 1)
        assert body["size"] == len(body["contents"])
        for service in body["contents"]:
            assert _errors(item, service) == []
            seen.append(service["id"])
        if body["last_page"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == len(seed_map.services)
    beyond = seed_client.get("/oruk/services", params={"page": 99, "per_page": 10}).json()
    assert beyond["empty"] is True
    assert beyond["contents"] == []


def test_oruk_filters(seed_client: TestClient) -> None:
    def names(**params: Any) -> set[str]:
        body = seed_client.get("/oruk/services", params={"per_page": 500, **params}).json()
        return {s["name"] for s in body["contents"]}

    assert any("Little Minds" in n for n in names(search="litle minds"))
    housing = names(taxonomy_term_id="housing")
    assert housing
    assert not any("Little Minds" in n for n in housing)
    assert not any("Maternity" in n for n in names(minimum_age=3))
    assert names(modified_after="2099-01-01T00:00:00") == set()
    assert seed_client.get("/oruk/services", params={"per_page": 501}).status_code == 422
    assert seed_client.get("/oruk/services", params={"minimum_age": "old"}).status_code == 422


def test_oruk_about_and_taxonomies(seed_client: TestClient) -> None:
    about = seed_client.get("/oruk/").json()
    assert about["version"] == "3.0"
    assert about["openapi_url"].endswith("/openapi.json")
    terms = seed_client.get("/oruk/taxonomy_terms", params={"per_page": 500}).json()["contents"]
    assert "parent_infant_relationship" in {t["code"] for t in terms}
    assert seed_client.get("/oruk/taxonomies").json()["total_items"] == 2
    assert seed_client.get("/oruk/services/nowhere").status_code == 404


def test_fhir_resources_parse_with_fhir_resources(seed_client: TestClient, seed_map: Map) -> None:
    for service in seed_map.services:
        r = seed_client.get(f"/fhir/HealthcareService/{service.id}")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/fhir+json")
        resource = HealthcareService.model_validate(r.json())
        assert resource.id == service.id
        assert resource.name == service.name
    bundle = Bundle.model_validate(seed_client.get("/fhir/HealthcareService").json())
    assert bundle.type == "searchset"
    assert bundle.total == len(seed_map.services)
    assert len(bundle.entry or []) == len(seed_map.services)


def test_fhir_active_by_date_and_not_found(seed_client: TestClient) -> None:
    fnp = seed_client.get("/fhir/HealthcareService/family-nurse-partnership").json()
    assert fnp["active"] is False
    active = seed_client.get("/fhir/HealthcareService", params={"active": "true"}).json()
    assert "family-nurse-partnership" not in {e["resource"]["id"] for e in active["entry"]}
    missing = seed_client.get("/fhir/HealthcareService/nowhere")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"


def test_refuge_address_never_appears_in_any_output(
    seed_client: TestClient, seed_map: Map, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    da = seed_map.service("domestic-abuse")
    assert da is not None
    assert da.address == SECRET, "the seed holds the address, so this test can see a leak"
    family = {"postcode": "BD3 9AB", "stage": "antenatal", "needs": ["domestic_abuse", "housing"]}
    outputs = [
        seed_client.get("/api/v1/services", params={"per_page": 500}).text,
        seed_client.get("/api/v1/services/domestic-abuse").text,
        seed_client.get("/api/v1/map").text,
        seed_client.post("/api/v1/navigate", json=family).text,
        seed_client.get("/oruk/services", params={"per_page": 500}).text,
        seed_client.get("/oruk/services/domestic-abuse").text,
        seed_client.get("/fhir/HealthcareService").text,
        seed_client.get("/fhir/HealthcareService/domestic-abuse").text,
    ]
    from navigator.cli import app

    monkeypatch.setenv("NAVIGATOR_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["seed"]).exit_code == 0
        for fmt in ("yaml", "oruk", "fhir"):
            result = runner.invoke(app, ["export", "--format", fmt])
            assert result.exit_code == 0, result.output
            outputs.append(result.stdout)
    finally:
        get_settings.cache_clear()
    assert json.loads(outputs[-1])["resourceType"] == "Bundle"
    for text in outputs:
        assert SECRET not in text
        assert "Staying Put" in text or "domestic" in text.lower()

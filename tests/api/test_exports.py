"""ORUK (the UK profile of HSDS 3.0) and FHIR R4 feeds, validated against the official schemas."""

from __future__ import annotations

import copy
import datetime as dt
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.organization import Organization
from typer.testing import CliRunner

from navigator.app import create_app
from navigator.core.models import Map
from navigator.settings import DEFAULT_SEED, Settings, get_settings
from tests.conftest import STANDARDS

HSDS = STANDARDS / "hsds-3.0" / "compiled"
UK = STANDARDS / "oruk-3.0" / "compiled"
SECRET = "Confidential refuge address held by Staying Put"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"


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


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        _strict(schema), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@cache
def _uk(name: str) -> jsonschema.Draft202012Validator:
    return _validator(json.loads((UK / name).read_text()))


@cache
def _uk_term() -> jsonschema.Draft202012Validator:
    """The UK profile's taxonomy term, as its compiled service schema nests it."""
    service = json.loads((UK / "service.json").read_text())
    term = service["properties"]["attributes"]["items"]["properties"]["taxonomy_term"]
    return _validator(copy.deepcopy(term))


@cache
def _uk_taxonomy(with_terms: bool) -> jsonschema.Draft202012Validator:
    """HSDS 3.0's taxonomy with the UK profile's change (profile/taxonomy.json adds its terms;
    profile/metadata.json removes metadata)."""
    schema = json.loads((STANDARDS / "hsds-3.0" / "taxonomy.json").read_text())
    schema["properties"].pop("metadata")
    if with_terms:
        service = json.loads((UK / "service.json").read_text())
        term = service["properties"]["attributes"]["items"]["properties"]["taxonomy_term"]
        schema["properties"]["taxonomy_terms"] = {"type": "array", "items": term}
    return _validator(schema)


def _errors(validator: jsonschema.Draft202012Validator, doc: Any) -> list[str]:
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_strict_schema_rejects_what_it_should() -> None:
    validator = _uk("service.json")
    assert _errors(validator, {"id": str(_uuid()), "name": "n", "status": "active"}) == []
    assert _errors(validator, {"id": str(_uuid()), "name": "n", "status": "active", "x": 1})
    assert _errors(validator, {"id": str(_uuid()), "name": "n", "status": "open"})
    # What the UK profile removes from plain HSDS is refused.
    assert _errors(validator, {"id": str(_uuid()), "name": "n", "status": "active", "phones": []})


def _uuid() -> Any:
    import uuid

    return uuid.uuid4()


def test_uk_profile_examples_pass_our_strict_check() -> None:
    """The check is the standard's: its own examples pass it."""
    examples = STANDARDS / "oruk-3.0" / "examples"
    full = json.loads((examples / "service_full.json").read_text())
    assert _errors(_uk("service.json"), full) == []
    for item in json.loads((examples / "service_list.json").read_text())["contents"]:
        assert _errors(_uk("service_list.json"), item) == []
    assert _errors(_uk_term(), json.loads((examples / "taxonomy_term.json").read_text())) == []
    taxonomy = json.loads((examples / "taxonomy.json").read_text())
    assert _errors(_uk_taxonomy(True), taxonomy) == []


def test_every_seed_service_validates_against_the_uk_profile(
    seed_client: TestClient, seed_map: Map
) -> None:
    full = _uk("service.json")
    for service in seed_map.services:
        r = seed_client.get(f"/oruk/services/{service.id}")
        assert r.status_code == 200
        assert _errors(full, r.json()) == [], service.id
        by_uuid = seed_client.get(f"/oruk/services/{r.json()['id']}")
        assert by_uuid.json()["id"] == r.json()["id"]


def test_facts_the_profile_has_no_field_for_are_attributes(seed_client: TestClient) -> None:
    lmm = seed_client.get("/oruk/services/little-minds-matter").json()
    by_type: dict[str, list[str]] = {}
    for attribute in lmm["attributes"]:
        by_type.setdefault(attribute["link_type"], []).append(attribute["taxonomy_term"]["name"])
        # Every term an attribute uses can be looked up.
        term_id = attribute["taxonomy_term_id"]
        found = seed_client.get(f"/oruk/taxonomy_terms/{term_id}")
        assert found.status_code == 200, attribute
        assert found.json() == attribute["taxonomy_term"]
    assert by_type["navigator_service_id"] == ["little-minds-matter"]
    assert "Parent–infant relationship" in by_type["need"]
    assert by_type["ring"] == ["Core"]
    assert any(n == "LMM" for n in by_type["alternate_name"])
    assert by_type["eligibility"]
    assert by_type["route"]
    assert by_type["pathway"]
    assert lmm["organization"]["organization_identifiers"][0]["identifier"] == "TAD"


def test_service_list_pages_validate_and_page_correctly(
    seed_client: TestClient, seed_map: Map
) -> None:
    item = _uk("service_list.json")
    seen: list[str] = []
    page = 1
    while True:
        r = seed_client.get("/oruk/services", params={"page": page, "per_page": 10})
        assert r.headers["access-control-allow-origin"] == "*"
        body = r.json()
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
    fully = seed_client.get("/oruk/services", params={"full": "true", "per_page": 500}).json()
    assert all(_errors(_uk("service.json"), s) == [] for s in fully["contents"])


def test_every_oruk_endpoint_answers_valid_uk_profile(seed_client: TestClient) -> None:
    """Every path of the UK profile's OpenAPI description, each answer strictly valid."""
    openapi = json.loads((STANDARDS / "oruk-3.0" / "openapi.json").read_text())
    assert set(openapi["paths"]) == {
        "/",
        "/services",
        "/services/{id}",
        "/taxonomies",
        "/taxonomies/{id}",
        "/taxonomy_terms",
        "/taxonomy_terms/{id}",
        "/service_at_locations",
        "/service_at_locations/{id}",
    }
    about = seed_client.get("/oruk/").json()
    assert about["version"] == "3.0"
    assert about["openapi_url"].endswith("/openapi.json")
    taxonomies = seed_client.get("/oruk/taxonomies").json()
    assert taxonomies["total_items"] == 4
    for taxonomy in taxonomies["contents"]:
        assert _errors(_uk_taxonomy(False), taxonomy) == []
        one = seed_client.get(f"/oruk/taxonomies/{taxonomy['id']}")
        assert one.status_code == 200
        assert _errors(_uk_taxonomy(True), one.json()) == []
        assert one.json()["taxonomy_terms"]
    terms = seed_client.get("/oruk/taxonomy_terms", params={"per_page": 500}).json()
    assert "parent_infant_relationship" in {t["term"] for t in terms["contents"]}
    for term in terms["contents"]:
        assert _errors(_uk_term(), term) == []
    at = seed_client.get("/oruk/service_at_locations").json()
    assert at["total_items"] >= 1
    for item in at["contents"]:
        assert _errors(_uk("service_at_location_list.json"), item) == []
        one = seed_client.get(f"/oruk/service_at_locations/{item['id']}")
        assert one.status_code == 200
        # The OpenAPI names compiled/service.json here, evidently a slip: a service at a
        # location is what the path and its description say, so it is checked as one.
        assert _errors(_uk("service_at_location.json"), one.json()) == []
    for path in ("services", "taxonomies", "taxonomy_terms", "service_at_locations"):
        missing = seed_client.get(f"/oruk/{path}/nowhere")
        assert missing.status_code == 404
        assert missing.headers["access-control-allow-origin"] == "*"


def test_confidential_addresses_have_no_location(seed_client: TestClient) -> None:
    names = {
        i["service"]["name"]
        for i in seed_client.get("/oruk/service_at_locations", params={"per_page": 500}).json()[
            "contents"
        ]
    }
    assert names
    assert not any("Staying Put" in n or "domestic" in n.lower() for n in names)


def test_oruk_filters_mean_what_oruk_says(seed_client: TestClient, seed_map: Map) -> None:
    def names(**params: Any) -> set[str]:
        r = seed_client.get("/oruk/services", params={"per_page": 500, **params})
        assert r.status_code == 200, r.text
        return {s["name"] for s in r.json()["contents"]}

    everything = names()
    assert any("Little Minds" in n for n in names(search="litle minds"))
    housing = names(taxonomy_term_id="housing")
    assert housing
    assert housing < everything
    assert not any("Little Minds" in n for n in housing)
    terms = seed_client.get("/oruk/taxonomy_terms", params={"per_page": 500}).json()["contents"]
    housing_id = next(t["id"] for t in terms if t["term"] == "housing")
    assert names(taxonomy_term_id=housing_id) == housing
    # A kind of fact (a parent term) finds the services that have such a fact.
    phone_kind = next(t["id"] for t in terms if t["term"] == "phone" and "parent_id" not in t)
    with_phones = names(taxonomy_term_id=phone_kind)
    assert with_phones
    assert with_phones < everything
    needs_taxonomy = next(t["taxonomy_id"] for t in terms if t["term"] == "housing")
    assert names(taxonomy_id=needs_taxonomy) == everything
    assert names(taxonomy_id="00000000-0000-0000-0000-000000000000") == set()
    # minimum_age: the service's minimum age is at least the value; maximum_age: at most.
    by_name = {s.name: s for s in seed_map.services}
    for name in names(minimum_age=1):
        assert (by_name[name].min_age_months or 0) >= 12
    assert not any("Maternity" in n for n in names(minimum_age=3))
    under_two = names(maximum_age=2)
    assert under_two
    for name in under_two:
        hi = by_name[name].max_age_months
        assert hi is not None
        assert hi <= 24
    assert "Little Minds Matter" in under_two
    assert names(modified_after="2099-01-01T00:00:00") == set()
    assert names(modified_after="2000-01-01T00:00:00Z") == everything
    bdct = seed_client.get("/oruk/services/little-minds-matter").json()["organization_id"]
    assert "Little Minds Matter" in names(organization_id=bdct)
    assert seed_client.get("/oruk/services", params={"per_page": 501}).status_code == 422
    assert seed_client.get("/oruk/services", params={"minimum_age": "old"}).status_code == 422


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("services", "day"),
        ("services", "start_time"),
        ("services", "end_time"),
        ("service_at_locations", "proximity"),
        ("services", "minimal"),
        ("services", "colour"),
        ("taxonomies", "search"),
    ],
)
def test_parameters_not_honoured_answer_400_naming_them(
    seed_client: TestClient, path: str, param: str
) -> None:
    r = seed_client.get(f"/oruk/{path}", params={param: "1"})
    assert r.status_code == 400
    assert r.json()["detail"][0]["loc"] == ["query", param]
    assert r.headers["access-control-allow-origin"] == "*"


def test_postcode_finds_services_whose_areas_contain_it(seed_client: TestClient) -> None:
    def located(postcode: str) -> int:
        r = seed_client.get("/oruk/service_at_locations", params={"postcode": postcode})
        assert r.status_code == 200
        return int(r.json()["total_items"])

    assert located("BD9 6RJ") >= 1
    assert located("LS1 4AP") <= located("BD9 6RJ")
    r = seed_client.get("/oruk/service_at_locations", params={"postcode": "nonsense"})
    assert r.status_code == 422


def _edit_app(tmp_path: Path) -> tuple[TestClient, str]:
    from navigator.db import accounts, connection

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", seed_file=DEFAULT_SEED)
    client = TestClient(create_app(settings))
    client.__enter__()
    with connection.writing(client.app.state.engine) as session:  # type: ignore[attr-defined]
        key = accounts.create_key(session, name="ed", role="editor")
    return client, key


def test_incremental_sync_sees_every_edit_and_retirement(tmp_path: Path) -> None:
    client, key = _edit_app(tmp_path)
    try:
        auth = {"Authorization": f"Bearer {key}"}
        before = dt.datetime.now(dt.UTC)  # after the seed loaded: nothing changed since
        since = before.isoformat()
        assert (
            client.get("/oruk/services", params={"modified_after": since}).json()["total_items"]
            == 0
        )
        etag = client.get("/api/v1/services/smabs").headers["etag"]
        r = client.patch(
            "/api/v1/services/smabs",
            json={"remit": "Changed today."},
            headers={**auth, "If-Match": etag},
        )
        assert r.status_code == 200, r.text
        retire = client.get("/api/v1/services/baby-steps").headers["etag"]
        r = client.delete("/api/v1/services/baby-steps", headers={**auth, "If-Match": retire})
        assert r.status_code in (200, 204), r.text
        changed = client.get("/oruk/services", params={"modified_after": since}).json()
        got = {s["name"]: s for s in changed["contents"]}
        assert changed["total_items"] == 2, got.keys()
        smabs = client.get("/oruk/services/smabs").json()
        assert smabs["description"] == "Changed today."
        assert dt.datetime.fromisoformat(smabs["last_modified"]) >= before
        assert smabs["assured_date"] == "2026-11-01"  # verification is not a change
        retired = client.get("/oruk/services/baby-steps").json()
        assert retired["status"] == "inactive"
        assert retired["id"] in {s["id"] for s in changed["contents"]}
        # FHIR agrees: meta.lastUpdated and _lastUpdated come from the same trail.
        fhir = client.get("/fhir/HealthcareService/smabs").json()
        assert dt.datetime.fromisoformat(fhir["meta"]["lastUpdated"]) >= before
        recent = client.get(
            "/fhir/HealthcareService", params={"_lastUpdated": f"ge{before.date().isoformat()}"}
        ).json()
        assert {e["resource"]["id"] for e in recent.get("entry", [])} >= {"smabs", "baby-steps"}
    finally:
        client.__exit__(None, None, None)


# --- FHIR ------------------------------------------------------------------------------------


@cache
def _r4() -> dict[str, Any]:
    """HL7's FHIR R4 JSON schema (tests/standards/fhir-r4/README.md): the 4.0 release, with
    4.0.1 added to its FHIR version codes (the only difference 4.0.1 makes to what we serve)."""
    schema = json.loads((STANDARDS / "fhir-r4" / "fhir.schema.json").read_text())
    version = schema["definitions"]["CapabilityStatement"]["properties"]["fhirVersion"]
    version["enum"].append("4.0.1")
    return schema


def _r4_errors(resource: dict[str, Any]) -> list[str]:
    schema = _r4()
    root = {
        "$ref": f"#/definitions/{resource['resourceType']}",
        "definitions": schema["definitions"],
    }
    validator = jsonschema.Draft6Validator(root)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(resource)]


def test_r4_schema_rejects_what_it_should() -> None:
    assert _r4_errors({"resourceType": "HealthcareService", "id": "x", "name": "n"}) == []
    assert _r4_errors({"resourceType": "HealthcareService", "id": "x", "colour": "red"})
    assert _r4_errors({"resourceType": "HealthcareService", "id": "x", "active": "yes"})


def test_fhir_resources_validate_as_r4(seed_client: TestClient, seed_map: Map) -> None:
    for service in seed_map.services:
        r = seed_client.get(f"/fhir/HealthcareService/{service.id}")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/fhir+json")
        assert _r4_errors(r.json()) == [], service.id
        resource = HealthcareService.model_validate(r.json())  # and it parses as R4B
        assert resource.id == service.id
        assert resource.name == service.name
        assert ".example" not in r.text
    bundle = seed_client.get("/fhir/HealthcareService").json()
    assert _r4_errors(bundle) == []
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "searchset"
    assert parsed.total == len(seed_map.services)
    assert len(parsed.entry or []) == len(seed_map.services)
    metadata = seed_client.get("/fhir/metadata")
    assert metadata.headers["content-type"].startswith("application/fhir+json")
    assert _r4_errors(metadata.json()) == []
    assert metadata.json()["fhirVersion"] == "4.0.1"
    CapabilityStatement.model_validate({**metadata.json(), "fhirVersion": "4.3.0"})
    orgs = seed_client.get("/fhir/Organization").json()
    assert _r4_errors(orgs) == []
    for entry in orgs["entry"]:
        Organization.model_validate(entry["resource"])


def test_capability_statement_lists_what_is_supported(seed_client: TestClient) -> None:
    statement = seed_client.get("/fhir/metadata").json()
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {"HealthcareService", "Organization"}
    params = {p["name"] for p in resources["HealthcareService"]["searchParam"]}
    assert {"_id", "identifier", "name", "active", "_lastUpdated"} <= params
    # Each listed parameter is honoured: a value that matches nothing finds nothing.
    for name, value in [
        ("_id", "nowhere"),
        ("identifier", "nowhere"),
        ("name", "zzz"),
        ("active", "false"),
        ("_lastUpdated", "gt2099-01-01"),
        ("organization", "nowhere"),
    ]:
        body = seed_client.get("/fhir/HealthcareService", params={name: value}).json()
        assert body["total"] < 42, name


def test_providedby_references_an_organization_with_its_ods_code(
    seed_client: TestClient,
) -> None:
    lmm = seed_client.get("/fhir/HealthcareService/little-minds-matter").json()
    reference = lmm["providedBy"]["reference"]
    assert reference == "Organization/bdct"
    org = seed_client.get(f"/fhir/{reference}").json()
    assert org["identifier"] == [{"system": ODS, "value": "TAD"}]
    assert _r4_errors(org) == []
    found = seed_client.get("/fhir/Organization", params={"identifier": f"{ODS}|RAE"}).json()
    assert [e["resource"]["id"] for e in found["entry"]] == ["bthft"]
    by_org = seed_client.get("/fhir/HealthcareService", params={"organization": "bdct"}).json()
    assert "little-minds-matter" in {e["resource"]["id"] for e in by_org["entry"]}
    missing = seed_client.get("/fhir/Organization/nowhere")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"


def test_fhir_search_parameters(seed_client: TestClient, seed_map: Map) -> None:
    def ids(**params: str) -> list[str]:
        body = seed_client.get("/fhir/HealthcareService", params=params).json()
        return [e["resource"]["id"] for e in body.get("entry", []) if "id" in e["resource"]]

    assert ids(_id="smabs,midwifery") == ["midwifery", "smabs"] or set(
        ids(_id="smabs,midwifery")
    ) == {"smabs", "midwifery"}
    assert ids(identifier="little-minds-matter") == ["little-minds-matter"]
    lmm = seed_client.get("/fhir/HealthcareService/little-minds-matter").json()
    system = lmm["identifier"][0]["system"]
    assert ids(identifier=f"{system}|little-minds-matter") == ["little-minds-matter"]
    assert ids(identifier="http://other.example|little-minds-matter") == []
    uuid_id = lmm["identifier"][1]["value"]
    assert ids(identifier=uuid_id) == ["little-minds-matter"]
    # name: starts with, ignoring case; :contains anywhere; :exact exactly.
    assert ids(name="little MINDS") == ["little-minds-matter"]
    assert ids(name="minds") == []
    assert "little-minds-matter" in ids(**{"name:contains": "minds"})
    assert ids(**{"name:exact": "Little Minds Matter"}) == ["little-minds-matter"]
    assert ids(**{"name:exact": "little minds matter"}) == []
    assert "family-nurse-partnership" not in ids(active="true")
    assert "family-nurse-partnership" in ids(active="false")
    assert len(ids(_lastUpdated="gt2000-01-01")) == len(seed_map.services)
    assert ids(_lastUpdated="lt2000-01-01") == []


def test_fhir_paging_links_walk_every_service(seed_client: TestClient, seed_map: Map) -> None:
    seen: list[str] = []
    url: str | None = "/fhir/HealthcareService?_count=5"
    pages = 0
    while url:
        body = seed_client.get(url).json()
        assert _r4_errors(body) == []
        links = {link["relation"]: link["url"] for link in body["link"]}
        assert "self" in links
        if pages:
            assert "previous" in links
        seen += [e["resource"]["id"] for e in body["entry"]]
        url = links.get("next")
        pages += 1
    assert pages == -(-len(seed_map.services) // 5)
    assert sorted(seen) == sorted(s.id for s in seed_map.services)
    only_total = seed_client.get("/fhir/HealthcareService", params={"_count": "0"}).json()
    assert only_total["total"] == len(seed_map.services)
    assert "entry" not in only_total


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"_count": "many"}, 400),
        ({"_count": "501"}, 400),
        ({"active": "maybe"}, 400),
        ({"_lastUpdated": "yesterday"}, 400),
        ({"_format": "xml"}, 406),
    ],
)
def test_fhir_errors_are_operation_outcomes(
    seed_client: TestClient, params: dict[str, str], status: int
) -> None:
    r = seed_client.get("/fhir/HealthcareService", params=params)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/fhir+json")
    assert r.json()["resourceType"] == "OperationOutcome"
    assert _r4_errors(r.json()) == []


def test_unknown_fhir_parameters_are_reported_or_refused(seed_client: TestClient) -> None:
    lenient = seed_client.get("/fhir/HealthcareService", params={"colour": "red"}).json()
    outcomes = [e for e in lenient["entry"] if e["search"]["mode"] == "outcome"]
    assert "colour" in outcomes[0]["resource"]["issue"][0]["diagnostics"]
    assert _r4_errors(lenient) == []
    strict = seed_client.get(
        "/fhir/HealthcareService",
        params={"colour": "red"},
        headers={"Prefer": "handling=strict"},
    )
    assert strict.status_code == 400
    assert strict.json()["resourceType"] == "OperationOutcome"
    for path, method, status in [
        ("/fhir/Patient", "GET", 404),
        ("/fhir/HealthcareService", "POST", 405),
    ]:
        r = seed_client.request(method, path)
        assert r.status_code == status
        assert r.json()["resourceType"] == "OperationOutcome"


def test_fhir_active_by_date_and_not_found(seed_client: TestClient) -> None:
    fnp = seed_client.get("/fhir/HealthcareService/family-nurse-partnership").json()
    assert fnp["active"] is False
    missing = seed_client.get("/fhir/HealthcareService/nowhere")
    assert missing.status_code == 404
    assert missing.json()["resourceType"] == "OperationOutcome"


def test_code_systems_follow_the_public_base_url() -> None:
    settings = Settings(
        database_url="sqlite://",
        seed_file=DEFAULT_SEED,
        public_base_url="https://navigator.bradford.test/",
    )
    with TestClient(create_app(settings)) as client:
        lmm = client.get("/fhir/HealthcareService/little-minds-matter").json()
        bundle = client.get("/fhir/HealthcareService", params={"_count": 1}).json()
    assert lmm["type"][0]["coding"][0]["system"] == (
        "https://navigator.bradford.test/fhir/CodeSystem/needs"
    )
    assert bundle["link"][0]["url"].startswith(
        "https://navigator.bradford.test/fhir/HealthcareService?"
    )


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
        seed_client.get("/oruk/services", params={"per_page": 500, "full": "true"}).text,
        seed_client.get("/oruk/services/domestic-abuse").text,
        seed_client.get("/oruk/taxonomy_terms", params={"per_page": 500}).text,
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
    exported = json.loads(outputs[-1])
    assert exported["resourceType"] == "Bundle"
    assert _r4_errors(exported) == []
    oruk_export = json.loads(outputs[-2])
    assert all(_errors(_uk("service.json"), s) == [] for s in oruk_export["contents"])
    for text in outputs:
        assert SECRET not in text
        assert "Staying Put" in text or "domestic" in text.lower()
    located = seed_client.get("/oruk/service_at_locations", params={"per_page": 500}).text
    assert SECRET not in located


def test_plain_hsds_list_items_still_validate(seed_client: TestClient) -> None:
    """The list items stay valid plain HSDS 3.0 too (the UK profile only removes fields)."""
    item = _validator(json.loads((HSDS / "service_list.json").read_text()))
    for service in seed_client.get("/oruk/services", params={"per_page": 500}).json()["contents"]:
        assert _errors(item, service) == []

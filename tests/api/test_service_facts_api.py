"""Service facts in the API and the feeds (issue #13): typed contacts, never citations, as
ORUK's url and contacts and FHIR's telecom; organisations with their identifiers."""

from __future__ import annotations

from fastapi.testclient import TestClient
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.organization import Organization

from navigator.core.models import Map
from tests.api.test_exports import _errors, _uk


def test_oruk_url_and_contacts_come_from_typed_contacts(
    seed_client: TestClient, seed_map: Map
) -> None:
    full = _uk("service.json")
    for service in seed_map.services:
        body = seed_client.get(f"/oruk/services/{service.id}").json()
        assert _errors(full, body) == [], service.id
        cited = {s.url for s in service.sources if s.url and s.url != service.url()}
        assert body.get("url") == service.url(), service.id
        assert body.get("url") not in cited, service.id
        titles = [c["title"] for c in body["contacts"]]
        assert "Phone: 999" not in {t.split(" (")[0] for t in titles}, service.id
        # A switchboard is never the service's own contact.
        assert not any("01274 228300" in t for t in titles), service.id
    slt = seed_client.get("/oruk/services/speech-and-language-therapy").json()
    assert slt["url"] == "https://www.bdct.nhs.uk/how-to-refer-a-child/"
    assert "Phone: 01274 221166" in {c["title"] for c in slt["contacts"]}
    csc = seed_client.get("/oruk/services/childrens-social-care").json()
    phones = [a["taxonomy_term"]["name"] for a in csc["attributes"] if a["link_type"] == "phone"]
    assert "999" not in phones
    assert phones[0] == "01274 433999"
    others = [
        a["taxonomy_term"]["name"] for a in csc["attributes"] if a["link_type"] == "other_line"
    ]
    assert any(o.startswith("999: ") for o in others)
    hv = seed_client.get("/oruk/services/health-visiting").json()
    assert "url" not in hv
    kinds = {a["link_type"] for a in hv["attributes"]}
    assert {"no_public_contact", "catchment"} <= kinds


def test_oruk_organisations_are_one_each_with_identifiers(seed_client: TestClient) -> None:
    bdct_ids = set()
    for sid in ("little-minds-matter", "health-visiting", "smabs", "camhs", "first-response"):
        org = seed_client.get(f"/oruk/services/{sid}").json()["organization"]
        bdct_ids.add(org["id"])
        assert org["website"] == "https://www.bdct.nhs.uk"
    assert len(bdct_ids) == 1  # one organisation, not five copies of a provider's name
    pss = seed_client.get("/oruk/services/perinatal-support-service").json()["organization"]
    schemes = {i["identifier_scheme"]: i["identifier"] for i in pss["organization_identifiers"]}
    assert schemes == {"GB-CHC": "264713", "GB-COH": "01068186"}


def test_fhir_telecom_and_provided_by(seed_client: TestClient) -> None:
    csc = seed_client.get("/fhir/HealthcareService/childrens-social-care").json()
    HealthcareService.model_validate(csc)
    values = [t["value"] for t in csc["telecom"]]
    assert values[0] == "01274 433999"
    assert "999" not in values
    da = seed_client.get("/fhir/HealthcareService/domestic-abuse").json()
    assert [t["value"] for t in da["telecom"] if t["system"] == "phone"] == ["0808 2800 999"]
    lmm = seed_client.get("/fhir/HealthcareService/little-minds-matter").json()
    assert all(t["system"] != "phone" for t in lmm.get("telecom", []))
    assert "No public phone number" in lmm["extraDetails"]
    org = seed_client.get("/fhir/Organization/family-action").json()
    Organization.model_validate(org)
    assert {"system": "http://org-id.guide/list/GB-CHC", "value": "264713"} in org["identifier"]
    assert org["telecom"] == [{"system": "url", "value": "https://www.family-action.org.uk"}]


def test_the_api_serves_the_facts(seed_client: TestClient) -> None:
    body = seed_client.get("/api/v1/services/midwifery").json()
    assert body["levels_status"] == "inferred"
    assert body["contacts"][0]["value"] == "01274 364531"
    assert body["sites"][0]["postcode"] == "BD9 6RJ"
    assert body["catchment"]["areas"] == ["bradford-maternity"]
    orgs = seed_client.get("/api/v1/organisations").json()
    assert {"bdct", "bthft", "anhsft", "wy-icb"} <= {o["id"] for o in orgs}

"""The navigate contract's additions (issue #12) over HTTP, on the real seed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

HV: dict[str, Any] = {
    "postcode": "BD3 9AB",
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship"],
    "from_service": "health-visiting",
    "as_of": "2026-12-02",
}
PREGNANT: dict[str, Any] = {
    "postcode": "BD21 1AA",
    "stage": "antenatal",
    "weeks_pregnant": 30,
    "needs": ["perinatal_mental_health", "domestic_abuse"],
    "from_service": "midwifery",
    "as_of": "2026-12-02",
}


def post(client: TestClient, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    r = client.post("/api/v1/navigate", json=body)
    assert r.status_code == status, r.text
    data: dict[str, Any] = r.json()
    return data


def test_the_answer_carries_the_new_fields(seed_client: TestClient) -> None:
    body = post(seed_client, PREGNANT)
    assert body["totals"] == {
        "recommendations": len(body["recommendations"]),
        "not_eligible": len(body["not_eligible"]),
    }
    assert [n["code"] for n in body["notices"]] == ["safeguarding"]
    assert "01274 433999" in body["notices"][0]["text"]
    top = body["recommendations"][0]
    assert top["service_id"] == "domestic-abuse"
    assert top["why_ranked"].startswith("First: its remit is domestic abuse")
    assert {"kind": "phone", "value": "0808 2800 999", "own": True}.items() <= (
        top["contacts"][0].items()
    )
    assert top["contacts"][0]["label"].startswith("One Front Door")
    assert top["no_public_contact"] is None
    assert isinstance(top["inferred"], list)
    assert top["pathway_explained"][0].startswith("You refer to Bradford Survive and Thrive")
    assert "inferred" in body["lmm"]
    ids = [r["service_id"] for r in body["recommendations"]]
    assert "midwifery" not in ids


def test_a_limit_caps_each_list(seed_client: TestClient) -> None:
    full = post(seed_client, PREGNANT)
    cut = post(seed_client, PREGNANT | {"limit": 2})
    assert len(cut["recommendations"]) == 2
    assert len(cut["not_eligible"]) <= 2
    assert cut["totals"] == full["totals"]
    assert cut["recommendations"] == full["recommendations"][:2]


def test_an_offset_gives_the_next_page(seed_client: TestClient) -> None:
    full = post(seed_client, PREGNANT)
    page = post(seed_client, PREGNANT | {"limit": 2, "offset": 2})
    assert page["totals"] == full["totals"]
    assert page["recommendations"] == full["recommendations"][2:4]
    assert page["not_eligible"] == full["not_eligible"][2:4]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"offset": -1}, ["body", "offset"]),
        ({"offset": 10**20}, ["body", "offset"]),
        ({"weeks_pregnant": 3}, ["body", "weeks_pregnant"]),
        ({"weeks_pregnant": 43}, ["body", "weeks_pregnant"]),
        ({"weeks_pregnant": "30"}, ["body", "weeks_pregnant"]),
        ({"weeks_pregnant": 30.5}, ["body", "weeks_pregnant"]),
        ({"limit": 0}, ["body", "limit"]),
        ({"limit": 501}, ["body", "limit"]),
    ],
)
def test_bad_weeks_or_limit_is_422_naming_the_field(
    seed_client: TestClient, change: dict[str, Any], loc: list[Any]
) -> None:
    r = seed_client.post("/api/v1/navigate", json=PREGNANT | change)
    assert r.status_code == 422
    assert loc in [d["loc"] for d in r.json()["detail"]]


def test_weeks_are_not_allowed_once_the_baby_is_born(seed_client: TestClient) -> None:
    r = seed_client.post("/api/v1/navigate", json=HV | {"weeks_pregnant": 30})
    assert r.status_code == 422
    [detail] = r.json()["detail"]
    assert detail["loc"] == ["body", "weeks_pregnant"]
    assert "postnatal" in detail["msg"]


def test_weeks_decide_a_window_in_late_pregnancy(seed_client: TestClient) -> None:
    bsb = {"postcode": "BD3 9AB", "stage": "antenatal", "as_of": "2023-06-01"}
    needs = {"needs": ["parent_infant_relationship"]}

    def baby_steps(weeks: int | None) -> str:
        body = post(seed_client, bsb | needs | ({"weeks_pregnant": weeks} if weeks else {}))
        for r in body["recommendations"]:
            if r["service_id"] == "baby-steps":
                return str(r["eligibility"])
        return "not_eligible"

    assert baby_steps(None) == "check"
    assert baby_steps(26) == "not_eligible"
    assert baby_steps(27) == "eligible"


def test_lmm_options_use_the_contracts_ids(seed_client: TestClient) -> None:
    offer = post(seed_client, HV)["lmm"]["offer"]
    assert offer["options"] == ["triage", "drop_in"]
    assert offer["for_team"] == ["reflective_discussion"]


def test_search_says_what_each_hit_matched(seed_client: TestClient) -> None:
    r = seed_client.get("/api/v1/services", params={"q": "PND", "per_page": 500})
    assert r.status_code == 200
    body = r.json()
    ids = [s["id"] for s in body["items"]]
    assert "talking-therapies" in ids
    assert body["matched"]["talking-therapies"] == "works with “PND”: Perinatal mental health"
    keighley = seed_client.get("/api/v1/services", params={"q": "Keighley"}).json()
    assert keighley["matched"]["family-hubs"] == "works in Keighley"
    assert seed_client.get("/api/v1/services").json()["matched"] == {}

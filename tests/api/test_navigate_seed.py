"""End-to-end scenarios on the real seed, through POST /api/v1/navigate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_seed import REQUIRED_NEEDS

LMM = "little-minds-matter"
BSB_BABY = {
    "postcode": "BD3 9AB",
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship"],
}
KEIGHLEY = "BD21 1AA"


def nav(client: TestClient, **kw: Any) -> dict[str, Any]:
    r = client.post("/api/v1/navigate", json=BSB_BABY | kw)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def find(body: dict[str, Any], sid: str) -> tuple[str, dict[str, Any]]:
    for r in body["recommendations"]:
        if r["service_id"] == sid:
            return "recommended", r
    for r in body["not_eligible"]:
        if r["service_id"] == sid:
            return "not_eligible", r
    raise AssertionError(f"{sid} not listed")


def test_bsb_baby_2019_gets_lmm_with_reasons(seed_client: TestClient) -> None:
    body = nav(seed_client, as_of="2019-06-01")
    assert body["lmm"]["eligibility"] == "eligible"
    where, lmm = find(body, LMM)
    assert where == "recommended"
    assert any(
        "Better Start Bradford" in r and "Bowling and Barkerend" in r for r in lmm["reasons"]
    )
    assert any("7 months" in r for r in lmm["reasons"])


def test_too_old_at_30_months(seed_client: TestClient) -> None:
    body = nav(seed_client, as_of="2019-06-01", child_age_months=30)
    assert body["lmm"]["eligibility"] == "not_eligible"
    where, lmm = find(body, LMM)
    assert where == "not_eligible"
    assert lmm["reasons"] == ["Child is 30 months: this service works until the second birthday"]


def test_antenatal_family(seed_client: TestClient) -> None:
    fam = {k: v for k, v in BSB_BABY.items() if k != "child_age_months"}
    r = seed_client.post(
        "/api/v1/navigate", json=fam | {"stage": "antenatal", "as_of": "2021-06-01"}
    )
    body = r.json()
    assert body["lmm"]["eligibility"] == "eligible"
    assert any(r.startswith("Pregnant") for r in body["lmm"]["reasons"])
    # Services that start after the birth say so.
    for n in body["not_eligible"]:
        assert n["reasons"]


def test_keighley_through_the_years(seed_client: TestClient) -> None:
    y2019 = nav(seed_client, postcode=KEIGHLEY, as_of="2019-06-01")["lmm"]
    assert y2019["eligibility"] == "not_eligible"
    assert any("Better Start Bradford" in r for r in y2019["reasons"])
    y2021 = nav(seed_client, postcode=KEIGHLEY, as_of="2021-06-01")["lmm"]
    assert y2021["eligibility"] == "check"
    assert any("RIC" in c and "GP" in c for c in y2021["checks"])
    y2024 = nav(seed_client, postcode=KEIGHLEY, as_of="2024-06-01")["lmm"]
    assert y2024["eligibility"] == "eligible"
    assert any("Bradford district" in r for r in y2024["reasons"])


def test_before_lmm_existed(seed_client: TestClient) -> None:
    lmm = nav(seed_client, as_of="2017-06-01")["lmm"]
    assert lmm["eligibility"] == "not_eligible"
    assert lmm["reasons"] == ["Little Minds Matter started on 12 June 2018, after 1 June 2017"]
    assert lmm["offer"]["strand"] == "none"


def test_outside_the_district(seed_client: TestClient) -> None:
    body = nav(seed_client, postcode="LS1 1AA", as_of="2024-06-01")
    assert body["location"]["local_authority"] == "Leeds"
    # Leeds is in England and in West Yorkshire's NHS, never in a Bradford area.
    assert set(body["location"]["areas"]) == {"england", "west-yorkshire-nhs"}
    assert body["lmm"]["eligibility"] == "not_eligible"
    assert any("Leeds" in r and "outside" in r for r in body["lmm"]["reasons"])


def test_smabs_first_birthday_limit(seed_client: TestClient) -> None:
    needs = ["severe_perinatal_mental_illness"]
    young = nav(seed_client, needs=needs, child_age_months=11, as_of="2024-06-01")
    assert find(young, "smabs")[0] == "recommended"
    old = nav(seed_client, needs=needs, child_age_months=14, as_of="2024-06-01")
    where, smabs = find(old, "smabs")
    assert where == "not_eligible"
    assert "Child is 14 months: this service works until the first birthday" in smabs["reasons"]


def test_domestic_abuse_need(seed_client: TestClient) -> None:
    body = nav(seed_client, needs=["domestic_abuse"], as_of="2024-06-01")
    where, da = find(body, "domestic-abuse")
    assert where == "recommended"
    assert da["eligibility"] == "eligible"
    assert da["route"]["kind"] in {"self_referral", "referral"}
    assert "Confidential refuge address" not in str(body)


def test_split_sector_decides_per_unit_postcode(seed_client: TestClient) -> None:
    inside = nav(seed_client, postcode="BD5 0AU", as_of="2019-06-01")["lmm"]
    outside = nav(seed_client, postcode="BD5 0AA", as_of="2019-06-01")["lmm"]
    assert inside["eligibility"] == "eligible"
    assert outside["eligibility"] == "not_eligible"


def test_unknown_postcode_is_check_not_a_guess(seed_client: TestClient) -> None:
    body = nav(seed_client, postcode="BD3 9ZZ", as_of="2024-06-01")
    assert body["location"]["known"] is False
    assert body["lmm"]["eligibility"] == "check"
    assert any("BD3 9ZZ" in c for c in body["lmm"]["checks"])


@pytest.mark.parametrize(
    ("level", "strand", "tier"),
    [
        ("universal", "consultation", "universal_plus"),
        ("universal_plus", "consultation", "universal_plus"),
        ("targeted", "direct_clinical_work", "targeted"),
        ("specialist", "direct_clinical_work", "specialist"),
    ],
)
def test_consult_versus_refer_by_level(
    seed_client: TestClient, level: str, strand: str, tier: str
) -> None:
    offer = nav(seed_client, level=level, as_of="2024-06-01")["lmm"]["offer"]
    assert offer["strand"] == strand
    assert offer["tier"] == tier
    assert offer["interventions"]
    if level == "specialist":
        assert any("child" in i.lower() and "parent" in i.lower() for i in offer["interventions"])
    if strand == "consultation":
        assert {"triage", "drop_in"} <= set(offer["options"])


def test_pathway_from_health_visiting(seed_client: TestClient) -> None:
    body = nav(seed_client, from_service="health-visiting", as_of="2024-06-01")
    _, lmm = find(body, LMM)
    assert lmm["pathway"] == ["health-visiting", LMM]
    assert lmm["pathway_steps"][0]["kind"] == "consults"
    assert lmm["route"]["kind"] == "consultation"
    assert body["lmm"]["offer"]["training"], "health visitors are LMM's priority workforce"


def test_every_listed_service_explains_itself_and_scores_are_sorted(
    seed_client: TestClient,
) -> None:
    body = nav(
        seed_client,
        needs=["parent_infant_relationship", "perinatal_mental_health", "housing"],
        as_of="2024-06-01",
        from_service="family-hubs",
    )
    scores = [r["score"] for r in body["recommendations"]]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) >= 5
    for r in body["recommendations"] + body["not_eligible"]:
        assert r["reasons"], r["service_id"]
        assert all(x.strip() for x in r["reasons"]), r["service_id"]
    for r in body["recommendations"]:
        assert r["route"]["how"]
        if r["eligibility"] == "check":
            assert r["checks"]


FAMILIES = st.fixed_dictionaries(
    {
        "postcode": st.sampled_from(
            [
                "BD3 9AB",
                "BD21 1AA",
                "LS1 1AA",
                "BD23 1AA",
                "BD3 9ZZ",
                "bd50au",
                "LS29 8AA",
                "BD5 5AA",
            ]
        ),
        "needs": st.lists(
            st.sampled_from(sorted(REQUIRED_NEEDS)),
            min_size=1,
            max_size=5,
            unique=True,
        ),
        "level": st.sampled_from(["universal", "universal_plus", "targeted", "specialist"]),
        "as_of": st.dates(
            min_value=dt.date(2015, 1, 1),
            max_value=dt.date(2027, 12, 31),
        ).map(str),
    },
    optional={
        "from_service": st.sampled_from(["health-visiting", "midwifery", "family-hubs", "smabs"]),
        "gp_practice": st.sampled_from(["B83001", "B82005"]),
    },
).flatmap(
    lambda f: st.one_of(
        st.just(f | {"stage": "antenatal"}),
        st.integers(0, 216).map(lambda age: f | {"stage": "postnatal", "child_age_months": age}),
    )
)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(family=FAMILIES)
def test_random_families_never_break_the_contract(
    seed_client: TestClient, family: dict[str, Any]
) -> None:
    r = seed_client.post("/api/v1/navigate", json=family)
    assert r.status_code == 200, r.text
    body = r.json()
    ok = [x["service_id"] for x in body["recommendations"]]
    refused = [x["service_id"] for x in body["not_eligible"]]
    assert not set(ok) & set(refused)
    assert len(ok) == len(set(ok))
    for x in body["recommendations"] + body["not_eligible"]:
        assert x["reasons"], x
        assert all(reason.strip() for reason in x["reasons"])
        assert set(x["matched_needs"]) <= set(family["needs"])
        assert x["matched_needs"]
    assert body["lmm"]["reasons"]
    scores = [x["score"] for x in body["recommendations"]]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)

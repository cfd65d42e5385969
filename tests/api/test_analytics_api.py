"""The commissioners' endpoints: /api/v1/analytics/overlap, gaps, what-if and network."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

BASE = "/api/v1/analytics"
LMM = "little-minds-matter"
BRADFORD_MOOR = "E05001346"
KEIGHLEY_CENTRAL = "E05001355"


def cell(body: dict[str, Any], ward: str, band: str) -> dict[str, Any]:
    (found,) = [c for c in body["cells"] if c["ward_code"] == ward and c["age_band"] == band]
    return found


def assert_422(r: Any, loc: list[Any]) -> None:
    assert r.status_code == 422, r.text
    assert any(d["loc"][: len(loc)] == loc for d in r.json()["detail"]), r.json()


# --- overlap ----------------------------------------------------------------------------------


def test_overlap_pairs_sorted_each_once(seed_client: TestClient) -> None:
    r = seed_client.get(f"{BASE}/overlap", params={"as_of": "2024-06-01"})
    assert r.status_code == 200
    body = r.json()
    assert body["as_of"] == "2024-06-01"
    pairs = body["pairs"]
    assert 0 < len(pairs) <= 200
    keys = [(-p["score"], p["a"], p["b"]) for p in pairs]
    assert keys == sorted(keys)
    assert all(p["a"] < p["b"] and 0 <= p["score"] <= 1 for p in pairs)
    assert len({frozenset((p["a"], p["b"])) for p in pairs}) == len(pairs)
    first = pairs[0]
    assert set(first) >= {"shared_needs", "shared_levels", "shared_age_months", "shared_areas"}
    assert first["shared_needs"]


def test_overlap_limit_and_min_score(seed_client: TestClient) -> None:
    every = seed_client.get(f"{BASE}/overlap", params={"as_of": "2024-06-01"}).json()["pairs"]
    three = seed_client.get(f"{BASE}/overlap", params={"as_of": "2024-06-01", "limit": 3})
    assert three.json()["pairs"] == every[:3]
    high = seed_client.get(f"{BASE}/overlap", params={"as_of": "2024-06-01", "min_score": 0.7})
    assert high.json()["pairs"] == [p for p in every if p["score"] >= 0.7]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 5001}, "limit"),
        ({"min_score": 1.5}, "min_score"),
        ({"min_score": -0.1}, "min_score"),
        ({"as_of": "2024-13-01"}, "as_of"),
        ({"as_of": "yesterday"}, "as_of"),
    ],
)
def test_overlap_rejects_bad_input(
    seed_client: TestClient, params: dict[str, Any], field: str
) -> None:
    assert_422(seed_client.get(f"{BASE}/overlap", params=params), ["query", field])


# --- gaps -------------------------------------------------------------------------------------


def gaps(client: TestClient, as_of: str, **params: str) -> dict[str, Any]:
    query = {"need": "parent_infant_relationship", "level": "targeted", "as_of": as_of} | params
    r = client.get(f"{BASE}/gaps", params=query)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_gaps_show_the_baby_blind_spot_closing(seed_client: TestClient) -> None:
    before = gaps(seed_client, "2017-06-01")
    assert len(before["cells"]) == 120
    assert before["bands"] == ["pregnancy", "0-11 months", "12-23 months", "24-59 months"]
    assert LMM not in cell(before, BRADFORD_MOOR, "0-11 months")["services"]
    during = gaps(seed_client, "2019-06-01")
    assert LMM in cell(during, BRADFORD_MOOR, "0-11 months")["services"]
    assert LMM not in cell(during, KEIGHLEY_CENTRAL, "0-11 months")["services"]
    later = gaps(seed_client, "2024-06-01")
    assert LMM in cell(later, KEIGHLEY_CENTRAL, "0-11 months")["services"]


def test_gaps_default_level_is_universal_plus(seed_client: TestClient) -> None:
    r = seed_client.get(f"{BASE}/gaps", params={"need": "infant_feeding", "as_of": "2024-06-01"})
    assert r.status_code == 200
    assert r.json()["level"] == "universal_plus"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "need"),
        ({"need": "nope"}, "need"),
        ({"need": ""}, "need"),
        ({"need": "housing", "level": "extreme"}, "level"),
        ({"need": "housing", "as_of": "2024-02-30"}, "as_of"),
    ],
)
def test_gaps_reject_bad_input(seed_client: TestClient, params: dict[str, Any], field: str) -> None:
    assert_422(seed_client.get(f"{BASE}/gaps", params=params), ["query", field])


# --- what if ----------------------------------------------------------------------------------


def lmm_clone(client: TestClient, new_id: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get(f"/api/v1/services/{LMM}").json()
    return body | {"id": new_id, "name": "Little Minds Matter again"}


def test_a_proposed_clone_of_lmm_overlaps_it_and_is_not_stored(seed_client: TestClient) -> None:
    total = seed_client.get("/api/v1/services").json()["total"]
    clone = lmm_clone(seed_client, "lmm-clone")
    r = seed_client.post(f"{BASE}/what-if", json=clone, params={"as_of": "2024-06-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["overlaps"][0]["service_id"] == LMM
    assert body["overlaps"][0]["score"] >= 0.5
    scores = [o["score"] for o in body["overlaps"]]
    assert scores == sorted(scores, reverse=True)
    assert body["ring"] == "core"
    assert isinstance(body["gaps_filled"], list)
    assert any(e["target"] == "lmm-clone" for e in body["suggested_edges"])
    assert seed_client.get("/api/v1/services/lmm-clone").status_code == 404
    assert seed_client.get("/api/v1/services").json()["total"] == total


def test_what_if_reports_the_gaps_it_fills(seed_client: TestClient) -> None:
    # In 2017 no one offered specialist relationship help in pregnancy: LMM as first proposed.
    proposal = lmm_clone(seed_client, "proposed-lmm") | {
        "levels": ["specialist"],
        "rules": [{"kind": "area", "area": "bsb"}],
    }
    r = seed_client.post(f"{BASE}/what-if", json=proposal, params={"as_of": "2017-06-01"})
    assert r.status_code == 200, r.text
    filled = {
        (g["ward_code"], g["age_band"])
        for g in r.json()["gaps_filled"]
        if g["need"] == "parent_infant_relationship"
    }
    assert filled == {(w, "pregnancy") for w in ("E05001345", BRADFORD_MOOR, "E05001358")}


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"colour": "red"}, ["body", "colour"]),
        ({"needs": ["parent_infant_relationship", "nope"]}, ["body", "needs", 1]),
        ({"rules": [{"kind": "area", "area": "leeds"}]}, ["body", "rules", 0, "area"]),
        ({"levels": ["extreme"]}, ["body", "levels", 0]),
        ({"id": "Not A Slug"}, ["body", "id"]),
    ],
)
def test_what_if_rejects_bad_proposals(
    seed_client: TestClient, change: dict[str, Any], loc: list[Any]
) -> None:
    proposal = lmm_clone(seed_client, "bad-proposal") | change
    assert_422(seed_client.post(f"{BASE}/what-if", json=proposal), loc)


def test_what_if_needs_the_fields_of_a_service(seed_client: TestClient) -> None:
    proposal = lmm_clone(seed_client, "half-done")
    del proposal["needs"]
    assert_422(seed_client.post(f"{BASE}/what-if", json=proposal), ["body", "needs"])
    assert_422(
        seed_client.post(f"{BASE}/what-if", json=lmm_clone(seed_client, "x"), params={"limit": 0}),
        ["query", "limit"],
    )


BSB_WARDS = ["E05001345", BRADFORD_MOOR, "E05001358"]
MINIMAL = {
    "name": "Baby bonds",
    "needs": ["parent_infant_relationship"],
    "levels": ["specialist"],
    "min_age_months": -9,
    "max_age_months": 24,
}


def what_if(client: TestClient, body: dict[str, Any], as_of: str = "2017-06-01") -> Any:
    return client.post(f"{BASE}/what-if", json=body, params={"as_of": as_of})


def test_what_if_takes_a_minimal_proposal_in_areas(seed_client: TestClient) -> None:
    # What the commissioners' page sends: no id, provider, sources or date of checking.
    r = what_if(seed_client, MINIMAL | {"areas": ["bsb"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["service_id"] == "baby-bonds"
    assert body["replaces"] is None
    assert body["overlaps"]
    # In 2017 nobody offered specialist help with the relationship in pregnancy.
    assert {(g["ward_code"], g["age_band"]) for g in body["gaps_filled"]} == {
        (w, "pregnancy") for w in BSB_WARDS
    }
    assert seed_client.get("/api/v1/services/baby-bonds").status_code == 404


def test_what_if_takes_wards_of_the_district(seed_client: TestClient) -> None:
    in_area = what_if(seed_client, MINIMAL | {"areas": ["bsb"]}).json()
    # The Better Start Bradford area is these three wards: naming them is the same proposal.
    by_wards = what_if(seed_client, MINIMAL | {"ward_codes": list(reversed(BSB_WARDS))})
    assert by_wards.status_code == 200, by_wards.text
    assert by_wards.json() == in_area
    one = what_if(seed_client, MINIMAL | {"ward_codes": [BRADFORD_MOOR]}).json()
    assert {g["ward_code"] for g in one["gaps_filled"]} == {BRADFORD_MOOR}
    assert one["overlaps"][0]["shared_areas"] == []


def test_a_minimal_proposal_with_the_name_of_a_service_does_not_replace_it(
    seed_client: TestClient,
) -> None:
    r = what_if(seed_client, MINIMAL | {"name": "Little Minds Matter"}, as_of="2024-06-01")
    assert r.status_code == 200, r.text
    assert r.json()["service_id"] == "little-minds-matter-2"
    assert r.json()["replaces"] is None
    assert LMM in [o["service_id"] for o in r.json()["overlaps"]]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"ward_codes": [BRADFORD_MOOR, "E05000001"]}, ["body", "ward_codes", 1]),
        ({"areas": ["bsb", "leeds"]}, ["body", "areas", 1]),
        ({"areas": ["bsb"], "ward_codes": [BRADFORD_MOOR]}, ["body", "ward_codes"]),
        ({"needs": ["nope"]}, ["body", "needs", 0]),
        ({"name": ""}, ["body", "name"]),
        ({"max_age_months": -10}, ["body", "max_age_months"]),
        ({"min_age_months": 24, "max_age_months": 12}, ["body", "max_age_months"]),
    ],
)
def test_what_if_rejects_a_bad_minimal_proposal(
    seed_client: TestClient, change: dict[str, Any], loc: list[Any]
) -> None:
    assert_422(what_if(seed_client, MINIMAL | change), loc)


# --- network ----------------------------------------------------------------------------------


def test_network_finds_the_unreachable(seed_client: TestClient) -> None:
    r = seed_client.get(f"{BASE}/network", params={"as_of": "2024-06-01"})
    assert r.status_code == 200
    body = r.json()
    assert "better-place" in body["unreachable"]
    assert body["universal"] == ["health-visiting", "midwifery", "family-hubs"]
    nodes = {n["service_id"]: n for n in body["services"]}
    assert nodes["better-place"]["reachable_from_universal"] is False
    assert nodes["better-place"]["in_degree"] == 0
    assert nodes[LMM]["in_degree"] > 0
    assert set(body["articulation_points"]) <= set(nodes)


def test_network_from_services_asked(mini_client: TestClient) -> None:
    r = mini_client.get(f"{BASE}/network", params={"universal": LMM, "as_of": "2024-01-01"})
    assert r.status_code == 200
    assert r.json()["unreachable"] == ["health-visiting", "housing", "refuge"]
    # The mini map has no midwifery or family hubs: the default starts from what it holds.
    default = mini_client.get(f"{BASE}/network", params={"as_of": "2024-01-01"}).json()
    assert default["universal"] == ["health-visiting"]
    assert default["unreachable"] == ["refuge"]


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"as_of": "2024-1-1x"}, ["query", "as_of"]),
        ({"universal": ["health-visiting", "nope"]}, ["query", "universal", 1]),
    ],
)
def test_network_rejects_bad_input(
    mini_client: TestClient, params: dict[str, Any], loc: list[Any]
) -> None:
    assert_422(mini_client.get(f"{BASE}/network", params=params), loc)


def test_overlap_says_when_a_catchment_is_unknown(seed_client: TestClient) -> None:
    pairs = seed_client.get(f"{BASE}/overlap", params={"as_of": "2024-06-01"}).json()["pairs"]
    for p in pairs:
        assert p["relation"] in {
            "overlap",
            "different_places",
            "different_ages",
            "catchment_unknown",
        }
        assert set(p["parts"]) == {"needs", "levels", "age", "area", "area_known"}
        if not p["parts"]["area_known"]:
            assert p["parts"]["area"] == 0
            assert p["relation"] in {"catchment_unknown", "different_ages"}
    # Every seed service now records where it serves, so no seed pair has an unknown area. The
    # two maternity units both take any family of the Bradford District and Craven footprint
    # (families choose where to book), but each normally serves its own catchment (issue #13):
    # they meet only at Bingley, so they overlap a little there and are not duplicates.
    assert all(p["parts"]["area_known"] for p in pairs)
    (maternity,) = [p for p in pairs if {p["a"], p["b"]} == {"maternity-airedale", "midwifery"}]
    assert maternity["relation"] == "overlap"
    assert maternity["shared_areas"] == []
    assert 0 < maternity["parts"]["area"] < 0.1
    assert maternity["score"] < 1


# --- change over time -------------------------------------------------------------------------


def test_changes_tell_lmms_story(seed_client: TestClient) -> None:
    def between(start: str, end: str) -> dict[str, Any]:
        r = seed_client.get(f"{BASE}/changes", params={"from": start, "to": end})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    started = between("2018-06-11", "2018-06-12")
    assert [c["service_id"] for c in started["started"]] == [LMM]
    ric = between("2020-03-31", "2020-04-01")
    (lmm,) = [c for c in ric["rules_changed"] if c["service_id"] == LMM]
    assert lmm["catchment_changed"] is True
    assert any("RIC" in line for line in lmm["after"])
    district = between("2023-03-31", "2023-04-01")
    (lmm,) = [c for c in district["rules_changed"] if c["service_id"] == LMM]
    assert any("Bradford district" in line for line in lmm["after"])
    assert_422(seed_client.get(f"{BASE}/changes", params={"from": "2020-13-01"}), ["query", "from"])


# --- demand -----------------------------------------------------------------------------------


def test_demand_is_off_by_default(seed_client: TestClient) -> None:
    assert seed_client.get(f"{BASE}/demand").status_code == 404

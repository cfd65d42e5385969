from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from navigator.app import create_app
from navigator.settings import Settings
from tests.conftest import MINI_SEED

OK: dict[str, Any] = {
    "postcode": "bd3 9ab",
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship"],
    "level": "universal_plus",
    "from_service": "health-visiting",
    "as_of": "2021-06-01",
}


def test_navigate_answers_in_the_contracted_shape(mini_client: TestClient) -> None:
    r = mini_client.post("/api/v1/navigate", json=OK)
    assert r.status_code == 200
    body = r.json()
    assert body["as_of"] == "2021-06-01"
    assert body["location"]["postcode"] == "BD3 9AB"
    assert body["location"]["known"] is True
    assert "bsb" in body["location"]["areas"]
    top = body["recommendations"][0]
    for key in (
        "service_id",
        "name",
        "ring",
        "eligibility",
        "score",
        "matched_needs",
        "reasons",
        "checks",
        "route",
        "pathway",
    ):
        assert key in top
    assert set(body["lmm"]) >= {"eligibility", "reasons", "checks", "offer"}
    assert set(body["lmm"]["offer"]) >= {"strand", "options", "tier", "interventions"}


def test_as_of_defaults_to_today(mini_client: TestClient) -> None:
    body = mini_client.post("/api/v1/navigate", json={k: v for k, v in OK.items() if k != "as_of"})
    assert body.status_code == 200
    import datetime as dt

    assert body.json()["as_of"] == dt.date.today().isoformat()


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"colour": "blue"}, ["body", "colour"]),
        ({"postcode": "not a postcode"}, ["body", "postcode"]),
        ({"postcode": None}, ["body", "postcode"]),
        ({"stage": "born"}, ["body", "stage"]),
        ({"child_age_months": None}, ["body", "child_age_months"]),
        ({"child_age_months": False}, ["body", "child_age_months"]),
        ({"child_age_months": "7"}, ["body", "child_age_months"]),
        ({"child_age_months": -1}, ["body", "child_age_months"]),
        ({"child_age_months": 217}, ["body", "child_age_months"]),
        ({"stage": "antenatal"}, ["body", "child_age_months"]),
        ({"needs": []}, ["body", "needs"]),
        ({"needs": ["housing", "flying"]}, ["body", "needs", 1]),
        ({"level": "extreme"}, ["body", "level"]),
        ({"from_service": "nowhere"}, ["body", "from_service"]),
        ({"as_of": "2021-02-30"}, ["body", "as_of"]),
        ({"gp_practice": "B8<3"}, ["body", "gp_practice"]),
    ],
)
def test_bad_input_is_422_naming_the_field(
    mini_client: TestClient, change: dict[str, Any], loc: list[Any]
) -> None:
    r = mini_client.post("/api/v1/navigate", json=OK | change)
    assert r.status_code == 422
    locs = [d["loc"] for d in r.json()["detail"]]
    assert loc in locs, locs
    assert all(d["msg"] for d in r.json()["detail"])


def test_missing_required_fields(mini_client: TestClient) -> None:
    r = mini_client.post("/api/v1/navigate", json={})
    assert r.status_code == 422
    locs = {tuple(d["loc"]) for d in r.json()["detail"]}
    assert {("body", "postcode"), ("body", "stage"), ("body", "needs")} <= locs


def test_unknown_postcode_gives_known_false_and_checks(mini_client: TestClient) -> None:
    r = mini_client.post("/api/v1/navigate", json=OK | {"postcode": "BD3 9ZZ"})
    assert r.status_code == 200
    body = r.json()
    assert body["location"]["known"] is False
    assert body["lmm"]["eligibility"] == "check"
    assert any("Check the postcode BD3 9ZZ with the family" in c for c in body["lmm"]["checks"])


def test_nothing_of_the_family_is_stored_or_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'nav.db'}", seed_file=MINI_SEED)
    distinctive = {"postcode": "BD5 0AU", "gp_practice": "Q7Z9X4"}
    caplog.set_level(logging.DEBUG)
    with TestClient(create_app(settings)) as client:
        r = client.post("/api/v1/navigate", json=OK | distinctive)
        assert r.status_code == 200
        assert (
            client.post("/api/v1/navigate", json=OK | distinctive | {"needs": ["x"]}).status_code
            == 422
        )
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    for value in ("BD5 0AU", "BD50AU", "Q7Z9X4"):
        assert value.encode() not in stored
        assert value not in caplog.text
    assert len(stored) > 0

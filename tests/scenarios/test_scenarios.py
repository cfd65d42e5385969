"""Every family in tests/scenarios/*.yaml, asked of the real seed: the top three in order, and
what the answer must say. README.md beside this file describes the format."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ConfigDict, Field

from navigator.core.family import Family
from navigator.core.geography import PostcodeTable
from navigator.core.models import Map
from navigator.core.navigate import NavigateResult, Recommendation
from navigator.core.snapshot import Snapshot

HERE = Path(__file__).parent
# Words a check must never use: the system talking, not the practitioner.
SYSTEM_TALK = ("has not been loaded", "not in our postcode table", "cannot be checked here")


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    top_three: list[str] = Field(max_length=3)
    because: dict[str, list[str]] = {}
    asks: dict[str, list[str]] = {}
    route: dict[str, str] = {}
    notices: list[str] | None = None
    notice_says: dict[str, list[str]] = {}
    lmm: str | None = None
    not_eligible: dict[str, list[str]] = {}
    not_recommended: list[str] = []


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    family: str
    asked_by: str | None = None
    postcode: str
    stage: str
    age_months: int | None = None
    weeks_pregnant: int | None = None
    needs: list[str]
    level: str = "universal_plus"
    date: dt.date
    why: str
    expect: Expect

    def as_family(self) -> Family:
        return Family.model_validate(
            {
                "postcode": self.postcode,
                "stage": self.stage,
                "child_age_months": self.age_months,
                "weeks_pregnant": self.weeks_pregnant,
                "needs": self.needs,
                "level": self.level,
                "from_service": self.asked_by,
            }
        )


def _load() -> list[Any]:
    out = []
    for path in sorted(HERE.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            scenario = Scenario.model_validate(entry)
            out.append(pytest.param(scenario, id=f"{path.stem}: {scenario.family[:60]}"))
    return out


SCENARIOS = _load()


@pytest.fixture(scope="module")
def snap(seed_map: Map, postcodes: PostcodeTable) -> Snapshot:
    return Snapshot(map=seed_map, version=1, postcodes=postcodes)


def test_there_are_enough_families() -> None:
    assert len(SCENARIOS) >= 15


def _card(result: NavigateResult, sid: str) -> Recommendation:
    found = next((r for r in result.recommendations if r.service_id == sid), None)
    assert found is not None, f"{sid} is not recommended"
    return found


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_family(snap: Snapshot, seed_map: Map, scenario: Scenario) -> None:
    result = snap.navigate(scenario.as_family(), scenario.date)
    want = scenario.expect
    got = [r.service_id for r in result.recommendations]
    assert got[:3] == want.top_three, "\n".join(r.why_ranked for r in result.recommendations)
    for sid, words in want.because.items():
        for w in words:
            assert w in _card(result, sid).why_ranked, (sid, w)
    for sid, words in want.asks.items():
        card = _card(result, sid) if sid in got else None
        checks = " ".join(card.checks if card else result.lmm.checks)
        for w in words:
            assert w in checks, (sid, w, checks)
    for sid, route in want.route.items():
        card = _card(result, sid)
        assert route in (str(card.route.kind), " > ".join(card.pathway)), (sid, card.route)
    if want.notices is not None:
        assert [n.code for n in result.notices] == want.notices
    for code, words in want.notice_says.items():
        text = next(n.text for n in result.notices if n.code == code)
        for w in words:
            assert w in text, (code, w, text)
    if want.lmm is not None:
        assert f"{result.lmm.eligibility.value}/{result.lmm.offer.strand}" == want.lmm
    refused = {n.service_id: " ".join(n.reasons) for n in result.not_eligible}
    for sid, words in want.not_eligible.items():
        assert sid in refused, f"{sid} should not be open to this family"
        for w in words:
            assert w in refused[sid], (sid, w, refused[sid])
    for sid in want.not_recommended:
        assert sid not in got

    # What every answer owes a practitioner, whoever the family.
    assert scenario.asked_by not in got, "never the practitioner's own service"
    for r in result.recommendations:
        assert r.why_ranked, r.service_id
        for check in r.checks:
            assert not any(t in check for t in SYSTEM_TALK), check
        if len(r.pathway_steps) >= 3:
            assert "No shorter route" in (r.pathway_note or "")
        for stop in r.pathway[1:-1]:
            assert stop not in refused, f"{r.service_id}'s route goes through {stop}"
    # "Consider instead" offers only services the family can use now.
    usable = {r.service_id for r in result.recommendations if r.eligibility.value == "eligible"}
    assert set(result.lmm.offer.alternatives) <= usable

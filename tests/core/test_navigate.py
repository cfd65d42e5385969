"""Ranking, pathways and LMM's offer, on the small hand-built map."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from navigator.core.errors import UnknownNeed, UnknownService
from navigator.core.family import Family
from navigator.core.geography import PostcodeTable, locate
from navigator.core.graph import ReferralGraph
from navigator.core.models import Eligibility, Map
from navigator.core.navigate import NavigateResult, navigate


def run(m: Map, table: PostcodeTable, day: str = "2021-06-01", **kw: Any) -> NavigateResult:
    data: dict[str, Any] = {
        "postcode": "BD3 9AB",
        "stage": "postnatal",
        "child_age_months": 7,
        "needs": ["parent_infant_relationship", "housing"],
    } | kw
    f = Family.model_validate(data)
    return navigate(
        map=m,
        graph=ReferralGraph(m),
        location=locate(f.postcode, table=table, areas=m.areas),
        family=f,
        as_of=dt.date.fromisoformat(day),
    )


def test_scores_sorted_and_level_fit_before_a_check(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    res = run(mini_map, postcodes, postcode="BD21 1AA")
    scores = [r.score for r in res.recommendations]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    # Health visiting and LMM both work at Universal Plus: LMM needs a check (a RIC GP in 2021),
    # so it comes second; housing and the refuge work further from the level asked, so they
    # come after both, the one families can reach themselves first.
    assert [r.service_id for r in res.recommendations] == [
        "health-visiting",
        "little-minds-matter",
        "housing",
        "refuge",
    ]
    assert res.recommendations[1].eligibility is Eligibility.check
    assert "needs no check first" in res.recommendations[1].why_ranked


def test_only_services_meeting_a_need_are_listed(mini_map: Map, postcodes: PostcodeTable) -> None:
    res = run(mini_map, postcodes, needs=["housing"])
    listed = {r.service_id for r in res.recommendations} | {n.service_id for n in res.not_eligible}
    assert listed == {"housing", "refuge"}
    assert all(r.matched_needs == ["housing"] for r in res.recommendations)


def test_not_eligible_carries_every_failed_reason(mini_map: Map, postcodes: PostcodeTable) -> None:
    res = run(mini_map, postcodes, day="2025-01-01", postcode="LS1 1AA", child_age_months=30)
    lmm = next(n for n in res.not_eligible if n.service_id == "little-minds-matter")
    assert len(lmm.reasons) == 2
    assert "until the second birthday" in lmm.reasons[0]
    assert "outside the Bradford district" in lmm.reasons[1]
    refuge = next(n for n in res.not_eligible if n.service_id == "refuge")
    assert refuge.reasons == ["Refuge ended on 31 May 2024"]


def test_no_service_in_both_lists(mini_map: Map, postcodes: PostcodeTable) -> None:
    res = run(mini_map, postcodes, postcode="BD21 1AA", day="2019-01-01")
    ok = {r.service_id for r in res.recommendations}
    assert ok.isdisjoint({n.service_id for n in res.not_eligible})


def test_pathway_from_health_visiting_prefers_consultation(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    res = run(mini_map, postcodes, from_service="health-visiting")
    lmm = next(r for r in res.recommendations if r.service_id == "little-minds-matter")
    assert lmm.pathway == ["health-visiting", "little-minds-matter"]
    assert [s.kind for s in lmm.pathway_steps] == ["consults"]
    assert lmm.route.kind == "consultation"
    targeted = run(mini_map, postcodes, from_service="health-visiting", level="targeted")
    lmm_t = next(r for r in targeted.recommendations if r.service_id == "little-minds-matter")
    assert [s.kind for s in lmm_t.pathway_steps] == ["refers"]


def test_self_referral_when_no_edge_leads_there(mini_map: Map, postcodes: PostcodeTable) -> None:
    res = run(mini_map, postcodes, from_service="little-minds-matter", needs=["housing"])
    housing = next(r for r in res.recommendations if r.service_id == "housing")
    assert housing.pathway == ["little-minds-matter", "housing"]
    assert housing.pathway_steps[0].kind == "self_referral"


@pytest.mark.parametrize(
    ("level", "strand", "tier", "must_include"),
    [
        ("universal", "consultation", "universal_plus", "Circle of Security"),
        ("universal_plus", "consultation", "universal_plus", "Circle of Security"),
        ("targeted", "direct_clinical_work", "targeted", "EMDR"),
        ("specialist", "direct_clinical_work", "specialist", "Child–parent psychotherapy"),
    ],
)
def test_consult_versus_refer_by_level(
    mini_map: Map, postcodes: PostcodeTable, level: str, strand: str, tier: str, must_include: str
) -> None:
    offer = run(mini_map, postcodes, level=level).lmm.offer
    assert offer.strand == strand
    assert offer.tier == tier
    assert must_include in offer.interventions
    if level == "specialist":
        assert offer.interventions[:2] == ["Circle of Security", "EMDR"]
    if strand == "consultation":
        assert "triage" in offer.options


def test_lmm_block_always_present_even_without_a_relationship_need(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    res = run(mini_map, postcodes, needs=["housing"], day="2017-01-01")
    assert res.lmm.eligibility is Eligibility.not_eligible
    assert res.lmm.offer.strand == "none"
    assert "started on 12 June 2018" in res.lmm.offer.summary


def test_lmm_not_eligible_says_what_else_fits(mini_map: Map, postcodes: PostcodeTable) -> None:
    res = run(mini_map, postcodes, child_age_months=30, day="2024-01-01")
    assert res.lmm.offer.strand == "none"
    assert res.lmm.offer.alternatives == ["health-visiting"]
    assert "Consider instead: Health visiting" in res.lmm.offer.summary


def test_training_aside_for_priority_workforce(mini_map: Map, postcodes: PostcodeTable) -> None:
    assert run(mini_map, postcodes, from_service="health-visiting").lmm.offer.training
    assert run(mini_map, postcodes, from_service="housing").lmm.offer.training is None


def test_unknown_need_and_service_are_typed_errors(mini_map: Map, postcodes: PostcodeTable) -> None:
    with pytest.raises(UnknownNeed) as need:
        run(mini_map, postcodes, needs=["housing", "flying"])
    assert need.value.loc == ("needs", 1)
    with pytest.raises(UnknownService) as svc:
        run(mini_map, postcodes, from_service="nowhere")
    assert svc.value.loc == ("from_service",)

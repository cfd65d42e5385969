"""A whole answer from a practitioner's service on a small hand-built map: each recommendation
with its route, pathway in words, the note on a long or missing route, what is inferred, and why
it stands where it does."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from navigator.core.errors import UnknownNeed, UnknownService
from navigator.core.family import Family
from navigator.core.geography import Location
from navigator.core.graph import ReferralGraph
from navigator.core.models import Lead, Map, Navigation, NoticeRule, Notices
from navigator.core.navigate import RouteOut, _entry, navigate

from .build import (
    DAY,
    IN_BSB,
    IN_KEIGHLEY,
    LMM,
    RIC_LOADED,
    UNPLACED,
    answer,
    born,
    edge,
    pregnant,
    rule,
    service,
    with_map,
)

PIR, PMH, HOUSING = "parent_infant_relationship", "perinatal_mental_health", "housing"
REFER = {"kind": "referral", "how": "Use the form.", "contact": "Call 01274 111111"}
CONSULT = {"kind": "consultation", "how": "Call the duty worker.", "status": "inferred"}
SELF = {"kind": "self_referral", "how": "The family phones."}
CALL = {
    "kind": "phone",
    "value": "01274 111111",
    "label": "Call",
    "own": True,
    "source": "https://example.org/direct",
    "status": "confirmed",
}

UP = ["universal_plus"]
HV = service(
    "hv", name="Health visiting", needs=[PIR, PMH], levels=["universal", *UP], routes=[SELF]
)
MAP = with_map(
    HV,
    service(
        "direct",
        needs=[PIR],
        levels=UP,
        routes=[CONSULT, REFER],
        inferred=["needs"],
        contacts=[CALL],
    ),
    service("via", needs=[PIR], levels=UP, routes=[REFER], ring="grey"),
    service("far", needs=[PIR], levels=UP, routes=[REFER], ring="outer"),
    service("nowhere", needs=[PIR], levels=["targeted"], routes=[REFER], ring="outer"),
    service("drop-in", needs=[PIR], levels=UP, routes=[SELF], ring="grey"),
    service("mid", needs=[HOUSING], routes=[REFER]),
    service("mid-two", needs=[HOUSING], routes=[REFER]),
    edges=[
        edge(
            "hv",
            "direct",
            "consults",
            note="Ask for Team X.",
            status="inferred",
            valid_from="2020-01-01",
        ),
        edge("hv", "direct", "refers"),
        edge("hv", "mid", "refers"),
        edge("mid", "via", "refers", note="Mid forwards the form"),
        edge("mid", "mid-two", "signposts"),
        edge("mid-two", "far", "refers"),
    ],
)
FROM_HV = born(7, needs=[PIR], from_service="hv")


def test_each_recommendation_says_how_to_get_there() -> None:
    got = [
        (r.service_id, r.route.kind, r.pathway, r.pathway_explained, r.pathway_note)
        for r in answer(MAP, FROM_HV).recommendations
    ]
    assert got == [
        (
            "direct",
            "consultation",
            ["hv", "direct"],
            ["You consult Direct: Ask for Team X"],
            None,
        ),
        (
            "drop-in",
            "self_referral",
            ["hv", "drop-in"],
            ["The family contacts Drop in themselves"],
            None,
        ),
        (
            "via",
            "referral",
            ["hv", "mid", "via"],
            ["You refer to Mid", "Mid refers to Via: Mid forwards the form"],
            None,
        ),
        (
            "far",
            "referral",
            ["hv", "mid", "mid-two", "far"],
            ["You refer to Mid", "Mid tells the family about Mid two", "Mid two refers to Far"],
            "No shorter route is recorded: this one has 3 steps. "
            "Ask Far whether you can refer directly.",
        ),
        (
            LMM,
            "consultation",
            [],
            [],
            "No route from your service to Little Minds Matter is recorded: ask them how to refer.",
        ),
        (
            "nowhere",
            "referral",
            [],
            [],
            "No route from your service to Nowhere is recorded: ask them how to refer.",
        ),
    ]


def test_each_recommendation_says_why_it_stands_there() -> None:
    assert [r.why_ranked for r in answer(MAP, FROM_HV).recommendations] == [
        "First: it helps with parent–infant relationship at Universal Plus, the level you asked; "
        "you can consult them directly.",
        "Second: it helps with parent–infant relationship at Universal Plus, the level you asked; "
        "the family can contact them themselves (below Direct because Direct is easier to reach).",
        "Third: it helps with parent–infant relationship at Universal Plus, the level you asked; "
        "the route goes through one other service (Mid) "
        "(below Drop in because Drop in is easier to reach).",
        "Fourth: it helps with parent–infant relationship at Universal Plus, the level you asked; "
        "only a long route is recorded (3 steps) (below Via because Via is easier to reach).",
        "Fifth: it helps with parent–infant relationship at Universal Plus, the level you asked; "
        "no route from your service is recorded (below Far because Far is easier to reach).",
        "6th: it helps with parent–infant relationship but it works at Targeted, not Universal "
        "Plus; no route from your service is recorded "
        "(below Little Minds Matter because Little Minds Matter works nearer the level asked).",
    ]


def test_a_whole_recommendation() -> None:
    direct = answer(MAP, FROM_HV).recommendations[0]
    assert direct.model_dump(mode="json") == {
        "service_id": "direct",
        "name": "Direct",
        "ring": "core",
        "eligibility": "eligible",
        "score": 0.44433,  # no lead: below 0.45
        "matched_needs": [PIR],
        "reasons": ["Open to every family: no age, area or GP rule applies"],
        "checks": [],
        "route": {"kind": "consultation", "how": "Call the duty worker.", "contact": None},
        "pathway": ["hv", "direct"],
        "pathway_steps": [{"source": "hv", "target": "direct", "kind": "consults"}],
        "why_ranked": "First: it helps with parent–infant relationship at Universal Plus, the "
        "level you asked; you can consult them directly.",
        "inferred": [
            "That it helps with Parent–infant relationship",
            "How to get there: that professionals can consult it",
            "That Health visiting consults Direct",
        ],
        "contacts": [CALL | {"hours": None, "source_title": None, "note": None}],
        "no_public_contact": None,
        "pathway_explained": ["You consult Direct: Ask for Team X"],
        "pathway_note": None,
    }


def test_the_entries_are_what_validating_them_gives(seed_map: Map) -> None:
    """Entries are built without validation (navigate._entry): each must equal the validated
    model of its own values, with every field set; a field left out is refused."""
    every_need = [n.code for n in seed_map.needs]
    result = answer(seed_map, born(30, needs=every_need, from_service="health-visiting"))
    entries = [*result.recommendations, *result.not_eligible]
    assert result.recommendations
    assert result.not_eligible
    for entry in entries + [r.route for r in result.recommendations]:
        validated = type(entry).model_validate(entry.model_dump())
        assert entry == validated
        assert entry.model_fields_set == set(type(entry).model_fields)
        assert entry.model_dump_json() == validated.model_dump_json()
    with pytest.raises(TypeError, match="contact"):
        _entry(RouteOut, kind="none", how="No route")
    with pytest.raises(TypeError, match="extra"):
        _entry(RouteOut, kind="none", how="No route", contact=None, extra=1)


def test_without_a_service_of_their_own_no_pathway_is_given() -> None:
    res = answer(MAP, born(7, needs=[PIR]))
    got = [(r.service_id, r.pathway, r.pathway_note, r.why_ranked) for r in res.recommendations]
    assert got[:2] == [
        (
            "direct",
            [],
            None,
            "First: it helps with parent–infant relationship at Universal Plus, the level you "
            "asked; you can consult them directly.",
        ),
        (
            LMM,
            [],
            None,
            "Second: it helps with parent–infant relationship at Universal Plus, the level you "
            "asked; you can consult them directly (below Direct because it stands level with "
            "Direct, listed by name).",
        ),
    ]
    assert {r.service_id for r in res.recommendations} == {
        "direct",
        "drop-in",
        "via",
        "far",
        LMM,
        "nowhere",
        "hv",
    }


def test_a_route_goes_round_a_service_the_family_cannot_use() -> None:
    # `mid` closes its doors to families outside the BSB area: from Keighley, Via is reached
    # the longer way round, and Far (only through mid) not at all.
    bsb_only = service("mid", needs=[HOUSING], routes=[REFER], rules=[rule("area", area="bsb")])
    m = MAP.model_copy(
        update={
            "services": [s if s.id != "mid" else bsb_only for s in MAP.services]
            + [service("other", needs=[HOUSING]), service("other-two", needs=[HOUSING])],
            "edges": [
                *MAP.edges,
                edge("hv", "other", "refers"),
                edge("other", "other-two", "refers"),
                edge("other-two", "via", "refers"),
            ],
        }
    )
    graph = ReferralGraph(m)  # one graph for both families, as the server shares it

    def pathways(where: Location) -> dict[str, list[str]]:
        res = navigate(map=m, graph=graph, location=where, family=FROM_HV, as_of=DAY)
        return {r.service_id: r.pathway for r in res.recommendations}

    assert pathways(IN_KEIGHLEY)["via"] == ["hv", "other", "other-two", "via"]
    assert pathways(IN_KEIGHLEY)["far"] == []
    assert pathways(IN_BSB)["via"] == ["hv", "mid", "via"]
    assert pathways(IN_KEIGHLEY)["via"] == ["hv", "other", "other-two", "via"]


@pytest.mark.parametrize(
    ("family", "where", "day"),
    [
        (born(7, needs=[PIR], from_service="hv"), IN_KEIGHLEY, DAY),
        (born(7, needs=[PIR], from_service="hv"), IN_BSB, dt.date(2019, 1, 1)),
        (born(30, needs=[PIR], from_service="hv"), IN_BSB, DAY),
        (pregnant(20, needs=[PIR], from_service="hv"), IN_BSB, DAY),
        (pregnant(None, needs=[PIR], from_service="hv"), IN_BSB, DAY),
        (born(7, needs=[PIR], from_service="hv", gp_practice="B99999"), IN_BSB, DAY),
        (born(7, needs=[PIR], from_service="hv"), UNPLACED, DAY),
    ],
)
def test_a_shared_graph_never_mixes_two_families_routes(
    family: Family, where: Location, day: dt.date
) -> None:
    # What `mid` asks: each thing a rule can look at (day, stage, age, weeks, GP, place).
    strict = service(
        "mid",
        needs=[HOUSING],
        routes=[REFER],
        min_age_months=0,
        max_age_months=24,
        valid_from="2020-01-01",
        rules=[
            rule("area", area="bsb"),
            rule("gp_list", gp_list="ric"),
        ],
    )
    m = MAP.model_copy(
        update={
            "services": [s if s.id != "mid" else strict for s in MAP.services],
            "gp_lists": [RIC_LOADED],
        }
    )
    shared = ReferralGraph(m)
    ok = born(7, needs=[PIR], from_service="hv", gp_practice="B83001")
    first = navigate(map=m, graph=shared, location=IN_BSB, family=ok, as_of=DAY)
    assert next(r for r in first.recommendations if r.service_id == "via").pathway == [
        "hv",
        "mid",
        "via",
    ]
    alone = navigate(map=m, graph=ReferralGraph(m), location=where, family=family, as_of=day)
    after = navigate(map=m, graph=shared, location=where, family=family, as_of=day)
    assert after == alone


def test_a_check_stands_below_a_yes_and_says_so() -> None:
    m = with_map(
        service("asks", levels=UP, routes=[REFER], rules=[rule("criterion", text="X")]),
        service("sure", levels=UP, routes=[REFER], ring="outer"),
    )
    recs = answer(m, born(7, needs=[HOUSING])).recommendations
    assert [(r.service_id, r.eligibility.value, r.checks) for r in recs[:2]] == [
        ("sure", "eligible", []),
        ("asks", "check", ["Ask whether X"]),
    ]
    assert recs[1].why_ranked.endswith("(below Sure because Sure needs no check first).")


def test_the_second_lead_for_a_need_waits_for_the_first_of_another() -> None:
    leads = [
        Lead(need=HOUSING, services=["h-one", "h-two"], because="for housing"),
        Lead(need=PIR, services=["p-one"], because="for bonding"),
    ]
    m = with_map(
        service("h-one", needs=[HOUSING], levels=UP, routes=[REFER]),
        service("h-two", needs=[HOUSING], levels=UP, routes=[REFER]),
        service("p-one", needs=[PIR], levels=UP, routes=[SELF]),
        leads=leads,
    )
    recs = answer(m, born(7, needs=[HOUSING, PIR])).recommendations
    assert [r.service_id for r in recs] == ["h-one", "p-one", "h-two", LMM]
    assert recs[2].why_ranked == (
        "Third: its remit is for housing, at Universal Plus, the level you asked; you can refer "
        "directly (below P one because H one already stands higher for this need)."
    )


def test_crisis_and_safeguarding_notices_name_the_first_service_the_family_can_use() -> None:
    notices = Notices(
        crisis=NoticeRule(needs=[PMH], services=["closed", "crisis-line"], text="Call {service}."),
        safeguarding=NoticeRule(needs=[HOUSING], services=["nope"], text="Tell {service}."),
    )
    m = with_map(
        service("closed", needs=[PMH], valid_to="2020-01-01"),
        service("crisis-line", needs=[PMH]),
    ).model_copy(update={"navigation": Navigation(notices=notices)})
    res = answer(m, born(7, needs=[PMH, HOUSING]))
    assert [n.model_dump() for n in res.notices] == [
        {"code": "crisis", "text": "Call Crisis line."},
        {"code": "safeguarding", "text": "Tell the service."},
    ]


@pytest.mark.parametrize(
    ("where", "day", "expected"),
    [
        (
            IN_BSB,
            DAY,
            {
                "eligibility": "eligible",
                "reasons": [
                    "Child is 7 months: within pregnancy to the second birthday",
                    "Lives in the Bradford district (Bowling and Barkerend ward)",
                ],
                "checks": [],
                "inferred": ["The rule “Lives in the Bradford district” (from 1 April 2023)"],
            },
        ),
        (
            IN_KEIGHLEY,
            dt.date(2021, 6, 1),
            {
                "eligibility": "check",
                "reasons": [
                    "Child is 7 months: within pregnancy to the second birthday",
                    "Lives in Keighley Central ward (Bradford), outside the Better Start "
                    "Bradford area",
                    "The family's GP practice was not given",
                ],
                "checks": ["Check whether the family is registered with a RIC GP practice"],
                "inferred": [],
            },
        ),
    ],
)
def test_lmms_own_answer(where: Location, day: dt.date, expected: dict[str, Any]) -> None:
    lmm = answer(MAP, FROM_HV, where=where, day=day).lmm.model_dump(mode="json")
    assert {k: lmm[k] for k in expected} == expected
    assert lmm["offer"]["strand"] == "consultation"


def test_two_services_of_one_name_both_closed_are_both_listed() -> None:
    gone = {"valid_to": "2020-01-01", "name": "Same"}
    m = with_map(service("same-a", **gone), service("same-b", **gone))
    res = answer(m, born(7, needs=[HOUSING]))
    assert sorted(n.service_id for n in res.not_eligible) == ["same-a", "same-b"]


@pytest.mark.parametrize(
    ("family", "error", "message", "loc"),
    [
        (
            born(7, needs=[PIR, "flying"]),
            UnknownNeed,
            "unknown need 'flying': it is not in the needs list",
            ("needs", 1),
        ),
        (
            born(7, needs=[PIR], from_service="nowhere-known"),
            UnknownService,
            "'nowhere-known' is not a known service id",
            ("from_service",),
        ),
    ],
)
def test_a_need_or_service_the_map_does_not_know_is_refused_by_name(
    family: Family, error: type[Exception], message: str, loc: tuple[object, ...]
) -> None:
    with pytest.raises(error) as caught:
        answer(MAP, family)
    assert (str(caught.value), getattr(caught.value, "loc", None)) == (message, loc)


def test_why_names_every_need_a_service_meets() -> None:
    recs = answer(MAP, born(7, needs=[PIR, PMH])).recommendations
    hv = next(r for r in recs if r.service_id == "hv")
    assert hv.why_ranked == (
        "Fifth: it helps with parent–infant relationship, perinatal mental health at Universal "
        "Plus, the level you asked; the family can contact them themselves (below Far because "
        "Far is easier to reach)."
    )

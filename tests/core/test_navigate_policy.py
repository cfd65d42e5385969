"""Navigate's policy, on small hand-built maps: which route to offer (by level, after a
consultation, when the family goes themselves), LMM's offer at each level and for complex needs,
what it suggests instead, and whose services are listed."""

from __future__ import annotations

from typing import Any

import pytest

from navigator.core.family import Family
from navigator.core.geography import Location
from navigator.core.models import Eligibility, LmmOffer, Map, Navigation, Service
from navigator.core.navigate import Recommendation

from .build import IN_BSB, IN_LEEDS, LMM, MINI, answer, born, edge, service, with_map

PIR, PMH, HOUSING = "parent_infant_relationship", "perinatal_mental_health", "housing"
REFER = {"kind": "referral", "how": "Use the referral form.", "contact": "01274 111111"}
REFER_AGAIN = {"kind": "referral", "how": "Write to the team.", "contact": "01274 222222"}
CONSULT = {"kind": "consultation", "how": "Call the duty worker.", "contact": "01274 333333"}
SELF = {"kind": "self_referral", "how": "The family phones.", "contact": "01274 444444"}
HV = service(
    "hv", needs=[PIR, PMH], levels=["universal", "universal_plus", "targeted"], routes=[SELF]
)


def recommended(m: Map, family: Family, sid: str, **kw: Any) -> Recommendation:
    return next(r for r in answer(m, family, **kw).recommendations if r.service_id == sid)


# --- which route ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "routes", "edges", "expected"),
    [
        # Consult before refer at the levels the policy names; refer first above them.
        ("universal_plus", [REFER, CONSULT, SELF], None, CONSULT),
        ("universal", [REFER, CONSULT, SELF], None, CONSULT),
        ("targeted", [CONSULT, REFER, SELF], None, REFER),
        ("specialist", [CONSULT, REFER, SELF], None, REFER),
        # A practitioner's route through a consultation ends in a consultation, at any level.
        ("targeted", [REFER, CONSULT, SELF], [edge("hv", "svc", "consults")], CONSULT),
        ("targeted", [REFER, CONSULT, SELF], [edge("hv", "svc", "refers")], REFER),
        ("targeted", [REFER, CONSULT, SELF], [edge("hv", "svc", "signposts")], REFER),
        ("universal", [REFER, CONSULT, SELF], [edge("hv", "svc", "refers")], CONSULT),
        # Where the route has the family going themselves, say how they do.
        ("universal", [REFER, CONSULT, SELF], [], SELF),
        ("targeted", [REFER, CONSULT, SELF], [], SELF),
        # What the service offers, in that order; the first route of a kind.
        ("targeted", [CONSULT, SELF], None, CONSULT),
        ("universal", [REFER, SELF], None, REFER),
        ("universal", [SELF], None, SELF),
        ("targeted", [REFER_AGAIN, REFER], None, REFER_AGAIN),
        ("universal", [CONSULT, SELF, REFER_AGAIN, REFER], None, CONSULT),
    ],
)
def test_route_offered(
    level: str,
    routes: list[dict[str, str]],
    edges: list[Any] | None,
    expected: dict[str, str],
) -> None:
    m = with_map(HV, service("svc", routes=routes), edges=edges)
    family = born(7, level=level, **({"from_service": "hv"} if edges is not None else {}))
    route = recommended(m, family, "svc").route
    assert route.model_dump() == expected


def test_no_route_recorded_says_to_contact_the_service() -> None:
    route = recommended(with_map(service("svc")), born(7), "svc").route
    assert route.model_dump() == {
        "kind": "none",
        "how": "No referral route is recorded: contact the service first",
        "contact": None,
    }


# --- LMM's offer ---------------------------------------------------------------------------------


def lmm_offer() -> LmmOffer:
    """The mini map's catalogue with an 'ongoing' consultation for complex cases, a contact and
    a summary that names the tier."""
    data = MINI.lmm.model_dump()
    data["consultation_types"].append(
        {"id": "ongoing", "name": "Ongoing", "description": "Regular calls.", "when": "Complex."}
    )
    data["offer_by_level"] = [
        {
            "levels": ["universal", "universal_plus"],
            "strand": "consultation",
            "options": ["triage"],
            "complex_options": ["ongoing"],
            "tier": "universal_plus",
            "summary": "Consult at the {level} tier.",
        },
        {
            "levels": ["targeted", "specialist"],
            "strand": "direct_clinical_work",
            "for_team": ["triage"],
            "summary": "Refer at the {level} tier.",
        },
    ]
    data["contact"] = "Triage line 01274 555555"
    data["training_priority_services"] = ["hv"]
    # A description ending in X: only its full stop is taken off.
    data["training"][0]["description"] = "A full day on part X."
    return LmmOffer.model_validate(data)


OFFER_MAP = with_map(HV).model_copy(update={"lmm": lmm_offer()})


@pytest.mark.parametrize(
    ("level", "needs", "expected"),
    [
        (
            "universal",
            [PIR],
            {
                "strand": "consultation",
                "options": ["triage"],
                "tier": "universal_plus",
                "interventions": ["Circle of Security"],
                "summary": "Consult at the universal plus tier.",
                "for_team": [],
            },
        ),
        # The complex-needs boundary: three needs or more.
        (
            "universal_plus",
            [PIR, HOUSING],
            {
                "strand": "consultation",
                "options": ["triage"],
                "tier": "universal_plus",
                "interventions": ["Circle of Security"],
                "summary": "Consult at the universal plus tier.",
                "for_team": [],
            },
        ),
        (
            "universal_plus",
            [PIR, HOUSING, PMH],
            {
                "strand": "consultation",
                "options": ["triage", "ongoing"],
                "tier": "universal_plus",
                "interventions": ["Circle of Security"],
                "summary": "Consult at the universal plus tier.",
                "for_team": [],
            },
        ),
        # No tier in the rule: the family's own level.
        (
            "targeted",
            [PIR],
            {
                "strand": "direct_clinical_work",
                "options": [],
                "tier": "targeted",
                "interventions": ["Circle of Security", "EMDR"],
                "summary": "Refer at the targeted tier.",
                "for_team": ["triage"],
            },
        ),
        (
            "specialist",
            [PIR, HOUSING, PMH],
            {
                "strand": "direct_clinical_work",
                "options": [],
                "tier": "specialist",
                "interventions": ["Circle of Security", "EMDR", "Child–parent psychotherapy"],
                "summary": "Refer at the specialist tier.",
                "for_team": ["triage"],
            },
        ),
    ],
)
def test_lmm_offer_by_level_and_needs(
    level: str, needs: list[str], expected: dict[str, Any]
) -> None:
    lmm = answer(OFFER_MAP, born(7, level=level, needs=needs)).lmm
    assert lmm.eligibility is Eligibility.eligible
    offer = lmm.offer.model_dump(mode="json")
    assert offer == expected | {
        "contact": "Triage line 01274 555555",
        "training": None,
        "alternatives": [],
    }


@pytest.mark.parametrize(
    ("from_service", "training"),
    [
        ("hv", "Ask about Infant Mental Health Awareness (A full day on part X)."),
        ("svc", None),
        (None, None),
    ],
)
@pytest.mark.parametrize("age", [7, 30])
def test_training_is_offered_to_the_priority_workforce(
    from_service: str | None, training: str | None, age: int
) -> None:
    m = OFFER_MAP.model_copy(update={"services": [*OFFER_MAP.services, service("svc")]})
    family = born(age, needs=[PIR], **({"from_service": from_service} if from_service else {}))
    assert answer(m, family).lmm.offer.training == training


def pir_service(sid: str, **kw: Any) -> Service:
    return service(sid, **({"needs": [PIR], "routes": [REFER]} | kw))


def test_when_lmm_cannot_help_it_names_up_to_three_that_can_best_first() -> None:
    m = with_map(
        pir_service("a-first", ring="core"),
        pir_service("b-second", ring="grey"),
        pir_service("c-asks-first", ring="core", rules=[{"kind": "criterion", "text": "Ask"}]),
        pir_service("d-third", ring="outer"),
        pir_service("e-fourth", ring="outer", needs=[PIR, HOUSING]),
        service("housing-only", routes=[REFER]),
    )
    lmm = answer(m, born(30, needs=[PIR, HOUSING])).lmm  # too old for LMM (under 2s)
    assert lmm.eligibility is Eligibility.not_eligible
    assert lmm.reasons == ["Child is 30 months: this service works until the second birthday"]
    # e-fourth meets both needs, so it ranks first; the one needing a check is left out.
    assert lmm.offer.model_dump(mode="json") == {
        "strand": "none",
        "options": [],
        "tier": None,
        "interventions": [],
        "summary": "LMM cannot help: Child is 30 months: this service works until the second "
        "birthday. Consider instead: E fourth, A first, B second.",
        "contact": None,
        "for_team": [],
        "training": None,
        "alternatives": ["e-fourth", "a-first", "b-second"],
    }


@pytest.mark.parametrize(
    ("where", "summary"),
    [
        (
            IN_BSB,
            "LMM cannot help: Child is 30 months: this service works until the second birthday.",
        ),
        (
            IN_LEEDS,
            "LMM cannot help: Child is 30 months: this service works until the second birthday; "
            "Lives in Little London and Woodhouse ward (Leeds), outside the Bradford district. "
            "Ask at Leeds's Hub X.",
        ),
    ],
)
def test_when_nothing_else_fits_lmm_says_so_and_where_to_look(
    where: Location, summary: str
) -> None:
    nav = Navigation(district_area="bradford-district").model_copy(
        update={
            "notices": Navigation().notices.model_copy(
                update={"outside_no_pointer": "Ask at {authority}'s Hub X."}
            )
        }
    )
    m = with_map(service("housing-only", routes=[REFER])).model_copy(update={"navigation": nav})
    lmm = answer(m, born(30, needs=[HOUSING]), where=where).lmm
    assert (lmm.offer.summary, lmm.offer.alternatives) == (summary, [])


# --- whose services, how many --------------------------------------------------------------------


def test_the_practitioners_own_service_is_never_listed() -> None:
    m = with_map(HV, pir_service("other", max_age_months=72))
    for age in (7, 80):  # eligible, and not (HV's window is open; `other` closes at 6 years)
        res = answer(m, born(age, needs=[PIR], from_service="hv"))
        listed = [r.service_id for r in res.recommendations] + [
            n.service_id for n in res.not_eligible
        ]
        assert "hv" not in listed
        assert LMM in listed
    assert "hv" in [r.service_id for r in answer(m, born(7, needs=[PIR])).recommendations]


def test_a_service_meeting_two_needs_is_listed_once_with_both_in_the_familys_order() -> None:
    res = answer(with_map(HV), born(7, needs=[PMH, HOUSING, PIR]))
    hv = [r for r in res.recommendations if r.service_id == "hv"]
    assert [r.matched_needs for r in hv] == [[PMH, PIR]]


def test_not_eligible_most_needs_met_first_then_by_name() -> None:
    gone = {"valid_to": "2020-01-01"}
    m = with_map(
        service("zeta", needs=[HOUSING], **gone),
        service("alpha", needs=[HOUSING], **gone),
        service("both", needs=[HOUSING, PMH], **gone),
        service("open", needs=[HOUSING]),
        keep_lmm=True,
    )
    res = answer(m, born(7, needs=[HOUSING, PMH]))
    assert [(n.service_id, n.matched_needs) for n in res.not_eligible] == [
        ("both", [HOUSING, PMH]),
        ("alpha", [HOUSING]),
        ("zeta", [HOUSING]),
    ]
    assert res.not_eligible[1].model_dump() == {
        "service_id": "alpha",
        "name": "Alpha",
        "ring": "core",
        "matched_needs": [HOUSING],
        "reasons": ["Alpha ended on 1 January 2020"],
    }


@pytest.mark.parametrize(("limit", "shown"), [(None, 3), (1, 1), (2, 2), (3, 3)])
def test_a_limit_caps_each_list_and_the_totals_count_all(limit: int | None, shown: int) -> None:
    gone = {"valid_to": "2020-01-01"}
    m = with_map(
        *[service(f"open-{i}") for i in range(3)],
        *[service(f"gone-{i}", **gone) for i in range(3)],
    )
    res = answer(m, born(7), limit=limit)
    assert (len(res.recommendations), len(res.not_eligible)) == (shown, shown)
    assert res.totals.model_dump() == {"recommendations": 3, "not_eligible": 3}
    assert [r.service_id for r in res.recommendations] == ["open-0", "open-1", "open-2"][:shown]
    assert [n.service_id for n in res.not_eligible] == ["gone-0", "gone-1", "gone-2"][:shown]


def test_alike_services_are_listed_by_name() -> None:
    m = with_map(service("zulu"), service("alpha"), service("mike"))
    assert [r.service_id for r in answer(m, born(7)).recommendations] == ["alpha", "mike", "zulu"]


def test_without_a_limit_each_list_holds_fifty() -> None:
    gone = {"valid_to": "2020-01-01"}
    m = with_map(
        *[service(f"open-{i:02}") for i in range(51)],
        *[service(f"gone-{i:02}", **gone) for i in range(51)],
    )
    res = answer(m, born(7))
    assert (len(res.recommendations), len(res.not_eligible)) == (50, 50)
    assert res.totals.model_dump() == {"recommendations": 51, "not_eligible": 51}

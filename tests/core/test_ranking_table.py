"""Ranking, part by part: each part of a service's standing pinned on small hand-built cases,
and the sentence that says why it stands where it does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from navigator.core.graph import Pathway, Step
from navigator.core.models import Lead as LeadEntry
from navigator.core.models import Level, Ring
from navigator.core.ranking import (
    Ease,
    Lead,
    Standing,
    ease_of,
    leads_for,
    standing,
    why_ranked,
)

from .build import service, with_map

PIR, PMH, HOUSING = "parent_infant_relationship", "perinatal_mental_health", "housing"


def path(*kinds: str) -> Pathway:
    names = ["from", *[f"s{i}" for i in range(1, len(kinds))], "to"]
    return Pathway(
        services=names,
        steps=tuple(Step(a, b, k) for a, b, k in zip(names, names[1:], kinds, strict=False)),
    )


# --- leads ---------------------------------------------------------------------------------------

LEADS = [
    LeadEntry(need=HOUSING, services=["second", "first"], because="for housing"),
    LeadEntry(need=HOUSING, rings=[Ring.grey], because="a grey service for housing"),
    LeadEntry(need=PIR, rings=[Ring.core], urgent=True, because="the crisis line"),
]
LEAD_MAP = with_map(leads=LEADS)


@pytest.mark.parametrize(
    ("sid", "ring", "needs", "family_needs", "expected"),
    [
        ("first", "outer", [HOUSING], [HOUSING], Lead(HOUSING, "for housing", False, 1)),
        ("second", "outer", [HOUSING], [HOUSING], Lead(HOUSING, "for housing", False, 0)),
        (
            "other",
            "grey",
            [HOUSING],
            [HOUSING],
            Lead(HOUSING, "a grey service for housing", False, 0),
        ),
        ("other", "outer", [HOUSING], [HOUSING], None),
        # The family's first need the service is for; a need the service does not meet is skipped.
        ("other", "core", [HOUSING, PIR], [HOUSING, PIR], Lead(PIR, "the crisis line", True, 0)),
        ("first", "core", [HOUSING, PIR], [PIR, HOUSING], Lead(PIR, "the crisis line", True, 0)),
        ("first", "core", [PIR], [HOUSING, PIR], Lead(PIR, "the crisis line", True, 0)),
        ("first", "outer", [HOUSING], [PIR], None),
    ],
)
def test_leads_for(
    sid: str, ring: str, needs: list[str], family_needs: list[str], expected: Lead | None
) -> None:
    assert leads_for(LEAD_MAP, service(sid, ring=ring, needs=needs), family_needs) == expected


# --- how easy the route is -----------------------------------------------------------------------

R = {"how": "How."}


@pytest.mark.parametrize(
    ("routes", "p", "from_service", "ease"),
    [
        ([{"kind": "referral"}], None, None, Ease.direct),
        ([{"kind": "consultation"}], None, None, Ease.direct),
        ([{"kind": "self_referral"}, {"kind": "referral"}], None, None, Ease.direct),
        ([{"kind": "self_referral"}], None, None, Ease.family),
        ([], None, None, Ease.none),
        ([{"kind": "referral"}], None, "from", Ease.none),
        ([], path("refers"), "from", Ease.direct),
        ([], path("consults"), "from", Ease.direct),
        ([], path("signposts"), "from", Ease.family),
        ([], path("self_referral"), "from", Ease.family),
        ([], path("refers", "refers"), "from", Ease.one_between),
        ([], path("refers", "refers", "refers"), "from", Ease.long),
        ([], path("refers", "refers", "refers", "refers"), "from", Ease.long),
    ],
)
def test_ease_of(
    routes: list[dict[str, str]], p: Pathway | None, from_service: str | None, ease: Ease
) -> None:
    s = service(routes=[r | R for r in routes])
    assert ease_of(s, p, from_service=from_service) is ease


# --- the standing of a service -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("levels", "needs", "matched", "at_level", "gap", "primary", "focus"),
    [
        (["universal_plus"], [HOUSING], [HOUSING], True, 0, True, 1.0),
        (["targeted", "specialist"], [PIR, HOUSING], [HOUSING], False, 1, False, 0.5),
        (["specialist"], [HOUSING, PIR, PMH], [HOUSING, PMH], False, 2, True, 2 / 3),
        (["universal", "specialist"], [PMH, HOUSING], [PMH], False, 1, True, 0.5),
    ],
)
def test_standing_measures_level_needs_and_focus(
    levels: list[str],
    needs: list[str],
    matched: list[str],
    at_level: bool,
    gap: int,
    primary: bool,
    focus: float,
) -> None:
    s = service(levels=levels, needs=needs, ring="grey")
    st = standing(
        with_map(),
        s,
        needs=matched,
        matched=matched,
        level=Level.universal_plus,
        check=True,
        path=None,
        from_service=None,
    )
    assert st == Standing(
        lead=None,
        at_level=at_level,
        level_gap=gap,
        check=True,
        ease=Ease.none,
        needs_met=len(matched),
        primary=primary,
        ring=Ring.grey,
        focus=focus,
    )


FOR_HOUSING = Lead(HOUSING, "for housing", False, 0)
URGENT = Lead(PIR, "the crisis line", True, 0)
BEST = Standing(
    lead=FOR_HOUSING,
    at_level=True,
    level_gap=0,
    check=False,
    ease=Ease.direct,
    needs_met=9,
    primary=True,
    ring=Ring.core,
    focus=1.0,
)
WORST = Standing(
    lead=None,
    at_level=False,
    level_gap=3,
    check=True,
    ease=Ease.none,
    needs_met=0,
    primary=False,
    ring=Ring.outer,
    focus=0.0,
    turn=9,
)
MIDDLE = Standing(
    lead=Lead(HOUSING, "for housing", False, 4),
    at_level=True,
    level_gap=1,
    check=False,
    ease=Ease.family,
    needs_met=2,
    primary=True,
    ring=Ring.grey,
    focus=0.5,
)


@pytest.mark.parametrize(
    ("st", "score"),
    [
        (BEST, 0.899999),  # never the urgent route's 0.9
        (WORST, 0.000506),  # no lead: its preference counts as the best
        (replace(BEST, lead=URGENT), 1.0),
        (replace(WORST, lead=URGENT), 0.950681),
        (MIDDLE, 0.887922),
        # Each part alone, from the middle.
        (replace(MIDDLE, at_level=False), 0.437922),
        (replace(MIDDLE, turn=1), 0.842922),
        (replace(MIDDLE, turn=12), 0.482922),
        (replace(MIDDLE, level_gap=0), 0.899172),
        (replace(MIDDLE, lead=None), 0.432522),
        (replace(MIDDLE, check=True), 0.885109),
        (replace(MIDDLE, ease=Ease.direct), 0.888484),
        (replace(MIDDLE, ease=Ease.none), 0.886234),
        (replace(MIDDLE, lead=Lead(HOUSING, "for housing", False, 0)), 0.888147),
        (replace(MIDDLE, lead=Lead(HOUSING, "for housing", False, 12)), 0.88764),
        (replace(MIDDLE, needs_met=3), 0.887927),
        (replace(MIDDLE, needs_met=12), 0.887961),
        (replace(MIDDLE, primary=False), 0.887919),
        (replace(MIDDLE, ring=Ring.core), 0.887923),
        (replace(MIDDLE, ring=Ring.outer), 0.887921),
        (replace(MIDDLE, focus=1.0), 0.887922),
        (replace(MIDDLE, focus=0.1), 0.887921),
    ],
)
def test_score(st: Standing, score: float) -> None:
    assert st.score() == score


@pytest.mark.parametrize(
    ("better", "worse"),
    [
        (replace(WORST, lead=URGENT), BEST),
        (BEST, replace(BEST, at_level=False)),
        (MIDDLE, replace(MIDDLE, turn=1)),
        (replace(MIDDLE, level_gap=0), MIDDLE),
        (MIDDLE, replace(MIDDLE, lead=None)),
        (replace(MIDDLE, at_level=False), replace(MIDDLE, at_level=False, lead=None)),
        (MIDDLE, replace(MIDDLE, check=True)),
        (replace(MIDDLE, ease=Ease.direct), MIDDLE),
        (replace(MIDDLE, lead=Lead(HOUSING, "for housing", False, 0)), MIDDLE),
        (replace(MIDDLE, needs_met=3), MIDDLE),
        (MIDDLE, replace(MIDDLE, primary=False)),
        (replace(MIDDLE, ring=Ring.core), MIDDLE),
        (replace(MIDDLE, focus=0.75), MIDDLE),
    ],
)
def test_key_and_score_agree(better: Standing, worse: Standing) -> None:
    assert better.key() < worse.key()
    # Six decimals: the last parts can round alike (focus 0.75 and 0.5), never the wrong way.
    assert better.score() >= worse.score()


# --- why it stands there -------------------------------------------------------------------------

WHY_MAP = with_map(service("between", ring="grey"))
SVC = service("svc", levels=["universal", "targeted"])


def why(
    position: int,
    st: Standing,
    *,
    p: Pathway | None = None,
    kind: str = "referral",
    above: Any = None,
) -> str:
    return why_ranked(
        position,
        st,
        SVC,
        m=WHY_MAP,
        level=Level.universal if st.at_level else Level.specialist,
        path=p,
        route_kind=kind,
        need_words="housing",
        above=above,
    )


@pytest.mark.parametrize(
    ("position", "st", "p", "kind", "sentence"),
    [
        (
            1,
            replace(MIDDLE, ease=Ease.direct),
            None,
            "consultation",
            "First: its remit is for housing, at Universal, the level you asked; "
            "you can consult them directly.",
        ),
        (
            2,
            replace(MIDDLE, ease=Ease.direct, check=True),
            None,
            "referral",
            "Second: its remit is for housing, at Universal, the level you asked; "
            "it needs a check first; you can refer directly.",
        ),
        (
            3,
            replace(MIDDLE, at_level=False),
            None,
            "referral",
            "Third: its remit is for housing, but it works at Universal, Targeted, not Specialist; "
            "the family can contact them themselves.",
        ),
        (
            12,
            replace(MIDDLE, lead=None, ease=Ease.one_between),
            Pathway(["from", "between", "svc"], ()),
            "referral",
            "12th: it helps with housing at Universal, the level you asked; "
            "the route goes through one other service (Between).",
        ),
        (
            4,
            replace(MIDDLE, lead=None, ease=Ease.one_between),
            Pathway(["from", "gone", "svc"], ()),
            "referral",
            "Fourth: it helps with housing at Universal, the level you asked; "
            "the route goes through one other service (another service).",
        ),
        (
            5,
            replace(MIDDLE, ease=Ease.long),
            path("refers", "refers", "refers", "refers"),
            "referral",
            "Fifth: its remit is for housing, at Universal, the level you asked; "
            "only a long route is recorded (4 steps).",
        ),
        (
            6,
            replace(MIDDLE, ease=Ease.none),
            None,
            "none",
            "6th: its remit is for housing, at Universal, the level you asked; "
            "no route from your service is recorded.",
        ),
        (
            1,
            replace(MIDDLE, lead=URGENT, at_level=False),
            None,
            "referral",
            "First: its remit is the crisis line, which comes before everything else; "
            "the family can contact them themselves.",
        ),
    ],
)
def test_why_ranked(
    position: int, st: Standing, p: Pathway | None, kind: str, sentence: str
) -> None:
    assert why(position, st, p=p, kind=kind) == sentence


@pytest.mark.parametrize(
    ("above", "below", "because"),
    [
        (replace(MIDDLE, lead=URGENT), MIDDLE, "Above is the urgent route for a crisis"),
        (MIDDLE, replace(MIDDLE, at_level=False), "Above works at the level asked"),
        (
            MIDDLE,
            replace(MIDDLE, lead=None, at_level=False),
            "the remit of Above is for one of the family's needs, at the level asked",
        ),
        (
            MIDDLE,
            replace(MIDDLE, turn=1, after="Other"),
            "Other already stands higher for this need",
        ),
        (replace(MIDDLE, level_gap=0), MIDDLE, "Above works nearer the level asked"),
        (
            replace(MIDDLE, at_level=False, level_gap=2),
            replace(MIDDLE, lead=None, at_level=False, level_gap=2),
            "the remit of Above is for one of the family's needs",
        ),
        (MIDDLE, replace(MIDDLE, check=True), "Above needs no check first"),
        (MIDDLE, replace(MIDDLE, ease=Ease.none), "Above is easier to reach"),
        (
            MIDDLE,
            replace(MIDDLE, lead=Lead(HOUSING, "for housing", False, 5)),
            "Above comes first in Bradford's order for this need",
        ),
        (MIDDLE, replace(MIDDLE, needs_met=1), "Above meets more of the family's needs"),
        (MIDDLE, replace(MIDDLE, primary=False), "Above is mainly for this need"),
        (
            MIDDLE,
            replace(MIDDLE, ring=Ring.outer),
            "Above is closer to the parent–infant relationship on the map",
        ),
        (MIDDLE, replace(MIDDLE, focus=0.25), "Above is more focused on these needs"),
        (MIDDLE, MIDDLE, "it stands level with Above, listed by name"),
        # Second for the same need as the one just above: why that one leads instead.
        (
            replace(MIDDLE, level_gap=0),
            replace(MIDDLE, turn=1, after="Above"),
            "Above works nearer the level asked",
        ),
    ],
)
def test_why_below_the_one_above(above: Standing, below: Standing, because: str) -> None:
    sentence = why(2, below, above=("Above", above))
    assert sentence.endswith(f" (below Above because {because}).")

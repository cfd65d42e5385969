"""Ranking a practitioner would defend, and the one sentence that says why.

Services are ordered by, in turn: the urgent route for a crisis; whether the service's remit is
*for* one of the family's needs (the seed's `navigation.leads`) at the level asked; how near its
levels are to the level asked; whether it needs a check first; how easy the route is; then how
many of the family's needs it meets, its circle of the map and how focused it is. Each part is a
plain value, so why one service stands below another is the first part in which they differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from navigator.core.graph import Pathway
from navigator.core.models import Level, Map, Ring, RouteKind, Service
from navigator.core.wording import ordinal

RING_ORDER = {Ring.core: 0, Ring.grey: 1, Ring.outer: 2}


class Ease(IntEnum):
    """How easy the route is, easiest first."""

    direct = 0  # the practitioner consults or refers straight to the service
    family = 1  # the family refers itself (or is pointed there)
    one_between = 2  # one other service on the way
    long = 3  # three steps or more: shown only when nothing shorter exists
    none = 4  # no route recorded


@dataclass(frozen=True)
class Lead:
    """Why a service leads for a family: the need, the lead entry's words, its preference."""

    need: str
    because: str
    urgent: bool
    preference: int


def leads_for(m: Map, service: Service, needs: list[str]) -> Lead | None:
    """The first of the family's needs whose remit this service is for, per the seed."""
    for need in needs:
        if need not in service.needs:
            continue
        for lead in m.navigation.leads:
            if lead.need != need:
                continue
            if service.id in lead.services:
                return Lead(need, lead.because, lead.urgent, lead.services.index(service.id))
            if service.ring in lead.rings:
                return Lead(need, lead.because, lead.urgent, 0)
    return None


def ease_of(service: Service, path: Pathway | None, *, from_service: str | None) -> Ease:
    if from_service is None:
        kinds = {r.kind for r in service.routes}
        if kinds & {RouteKind.referral, RouteKind.consultation}:
            return Ease.direct
        return Ease.family if RouteKind.self_referral in kinds else Ease.none
    if path is None:
        return Ease.none
    if len(path.steps) == 1:
        return Ease.family if path.steps[0].kind in {"self_referral", "signposts"} else Ease.direct
    return Ease.one_between if len(path.steps) == 2 else Ease.long


@dataclass(frozen=True)
class Standing:
    """Everything that places a recommendation, best values first in `key`."""

    lead: Lead | None
    at_level: bool  # the service works at the level asked
    level_gap: int
    check: bool
    ease: Ease
    needs_met: int
    primary: bool  # the first need the service lists (the one it is mainly for) is the family's
    ring: Ring
    focus: float  # share of the service's needs that are the family's
    # Leads for a need that already has a better lead above: the best for each of the family's
    # needs comes first, then the second best. `after` names the one above for this need.
    turn: int = 0
    after: str | None = None

    @property
    def urgent(self) -> bool:
        return bool(self.lead and self.lead.urgent)

    @property
    def leads_here(self) -> bool:
        """Its remit is for the need, at the level asked (the urgent route at any level)."""
        return bool(self.lead and (self.at_level or self.lead.urgent))

    def key(self) -> tuple[object, ...]:
        """Smaller is better; compared part by part."""
        return (
            not self.urgent,
            not self.leads_here,
            self.turn,
            self.level_gap,
            self.lead is None,
            self.check,
            self.ease,
            # No lead: any number does, such services stand apart already (`lead is None`).
            self.lead.preference if self.lead else 0,  # pragma: no mutate
            -self.needs_met,
            not self.primary,
            RING_ORDER[self.ring],
            -self.focus,
        )

    def score(self) -> float:
        """0 to 1, in the same order as `key` (the contract's `score`): the urgent route scores
        0.9 and above, everything else below 0.9."""
        parts = [  # (value, radix): higher values are better
            (1 if self.leads_here else 0, 2),
            (9 - min(9, self.turn), 10),
            (3 - self.level_gap, 4),
            (0 if self.lead is None else 1, 2),
            (0 if self.check else 1, 2),
            (len(Ease) - 1 - self.ease, len(Ease)),
            (9 - min(9, self.lead.preference) if self.lead else 9, 10),
            (min(9, self.needs_met), 10),
            (1 if self.primary else 0, 2),
            (2 - RING_ORDER[self.ring], 3),
            (int(self.focus * 9), 10),  # focus is a share: 0 to 1
        ]
        value, top = 0, 0
        for v, radix in parts:
            value, top = value * radix + v, top * radix + radix - 1
        rest = value / top
        if self.urgent:
            return round(0.9 + 0.1 * rest, 6)
        # Below the urgent route's 0.9 even at the very top, where 0.9 * rest rounds to 0.9.
        return min(round(0.9 * rest, 6), 0.899999)


def standing(
    m: Map,
    service: Service,
    *,
    needs: list[str],
    matched: list[str],
    level: Level,
    check: bool,
    path: Pathway | None,
    from_service: str | None,
    turn: int = 0,
    after: str | None = None,
) -> Standing:
    return Standing(
        lead=leads_for(m, service, needs),
        at_level=level in service.levels,
        level_gap=min(abs(lv.rank - level.rank) for lv in service.levels),
        check=check,
        ease=ease_of(service, path, from_service=from_service),
        needs_met=len(matched),
        primary=service.needs[0] in matched,
        ring=service.ring,
        focus=len(matched) / len(service.needs),
        turn=turn,
        after=after,
    )


def _route_words(s: Standing, path: Pathway | None, m: Map, kind: str) -> str:
    match s.ease:
        case Ease.direct:
            return (
                "you can consult them directly"
                if kind == "consultation"
                else ("you can refer directly")
            )
        case Ease.family:
            return "the family can contact them themselves"
        case Ease.one_between if path:  # ease_of gives these two only with a path
            stop = m.service(path.services[1])
            between = stop.name if stop else "another service"
            return f"the route goes through one other service ({between})"
        case Ease.long if path:
            return f"only a long route is recorded ({len(path.steps)} steps)"
        case _:
            return "no route from your service is recorded"


def _level_words(s: Standing, service: Service, labels: dict[Level, str], level: Level) -> str:
    if s.at_level:
        return f"at {labels[level]}, the level you asked"
    works = ", ".join(labels[lv] for lv in service.levels)
    return f"but it works at {works}, not {labels[level]}"


TURN = 2  # the position of `turn` in Standing.key


# Why one service stands below another, by the first part of `key` in which they differ.
_BELOW = (
    "{above} is the urgent route for a crisis",
    "{above} works at the level asked",  # the remit of both is for a need: see _below
    "{after} already stands higher for this need",
    "{above} works nearer the level asked",
    "the remit of {above} is for one of the family's needs",
    "{above} needs no check first",
    "{above} is easier to reach",
    "{above} comes first in Bradford's order for this need",
    "{above} meets more of the family's needs",
    "{above} is mainly for this need",
    "{above} is closer to the parent–infant relationship on the map",
    "{above} is more focused on these needs",
)


def _below(a: Standing, b: Standing, above: str) -> str:
    """Why `b` stands below `above` (standing `a`): the first part in which they differ."""
    # Keys are always as long (strict only guards that): mutating this line changes nothing.
    for i, (x, y) in enumerate(zip(a.key(), b.key(), strict=True)):  # pragma: no mutate
        # Second for the same need as the one above: say why that one leads instead.
        if x != y and not (i == TURN and b.after == above):
            if i == 1 and not b.lead:
                return f"the remit of {above} is for one of the family's needs, at the level asked"
            return _BELOW[i].format(above=above, after=b.after)
    return f"it stands level with {above}, listed by name"


def why_ranked(
    position: int,
    s: Standing,
    service: Service,
    *,
    m: Map,
    level: Level,
    path: Pathway | None,
    route_kind: str,
    need_words: str,
    above: tuple[str, Standing] | None,
) -> str:
    """One sentence: where it stands, what places it there, and why it is below the one above."""
    labels = {lv.id: lv.label for lv in m.levels}
    place = ordinal(position).capitalize()
    if s.lead and s.lead.urgent:
        what = f"its remit is {s.lead.because}, which comes before everything else"
    elif s.lead:
        what = f"its remit is {s.lead.because}, " + _level_words(s, service, labels, level)
    else:
        what = f"it helps with {need_words} " + _level_words(s, service, labels, level)
    parts = [what]
    if s.check:
        parts.append("it needs a check first")
    parts.append(_route_words(s, path, m, route_kind))
    sentence = f"{place}: " + "; ".join(parts)
    if above is not None:
        sentence += f" (below {above[0]} because {_below(above[1], s, above[0])})"
    return sentence + "."

"""Where should this family go? Ranked, explained recommendations and LMM's offer.

The order is ranking.py's, the notices notices.py's, the uncertain facts provenance.py's and the
contact points contacts.py's; this module decides each service, finds its route and puts the
answer together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal, NamedTuple

from pydantic import BaseModel

from navigator.core.contacts import Contact, contacts_of
from navigator.core.eligibility import Context, decide
from navigator.core.errors import UnknownService
from navigator.core.family import Decision, Family
from navigator.core.geography import Location
from navigator.core.graph import Pathway, ReferralGraph, Step
from navigator.core.models import Edge, Eligibility, Level, Map, Route, RouteKind, Service
from navigator.core.notices import Notice, notices_for, outside, pointer
from navigator.core.provenance import pathway_facts, route_fact, service_facts
from navigator.core.ranking import Standing, standing, take_turns, why_ranked
from navigator.core.search import require_need

# At most this many of each list unless the caller asks for another number (the API: 1..500).
DEFAULT_LIMIT = 50
STEP_VERBS = {
    "refers": ("You refer to {t}", "{s} refers to {t}"),
    "consults": ("You consult {t}", "{s} consults {t}"),
    "signposts": ("You tell the family about {t}", "{s} tells the family about {t}"),
    "self_referral": ("The family contacts {t} themselves", "The family contacts {t} themselves"),
}


class RouteOut(BaseModel):
    kind: RouteKind | Literal["none"]
    how: str
    contact: str | None = None


class Recommendation(BaseModel):
    service_id: str
    name: str
    ring: str
    eligibility: Eligibility
    score: float
    matched_needs: list[str]
    reasons: list[str]
    checks: list[str]
    route: RouteOut
    pathway: list[str]
    pathway_steps: list[Step]
    why_ranked: str = ""
    inferred: list[str] = []
    contacts: list[Contact] = []
    no_public_contact: str | None = None
    pathway_explained: list[str] = []
    pathway_note: str | None = None


class NotEligible(BaseModel):
    service_id: str
    name: str
    ring: str
    matched_needs: list[str]
    reasons: list[str]


class Offer(BaseModel):
    strand: Literal["consultation", "direct_clinical_work", "none"]
    options: list[str]
    tier: Level | None
    interventions: list[str]
    summary: str
    contact: str | None = None
    for_team: list[str] = []
    training: str | None = None
    alternatives: list[str] = []


class LmmBlock(BaseModel):
    eligibility: Eligibility
    reasons: list[str]
    checks: list[str]
    offer: Offer
    inferred: list[str] = []


class Totals(BaseModel):
    recommendations: int
    not_eligible: int


class NavigateResult(BaseModel):
    as_of: dt.date
    location: Location
    notices: list[Notice] = []
    recommendations: list[Recommendation]
    not_eligible: list[NotEligible]
    totals: Totals
    lmm: LmmBlock


class AltCandidate(NamedTuple):
    """A service the family can use now, as LMM's 'consider instead' needs it."""

    service_id: str
    name: str
    matched_needs: list[str]


class _Placed(NamedTuple):
    """A recommendation before its words: what places it, and what it is built from."""

    standing: Standing
    service: Service
    decision: Decision
    matched: list[str]
    path: Pathway | None


def validate_request(m: Map, family: Family) -> None:
    """Raise a typed error, naming the field, for need codes or services the map does not know."""
    known = m.need_codes()
    for i, code in enumerate(family.needs):
        require_need(code, known, loc=("needs", i))
    if family.from_service is not None and m.service(family.from_service) is None:
        raise UnknownService(
            f"{family.from_service!r} is not a known service id", loc=("from_service",)
        )


def choose_route(service: Service, *, consult_first: bool, arrived_by: str | None) -> RouteOut:
    """Consult before refer where the policy says so (or the pathway arrives by consulting);
    refer first otherwise."""
    order = (
        [RouteKind.consultation, RouteKind.referral, RouteKind.self_referral]
        if consult_first or arrived_by == "consults"
        else [RouteKind.referral, RouteKind.consultation, RouteKind.self_referral]
    )
    if arrived_by == "self_referral":
        # The pathway has the family going themselves: say how.
        order = [RouteKind.self_referral, *order[:2]]
    by_kind: dict[RouteKind, Route] = {}
    for r in service.routes:
        by_kind.setdefault(r.kind, r)
    for kind in order:
        if kind in by_kind:
            r = by_kind[kind]
            return RouteOut.model_construct(kind=r.kind, how=r.how, contact=r.contact)
    return RouteOut.model_construct(
        kind="none", how="No referral route is recorded: contact the service first", contact=None
    )


def lmm_block(
    m: Map,
    family: Family,
    lmm: Service,
    decision: Decision,
    others: Sequence[Recommendation | AltCandidate],
    *,
    elsewhere: str | None = None,
    inferred: list[str] | None = None,
) -> LmmBlock:
    """LMM's answer for this family, from its policy table: consult or refer, the tier, and
    what else fits when LMM cannot help (only services the family can use now, and
    `elsewhere`, their own area's services, when they live outside the district)."""
    cat = m.lmm
    training = None
    if family.from_service in cat.training_priority_services and cat.training:
        course = cat.training[0]
        training = cat.training_text.format(
            course=course.name, description=course.description.rstrip(".")
        )
    if decision.status is Eligibility.not_eligible:
        # What else fits: services meeting the needs LMM would have met, best first.
        alternatives = [
            r.service_id
            for r in others
            if r.service_id != cat.service_id
            and (not isinstance(r, Recommendation) or r.eligibility is Eligibility.eligible)
            and set(r.matched_needs) & set(lmm.needs)
        ][:3]
        names = ", ".join(r.name for r in others if r.service_id in alternatives)
        summary = cat.not_eligible_text.format(reasons="; ".join(decision.reasons))
        summary += f". Consider instead: {names}." if names else "."
        if elsewhere:
            summary += f" {elsewhere.rstrip('.')}."
        offer = Offer(
            strand="none",
            options=[],
            tier=None,
            interventions=[],
            summary=summary,
            training=training,
            alternatives=alternatives,
        )
    else:
        rule = cat.offer_rule(family.level)
        tier = rule.tier or family.level
        options = list(rule.options)
        if len(family.needs) >= cat.complex_needs:
            options += rule.complex_options
        offer = Offer(
            strand=rule.strand,
            options=options,
            tier=tier,
            interventions=cat.interventions(tier),
            summary=rule.summary.format(level=tier.value.replace("_", " ")),
            contact=cat.contact,
            for_team=list(rule.for_team),
            training=training,
        )
    return LmmBlock(
        eligibility=decision.status,
        reasons=list(decision.reasons),
        checks=list(decision.checks),
        offer=offer,
        inferred=list(inferred or []),
    )


def explain_steps(
    steps: list[Step], m: Map, *, edges: Mapping[tuple[str, str, str], Edge], source: str | None
) -> list[str]:
    """Each step of a pathway in a sentence, with the referral network's note on it; `edges`
    are those in force, by (source, target, kind)."""
    out = []
    for step in steps:
        a, b = m.service(step.source), m.service(step.target)
        mine, theirs = STEP_VERBS[step.kind]
        words = (mine if step.source == source else theirs).format(
            s=a.name if a else step.source, t=b.name if b else step.target
        )
        edge = edges.get((step.source, step.target, step.kind))
        note = edge.note if edge else None
        out.append(f"{words}: {note.rstrip('.')}" if note else words)
    return out


def pathway_note(path: Pathway | None, service: Service, *, source: str | None) -> str | None:
    if source is None:
        return None
    if path is None:
        return f"No route from your service to {service.name} is recorded: ask them how to refer."
    if path.long:
        return (
            f"No shorter route is recorded: this one has {len(path.steps)} steps. Ask "
            f"{service.name} whether you can refer directly."
        )
    return None


def _route_of(service: Service, kind: str) -> Route | None:
    return next((r for r in service.routes if r.kind.value == kind), None)


def navigate(
    *,
    map: Map,
    graph: ReferralGraph,
    location: Location,
    family: Family,
    as_of: dt.date,
    limit: int | None = None,
) -> NavigateResult:
    """Rank every service that meets one of the family's needs, and explain every decision.

    The practitioner's own service is never recommended to them; `limit` caps each list (the
    totals say how many there were)."""
    validate_request(map, family)
    ctx = Context.build(map=map, family=family, location=location, day=as_of)
    by_need = map.services_by_need
    source = family.from_service
    # Each service once, in the order the needs were given; never the practitioner's own.
    candidates = list(
        {s.id: s for code in family.needs for s in by_need.get(code, []) if s.id != source}.values()
    )
    signatures = map.eligibility_signatures
    consult_first = family.level in map.policy.consult_first_levels
    needs = {n.code: n.label for n in map.needs}
    edges = graph.edges_on(as_of)

    def decision_of(service: Service) -> Decision:
        return decide(service, ctx, signatures[service.id])

    # A route never goes through a service the family cannot use. Which those are depends only
    # on what the rules look at, so families alike share one answer.
    alike = (
        "avoid",
        as_of,
        family.stage,
        family.child_age_months,
        family.weeks_pregnant,
        family.gp_practice,
        location.known,
        tuple(location.areas),
    )
    avoid: frozenset[str] = graph.remember(
        alike,
        lambda: frozenset(
            s.id
            for s in map.active_services(as_of)
            if decision_of(s).status is Eligibility.not_eligible
        ),
    )

    placed: list[_Placed] = []
    refused: list[tuple[tuple[object, ...], Service, Decision, list[str]]] = []
    for service in candidates:
        matched = [n for n in family.needs if n in service.needs]
        decision = decision_of(service)
        if decision.status is Eligibility.not_eligible:
            refused.append(((-len(matched), service.name), service, decision, matched))
            continue
        path = (
            graph.pathway(
                source,
                service.id,
                day=as_of,
                self_referral=service.self_referral,
                consult_first=consult_first,
                avoid=avoid,
                practical=True,
            )
            if source
            else None
        )
        place = standing(
            map,
            service,
            needs=family.needs,
            matched=matched,
            level=family.level,
            check=decision.status is Eligibility.check,
            path=path,
            from_service=source,
        )
        placed.append(_Placed(place, service, decision, matched, path))
    placed.sort(key=lambda p: (p.standing.key(), p.service.name))
    turns = take_turns([(p.standing, p.service.name) for p in placed])
    placed = [p._replace(standing=t) for p, t in zip(placed, turns, strict=True)]
    placed.sort(key=lambda p: (p.standing.key(), p.service.name))
    cap = DEFAULT_LIMIT if limit is None else limit

    # The answers sent, each built once, in full. model_construct: every value is already of
    # its field's type, and at 10,000 services validating each again would double the cost.
    recommendations: list[Recommendation] = []
    above: tuple[str, Standing] | None = None
    for i, p in enumerate(placed[:cap], 1):
        service, steps = p.service, list(p.path.steps) if p.path else []
        route = choose_route(
            service, consult_first=consult_first, arrived_by=steps[-1].kind if steps else None
        )
        recommendations.append(
            Recommendation.model_construct(
                service_id=service.id,
                name=service.name,
                ring=service.ring.value,
                eligibility=p.decision.status,
                score=p.standing.score(),
                matched_needs=p.matched,
                reasons=list(p.decision.reasons),
                checks=list(p.decision.checks),
                route=route,
                pathway=p.path.services if p.path else [],
                pathway_steps=steps,
                why_ranked=why_ranked(
                    i,
                    p.standing,
                    service,
                    m=map,
                    level=family.level,
                    path=p.path,
                    route_kind=str(route.kind),
                    need_words=", ".join(needs.get(n, n).lower() for n in p.matched),
                    above=above,
                ),
                inferred=[
                    *service_facts(service, map, day=as_of, matched=p.matched, labels=needs),
                    *route_fact(_route_of(service, str(route.kind))),
                    *pathway_facts(steps, map, edges=edges),
                ],
                contacts=contacts_of(service),
                no_public_contact=service.no_public_contact,
                pathway_explained=explain_steps(steps, map, edges=edges, source=source),
                pathway_note=pathway_note(p.path, service, source=source),
            )
        )
        above = (service.name, p.standing)
    refused.sort(key=lambda r: r[0])
    not_eligible = [
        NotEligible.model_construct(
            service_id=service.id,
            name=service.name,
            ring=service.ring.value,
            matched_needs=matched,
            reasons=list(decision.reasons),
        )
        for _, service, decision, matched in refused[:cap]
    ]
    # What else LMM's block may offer: services the family can use now, best first.
    usable = [
        AltCandidate(p.service.id, p.service.name, p.matched)
        for p in placed
        if p.decision.status is Eligibility.eligible
    ]

    lmm = map.service(map.lmm.service_id)
    assert lmm is not None  # the seed's cross-reference check guarantees it
    lmm_decision = decision_of(lmm)
    # Notices name the first of their services the family can use.
    named = {
        sid
        for rule in (map.navigation.notices.crisis, map.navigation.notices.safeguarding)
        if rule is not None
        for sid in rule.services
    }
    decisions = {sid: decision_of(s) for sid in named if (s := map.service(sid)) is not None}
    return NavigateResult(
        as_of=as_of,
        location=location,
        notices=notices_for(map, family, location, decisions),
        recommendations=recommendations,
        not_eligible=not_eligible,
        totals=Totals(recommendations=len(placed), not_eligible=len(refused)),
        lmm=lmm_block(
            map,
            family,
            lmm,
            lmm_decision,
            usable,
            elsewhere=pointer(map, location) if outside(map, location) else None,
            inferred=service_facts(lmm, map, day=as_of, matched=[], labels=needs),
        ),
    )

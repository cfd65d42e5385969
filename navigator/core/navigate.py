"""Where should this family go? Ranked, explained recommendations and LMM's offer."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Literal

from pydantic import BaseModel

from navigator.core.eligibility import Context, decide
from navigator.core.errors import UnknownService
from navigator.core.family import Decision, Family
from navigator.core.geography import Location
from navigator.core.graph import Pathway, ReferralGraph, Step
from navigator.core.models import Eligibility, Level, Map, Route, RouteKind, Service
from navigator.core.search import require_need

# Weights of the parts of a score; they add up to 1.
WEIGHTS = {"needs": 0.35, "level": 0.2, "ring": 0.15, "pathway": 0.15, "specificity": 0.15}


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


class NavigateResult(BaseModel):
    as_of: dt.date
    location: Location
    recommendations: list[Recommendation]
    not_eligible: list[NotEligible]
    lmm: LmmBlock


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


def _ring_fit(candidates: list[Service], needs: list[str]) -> dict[tuple[str, str], float]:
    """How typical a ring is for a need: share of that need's services in the ring, vs the top."""
    fit: dict[tuple[str, str], float] = {}
    for need in needs:
        counts = Counter(s.ring.value for s in candidates if need in s.needs)
        top = max(counts.values(), default=0)
        for ring, n in counts.items():
            fit[(need, ring)] = n / top
    return fit


def _score(
    service: Service,
    family: Family,
    matched: list[str],
    ring_fit: dict[tuple[str, str], float],
    path: Pathway | None,
    status: Eligibility,
) -> float:
    level_gap = min(abs(lv.rank - family.level.rank) for lv in service.levels)
    if family.from_service is None:
        path_fit = 1.0 if service.self_referral else 0.7
    elif path is None:
        path_fit = 0.2
    elif path.steps and path.steps[-1].kind == "self_referral":
        path_fit = 0.6
    else:
        path_fit = 1.0 / max(1, len(path.steps))
    parts = {
        "needs": len(matched) / len(family.needs),
        "level": 1 - level_gap / 3,
        "ring": sum(ring_fit.get((n, service.ring.value), 0.0) for n in matched) / len(matched),
        "pathway": path_fit,
        "specificity": len(matched) / len(service.needs),
    }
    base = sum(WEIGHTS[k] * v for k, v in parts.items())
    # Eligible services always rank above those that depend on a check.
    score = 0.5 + 0.5 * base if status is Eligibility.eligible else 0.49 * base
    return round(score, 3)


def lmm_block(
    m: Map, family: Family, lmm: Service, decision: Decision, others: list[Recommendation]
) -> LmmBlock:
    """LMM's answer for this family, from its policy table: consult or refer, the tier, and
    what else fits when LMM cannot help."""
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
            if r.service_id != cat.service_id and set(r.matched_needs) & set(lmm.needs)
        ][:3]
        names = ", ".join(r.name for r in others if r.service_id in alternatives)
        summary = cat.not_eligible_text.format(reasons="; ".join(decision.reasons))
        summary += f". Consider instead: {names}." if names else "."
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
    )


def navigate(
    *, map: Map, graph: ReferralGraph, location: Location, family: Family, as_of: dt.date
) -> NavigateResult:
    """Rank every service that meets one of the family's needs, and explain every decision."""
    validate_request(map, family)
    ctx = Context.build(map=map, family=family, location=location, day=as_of)
    by_need = map.services_by_need
    # Each service once, in the order the needs were given.
    candidates = list({s.id: s for code in family.needs for s in by_need.get(code, [])}.values())
    signatures = map.eligibility_signatures
    ring_fit = _ring_fit([s for s in candidates if s.active_on(as_of)], family.needs)
    source = family.from_service
    consult_first = family.level in map.policy.consult_first_levels

    recommendations: list[Recommendation] = []
    refused: list[NotEligible] = []
    for service in candidates:
        matched = [n for n in family.needs if n in service.needs]
        decision = decide(service, ctx, signatures[service.id])
        if decision.status is Eligibility.not_eligible:
            refused.append(
                NotEligible.model_construct(
                    service_id=service.id,
                    name=service.name,
                    ring=service.ring.value,
                    matched_needs=matched,
                    reasons=list(decision.reasons),
                )
            )
            continue
        path = (
            graph.pathway(
                source,
                service.id,
                day=as_of,
                self_referral=service.self_referral,
                consult_first=consult_first,
            )
            if source
            else None
        )
        arrived_by = path.steps[-1].kind if path and path.steps else None
        # model_construct: every value below is already of its field's type, and at 10,000
        # services validating each result again would double the cost of an answer.
        recommendations.append(
            Recommendation.model_construct(
                service_id=service.id,
                name=service.name,
                ring=service.ring.value,
                eligibility=decision.status,
                score=_score(service, family, matched, ring_fit, path, decision.status),
                matched_needs=matched,
                reasons=list(decision.reasons),
                checks=list(decision.checks),
                route=choose_route(service, consult_first=consult_first, arrived_by=arrived_by),
                pathway=path.services if path else [],
                pathway_steps=list(path.steps) if path else [],
            )
        )
    recommendations.sort(key=lambda r: (-r.score, r.name))
    refused.sort(key=lambda r: r.name)

    lmm = map.service(map.lmm.service_id)
    assert lmm is not None  # the seed's cross-reference check guarantees it
    return NavigateResult(
        as_of=as_of,
        location=location,
        recommendations=recommendations,
        not_eligible=refused,
        lmm=lmm_block(map, family, lmm, decide(lmm, ctx), recommendations),
    )

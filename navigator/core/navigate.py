"""Where should this family go? Ranked, explained recommendations and LMM's offer.

The order is ranking.py's, the notices notices.py's, the uncertain facts provenance.py's and the
contact points contacts.py's; this module decides each service, finds its route and puts the
answer together.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from itertools import islice
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel

from navigator.core.contacts import Contact, contacts_of
from navigator.core.eligibility import Context, decide, decide_rules
from navigator.core.errors import UnknownService
from navigator.core.family import Decision, Family
from navigator.core.geography import Location
from navigator.core.graph import Pathway, ReferralGraph, Step
from navigator.core.models import (
    Edge,
    EdgeKind,
    Eligibility,
    Level,
    Map,
    Route,
    RouteKind,
    Service,
)
from navigator.core.notices import Notice, notices_for, outside, pointer
from navigator.core.provenance import pathway_facts, route_fact, rule_facts, service_facts
from navigator.core.ranking import TURN, Lead, Standing, standing, why_ranked
from navigator.core.search import require_need
from navigator.core.service_index import REST, ServiceIndex, positions, walk

E = TypeVar("E", bound=BaseModel)

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


def _entry(cls: type[E], **values: Any) -> E:
    """An entry of the answer from values already of their fields' types, every field given.

    What pydantic's `model_construct` does, without its walk over the fields (popping each
    value, noting it as set, filling defaults): with 100 entries in a long answer, that walk
    cost more than any one part of building them. Validating them again would cost as much as
    building them; `tests/core/test_navigate_answer.py` checks these equal validated ones."""
    if values.keys() != cls.model_fields.keys():  # a field left out, or one it does not have
        raise TypeError(f"{cls.__name__}: {sorted(values.keys() ^ cls.model_fields.keys())}")
    entry = cls.__new__(cls)
    object.__setattr__(entry, "__dict__", values)
    object.__setattr__(entry, "__pydantic_fields_set__", set(values))
    object.__setattr__(entry, "__pydantic_extra__", None)
    object.__setattr__(entry, "__pydantic_private__", None)
    return entry


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
    firm = (
        [RouteKind.consultation, RouteKind.referral]
        if consult_first or arrived_by == "consults"
        else [RouteKind.referral, RouteKind.consultation]
    )
    # Where the pathway has the family going themselves, say how first.
    order = (
        [RouteKind.self_referral, *firm]
        if arrived_by == "self_referral"
        else [*firm, RouteKind.self_referral]
    )
    by_kind: dict[RouteKind, Route] = {}
    for r in service.routes:
        by_kind.setdefault(r.kind, r)
    for kind in order:
        if kind in by_kind:
            r = by_kind[kind]
            return _entry(RouteOut, kind=r.kind, how=r.how, contact=r.contact)
    return _entry(
        RouteOut,
        kind="none",
        how="No referral route is recorded: contact the service first",
        contact=None,
    )


def lmm_block(
    m: Map,
    family: Family,
    lmm: Service,
    decision: Decision,
    others: Sequence[AltCandidate],
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
        # What else fits: services meeting the needs LMM would have met, best first (LMM is not
        # among `others`: they are services the family can use, and it cannot).
        alternatives = [r.service_id for r in others if set(r.matched_needs) & set(lmm.needs)][:3]
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
    services = m.services_by_id  # a pathway's services are all on the map
    for step in steps:
        mine, theirs = STEP_VERBS[step.kind]
        words = (mine if step.source == source else theirs).format(
            s=services[step.source].name, t=services[step.target].name
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
    offset: int = 0,
) -> NavigateResult:
    """Rank every service that meets one of the family's needs, and explain every decision.

    The practitioner's own service is never recommended to them; `limit` caps each list (the
    totals say how many there were), after `offset` entries of each (paging). Services are
    decided and ordered as sets (bitsets of `Map.service_index`), each eligibility signature
    decided once; only the entries sent are built, one at a time."""
    validate_request(map, family)
    ctx = Context.build(map=map, family=family, location=location, day=as_of)
    index = map.service_index
    signatures = map.eligibility_signatures
    source = family.from_service
    consult_first = family.level in map.policy.consult_first_levels
    needs = {n.code: n.label for n in map.needs}
    edges = graph.edges_on(as_of)

    def decision_of(service: Service) -> Decision:
        # The signature only shares work: without it the answer is the same (so no mutants).
        return decide(service, ctx, signatures[service.id])  # pragma: no mutate

    # Which services in force the family cannot use, and which to check first, depends only on
    # what the rules look at, so families alike share one answer (a set's status is its
    # signature's, whichever services are asked about). A route never goes through a service
    # the family cannot use (`avoid`).
    active = index.active(as_of)
    alike = (
        "sorted out",  # pragma: no mutate (a tag: any string keeps these keys apart)
        as_of,
        family.stage,
        family.child_age_months,
        family.weeks_pregnant,
        family.gp_practice,
        location.known,
        tuple(location.areas),
    )

    def sorted_out() -> tuple[int, int, frozenset[str]]:
        """Of the services in force, those the family cannot use, those to check, and the
        ids of the first."""
        no = unsure = 0
        for service, group in index.by_signature(active):
            status = decide_rules(service, ctx, signatures[service.id]).status
            if status is Eligibility.not_eligible:
                no |= group
            elif status is Eligibility.check:
                unsure |= group
        return no, unsure, frozenset(index.ids(no))

    cannot, to_check, avoid = graph.remember(alike, sorted_out)

    # Each service meeting a need once; never the practitioner's own.
    candidates = index.needing(family.needs) & ~index.of([source] if source else [])
    no, unsure = cannot & candidates, to_check & candidates
    refused = candidates & ~(active & ~no)
    placed = candidates ^ refused
    met = _by_count([index.by_need.get(code, 0) for code in family.needs])

    def in_order(members: int, partitions: list[list[int]]) -> Iterator[int]:
        """Positions in the order of `partitions`, then by name, then as first met."""
        for bucket in walk(members, partitions):
            if bucket & index.shared_names and bucket & (bucket - 1):
                yield from sorted(positions(bucket), key=lambda p: _as_met(index, p, family))
            else:
                yield from positions(bucket)

    partitions, waiting = _ranking(
        index,
        graph,
        placed=placed,
        unsure=unsure,
        met=met,
        family=family,
        as_of=as_of,
        avoid=avoid,
        first=lambda members, parts: next(in_order(members, parts)),
    )
    cap = DEFAULT_LIMIT if limit is None else limit

    # The answers sent, each built once, in full (`_entry`: every value is already of its
    # field's type).
    recommendations: list[Recommendation] = []
    above: tuple[str, Standing] | None = None
    # From the one above the page, if any: each sentence says why it stands below that one.
    start = max(offset - 1, 0)
    for i, at in enumerate(islice(in_order(placed, partitions), start, offset + cap), start + 1):
        service = index.services[at]
        matched = [n for n in family.needs if n in service.needs]
        decision = decision_of(service)
        # A second lead for its need waits its turn, behind the first.
        behind = next((name for members, name in waiting if members >> at & 1), None)
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
            turn=1 if behind else 0,
            after=behind,
        )
        if i <= offset:
            above = (service.name, place)
            continue
        steps = list(path.steps) if path else []
        route = choose_route(
            service, consult_first=consult_first, arrived_by=steps[-1].kind if steps else None
        )
        recommendations.append(
            _entry(
                Recommendation,
                service_id=service.id,
                name=service.name,
                ring=service.ring.value,
                eligibility=decision.status,
                score=place.score(),
                matched_needs=matched,
                reasons=list(decision.reasons),
                checks=list(decision.checks),
                route=route,
                pathway=path.services if path else [],
                pathway_steps=steps,
                why_ranked=why_ranked(
                    i,
                    place,
                    service,
                    m=map,
                    level=family.level,
                    path=path,
                    route_kind=str(route.kind),
                    need_words=", ".join(needs[n].lower() for n in matched),
                    above=above,
                ),
                inferred=[
                    *service_facts(
                        service,
                        map,
                        day=as_of,
                        matched=matched,
                        labels=needs,  # pragma: no mutate (labels only spare building them again)
                        rules=graph.remember(
                            (service.id, as_of),
                            partial(rule_facts, service, map, day=as_of),
                            size=2 * len(index),  # pragma: no mutate (a cache's size)
                            table="rule facts",  # pragma: no mutate (a name)
                        ),
                    ),
                    *route_fact(_route_of(service, str(route.kind))),
                    *pathway_facts(steps, map, edges=edges),
                ],
                contacts=contacts_of(service),
                no_public_contact=service.no_public_contact,
                pathway_explained=explain_steps(steps, map, edges=edges, source=source),
                pathway_note=pathway_note(path, service, source=source),
            )
        )
        above = (service.name, place)
    not_eligible = []
    for at in islice(in_order(refused, [met]), offset, offset + cap):
        service = index.services[at]
        decision = decision_of(service)
        not_eligible.append(
            _entry(
                NotEligible,
                service_id=service.id,
                name=service.name,
                ring=service.ring.value,
                matched_needs=[n for n in family.needs if n in service.needs],
                reasons=list(decision.reasons),
            )
        )

    lmm = map.service(map.lmm.service_id)
    assert lmm is not None  # the seed's cross-reference check guarantees it
    lmm_decision = decision_of(lmm)
    usable: list[AltCandidate] = []
    if lmm_decision.status is Eligibility.not_eligible:
        # What else LMM's block may offer: services meeting a need LMM would have met, that
        # the family can use now, best first.
        alternatives = (
            placed
            & ~unsure
            & index.needing(set(family.needs) & set(lmm.needs))
            & ~index.of([lmm.id])
        )
        for at in islice(in_order(alternatives, partitions), 3):
            alt = index.services[at]
            matched = [n for n in family.needs if n in alt.needs]
            usable.append(AltCandidate(alt.id, alt.name, matched))
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
        totals=Totals(recommendations=placed.bit_count(), not_eligible=refused.bit_count()),
        lmm=lmm_block(
            map,
            family,
            lmm,
            lmm_decision,
            usable,
            elsewhere=pointer(map, location) if outside(map, location) else None,
            inferred=service_facts(
                lmm,
                map,
                day=as_of,
                matched=[],  # pragma: no mutate (no needs named: None would say the same)
                labels=needs,  # pragma: no mutate (as above)
            ),
        ),
    )


def _by_count(sets: list[int]) -> list[int]:
    """Members by how many of `sets` hold them, most first: as a partition, each class holds
    those in at least that many (the first class holding a member is its exact count)."""
    at_least = [REST]
    for members in sets:
        at_least.append(0)
        for j in range(len(at_least) - 1, 0, -1):
            at_least[j] |= at_least[j - 1] & members
    return at_least[:0:-1]


def _as_met(index: ServiceIndex, at: int, family: Family) -> tuple[object, ...]:
    """Services of one name in the order the family's needs first meet them, then the map's."""
    service = index.services[at]
    first = next(i for i, n in enumerate(family.needs) if n in service.needs)
    return (service.name, first, index.map_order[at])


def _ease(
    index: ServiceIndex, graph: ReferralGraph, source: str, day: dt.date, avoid: frozenset[str]
) -> list[int]:
    """ranking.ease_of for every service from `source`, as a partition: direct, the family
    goes themselves, one service between, a long route, none."""
    g = graph.day_graph(day)
    direct: list[str] = []
    family: list[str] = []
    for target, attrs in g.adj.get(source, {}).items():
        (family if attrs["kinds"] == {EdgeKind.signposts} else direct).append(target)
    reached = index.of(direct) | index.of(family) | index.self_referral
    between: dict[bool, list[str]] = {False: [], True: []}
    for target, path in graph.practical_paths(source, day, avoid).items():
        if len(path) > 2:
            between[len(path) > 3].append(target)
    return [
        index.of(direct),
        index.of(family) | index.self_referral & ~index.of(direct),
        index.of(between[False]) & ~reached,
        index.of(between[True]) & ~reached,
        REST,
    ]


def _ranking(
    index: ServiceIndex,
    graph: ReferralGraph,
    *,
    placed: int,
    unsure: int,
    met: list[int],
    family: Family,
    as_of: dt.date,
    avoid: frozenset[str],
    first: Callable[[int, list[list[int]]], int],
) -> tuple[list[list[int]], list[tuple[int, str]]]:
    """The order of ranking.Standing.key as partitions of the services (see walk), part by
    part; and the leads that wait their turn, with the name of the better lead for their need
    that stands above them. `first(members, partitions)` is the first in order."""
    source = family.from_service
    leads: list[tuple[Lead, int]] = []
    led = 0
    for code in family.needs:  # a service's lead is for the first of the needs it leads for
        here = 0
        for lead, members in index.leads.get(code, ()):
            if mine := members & placed & ~led:
                leads.append((lead, mine))
                here |= mine
        led |= here
    urgent = _union(mine for lead, mine in leads if lead.urgent)
    at_level = index.level_gaps[family.level][0]
    leads_here = urgent | led & at_level
    preferred: dict[int, int] = defaultdict(int)
    for lead, mine in leads:
        if lead.preference:
            preferred[lead.preference] |= mine
    ease = [*index.route_ease, REST]
    if source:
        ease = graph.remember(
            ("ease", source, as_of, avoid), lambda: _ease(index, graph, source, as_of, avoid)
        )
    partitions = [
        [urgent, REST],
        [leads_here, REST],
        [REST],  # turn: below, once the first lead for each need is known
        list(index.level_gaps[family.level]),
        [led, REST],
        [~unsure, REST],
        ease,
        [~_union(preferred.values()), *(preferred[k] for k in sorted(preferred))],
        met,
        [_primary(index, family), REST],
        list(index.rings),
        list(index.need_counts),
    ]
    by_need: dict[str, int] = defaultdict(int)
    for lead, mine in leads:
        by_need[lead.need] |= mine & leads_here
    waiting = []
    for members in by_need.values():
        if members:
            best = first(members, partitions)
            waiting.append((members & ~(1 << best), index.services[best].name))
    partitions[TURN] = [~_union(members for members, _ in waiting), REST]
    return partitions, waiting


def _union(sets: Iterable[int]) -> int:
    out = 0
    for members in sets:
        out |= members
    return out


def _primary(index: ServiceIndex, family: Family) -> int:
    """Services whose first need, the one they are mainly for, is one of the family's."""
    out = 0
    for code in set(family.needs):
        out |= index.first_need.get(code, 0)
    return out

"""What if: what a proposed service would duplicate and add, never stored."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import partial

from pydantic import BaseModel, Field

from navigator.core.analytics.areas import AreaIndex
from navigator.core.analytics.gaps import BAND_MONTHS, AgeBand, grid
from navigator.core.analytics.scoring import OverlapParts, Scorer, profiles
from navigator.core.graph import ReferralGraph
from navigator.core.models import EdgeKind, Level, Map, Ring, Service
from navigator.core.validation import check_service, references

# What-if suggests edges from the services most like the proposal, not from every faint match.
EDGE_SOURCES = 5
EDGE_MIN_OVERLAP = 0.3

_RING_ORDER = list(Ring)
_RING_NAMES = {Ring.core: "core", Ring.grey: "grey circle", Ring.outer: "outer circle"}


class ServiceOverlap(BaseModel):
    service_id: str
    name: str
    score: float = Field(ge=0, le=1)
    shared_needs: list[str]
    shared_levels: list[Level]
    shared_age_months: tuple[int, int] | None
    shared_areas: list[str]
    shared_postcodes: int
    parts: OverlapParts


class FilledGap(BaseModel):
    need: str
    level: Level
    ward_code: str
    ward: str
    age_band: AgeBand
    checks: list[str] = Field(description="Empty when the proposal would take such families")


class RingLeaning(BaseModel):
    need: str
    services: int = Field(description="Services with this need active that day")
    shares: dict[Ring, float] = Field(description="Share of those services in each ring")


class SuggestedEdge(BaseModel):
    source: str
    target: str
    kind: EdgeKind
    because: list[str] = Field(description="Overlapping services that have this edge today")
    weight: float = Field(description="Sum of those services' overlap scores")


class WhatIfResult(BaseModel):
    as_of: dt.date
    service_id: str
    replaces: str | None = Field(description="The existing service the proposal stands in for")
    overlaps: list[ServiceOverlap]
    gaps_filled: list[FilledGap]
    ring: Ring
    declared_ring: Ring
    ring_reason: str
    ring_leanings: list[RingLeaning]
    suggested_edges: list[SuggestedEdge]


def validate_proposal(map: Map, proposal: Service) -> None:
    """Raise a typed error naming the field for any need, area or GP list the map lacks."""
    check_service(proposal, references(map))


def derive_ring(
    *, map: Map, needs: Sequence[str], as_of: dt.date, exclude: str | None = None
) -> tuple[Ring | None, list[RingLeaning]]:
    """Where Figure 1 would put a service with these needs, judged by the map itself.

    Each need leans toward the rings its services sit in (shares of that need's services);
    the ring with the highest mean share over the needs wins, ties going to the ring nearer
    the relationship. None when no service shares any of the needs.
    """
    active = [s for s in map.active_services(as_of) if s.id != exclude]
    leanings = []
    totals: Counter[Ring] = Counter()
    for code in needs:
        counts = Counter(s.ring for s in active if code in s.needs)
        n = sum(counts.values())
        shares = {r: round(counts[r] / n, 3) if n else 0.0 for r in _RING_ORDER}
        leanings.append(RingLeaning(need=code, services=n, shares=shares))
        if n:
            totals.update({r: counts[r] / n for r in _RING_ORDER})
    if not totals:
        return None, leanings
    return max(_RING_ORDER, key=lambda r: (totals[r], -_RING_ORDER.index(r))), leanings


def _ring_reason(map: Map, ring: Ring, leanings: list[RingLeaning]) -> str:
    labels = {n.code: n.label for n in map.needs}
    return f"Services with its needs sit mostly in the {_RING_NAMES[ring]}: " + "; ".join(
        f"{labels.get(lean.need, lean.need)}, {round(lean.shares[ring] * 100)}% of "
        f"{lean.services} services"
        for lean in leanings
        if lean.services
    )


def _suggest_edges(
    *, graph: ReferralGraph, proposal: str, overlaps: list[ServiceOverlap], day: dt.date
) -> list[SuggestedEdge]:
    """Who would refer to the proposal, and where it would refer on: the edges its nearest
    neighbours have today."""
    g = graph.day_graph(day)
    found: dict[tuple[str, str, EdgeKind], tuple[float, list[str]]] = {}

    def add(source: str, target: str, kinds: Iterable[EdgeKind], via: ServiceOverlap) -> None:
        if source == target:
            return
        for kind in kinds:
            weight, because = found.get((source, target, kind), (0.0, []))
            found[(source, target, kind)] = (weight + via.score, [*because, via.service_id])

    near = [o for o in overlaps if o.score >= EDGE_MIN_OVERLAP][:EDGE_SOURCES]
    for o in near:
        if o.service_id not in g:
            continue
        for source, _, data in g.in_edges(o.service_id, data=True):
            if source != proposal:
                add(source, proposal, data["kinds"], o)
        for _, target, data in g.out_edges(o.service_id, data=True):
            if target != proposal:
                add(proposal, target, data["kinds"], o)
    edges = [
        SuggestedEdge(source=s, target=t, kind=k, because=because, weight=round(w, 3))
        for (s, t, k), (w, because) in found.items()
    ]
    edges.sort(key=lambda e: (-e.weight, e.source, e.target, e.kind.value))
    return edges


def _overlaps(
    *, map: Map, index: AreaIndex, running: Service, as_of: dt.date, limit: int
) -> list[ServiceOverlap]:
    """The services active that day that share a need with the proposal, most alike first."""
    scorer = Scorer(map=map, index=index, day=as_of)
    profile = profiles(scorer, [running])[0]
    others = (s for s in map.services if s.id != running.id and s.active_on(as_of))
    overlaps = []
    for p in profiles(scorer, others):
        if not p.needs & profile.needs:
            continue
        d = scorer.details(profile, p)
        for sid in p.members:
            s = map.services_by_id[sid]
            overlaps.append(ServiceOverlap(service_id=sid, name=s.name, **d.fields()))
    overlaps.sort(key=lambda o: (-o.score, o.service_id))
    return overlaps[:limit]


def _gaps_filled(
    *, map: Map, index: AreaIndex, running: Service, as_of: dt.date
) -> list[FilledGap]:
    """For each need at each level of the proposal, the cells it would cover and no existing
    service covers. The proposal's cells first (one service: quick), then whether any existing
    service covers those, stopping at the first it finds."""
    solo = map.model_copy(update={"services": [running]})
    existing = map.active_services(as_of)
    filled = []
    for need in dict.fromkeys(running.needs):
        for level in sorted(set(running.levels), key=lambda lv: lv.rank):
            ask = partial(grid, map=map, index=index, need=need, level=level, day=as_of)
            mine = ask(services=[running], signatures=solo.eligibility_signatures)
            taken = {c for c, answers in mine.items() if answers}
            if not taken:
                continue
            covered = ask(
                services=existing,
                signatures=map.eligibility_signatures,
                cells=taken,
                first_only=True,
            )
            for w in index.wards:
                for band in BAND_MONTHS:
                    if (w.code, band) in taken and not covered.get((w.code, band)):
                        filled.append(
                            FilledGap(
                                need=need,
                                level=level,
                                ward_code=w.code,
                                ward=w.name,
                                age_band=band,
                                checks=list(mine[(w.code, band)][running.id].checks),
                            )
                        )
    return filled


def what_if(
    *,
    map: Map,
    index: AreaIndex,
    graph: ReferralGraph,
    proposal: Service,
    as_of: dt.date,
    limit: int = 50,
) -> WhatIfResult:
    """What a proposed service would duplicate and add on `as_of`; nothing is stored.

    The proposal is taken as running that day whatever its own dates (its rules' dates still
    apply). A proposal with an existing id stands in for that service: it is not compared
    with itself. Gaps filled: for each of its needs at each of its levels, the ward x band
    cells no service covers today and the proposal would (eligible, or subject to the checks
    listed).
    """
    validate_proposal(map, proposal)
    running = proposal.model_copy(update={"valid_from": None, "valid_to": None})
    replaces = proposal.id if map.service(proposal.id) is not None else None
    overlaps = _overlaps(map=map, index=index, running=running, as_of=as_of, limit=limit)
    filled = _gaps_filled(map=map, index=index, running=running, as_of=as_of)
    ring, leanings = derive_ring(map=map, needs=running.needs, as_of=as_of, exclude=running.id)
    if ring is None:
        ring = running.ring
        reason = "No service active that day shares its needs: keeping the ring it was given"
    else:
        reason = _ring_reason(map, ring, leanings)
    return WhatIfResult(
        as_of=as_of,
        service_id=running.id,
        replaces=replaces,
        overlaps=overlaps,
        gaps_filled=filled,
        ring=ring,
        declared_ring=running.ring,
        ring_reason=reason,
        ring_leanings=leanings,
        suggested_edges=_suggest_edges(
            graph=graph, proposal=running.id, overlaps=overlaps, day=as_of
        ),
    )

"""What if: what a proposed service would duplicate and add, never stored.

A proposal needs little more than a name, needs, levels, ages and where it would work (areas
of the map, or wards of the district); `propose` fills in the rest. A whole Service (an
existing one edited, say) is a proposal too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from navigator.core.analytics.areas import AreaIndex
from navigator.core.analytics.gaps import BAND_MONTHS, AgeBand, grid
from navigator.core.analytics.ring import RingLeaning, derive_ring, place
from navigator.core.analytics.scoring import OverlapParts, Relation, Scorer, profiles
from navigator.core.errors import UnknownArea
from navigator.core.graph import ReferralGraph
from navigator.core.models import (
    AgeMonths,
    Area,
    AreaClause,
    Catchment,
    ContactPoint,
    EdgeKind,
    Level,
    Map,
    NeedCode,
    Ring,
    Route,
    Rule,
    RuleKind,
    Service,
    Site,
    Slug,
    Source,
    Status,
)
from navigator.core.search import require_need
from navigator.core.validation import check_service, references

# What-if suggests edges from the services most like the proposal, not from every faint match.
EDGE_SOURCES = 5
EDGE_MIN_OVERLAP = 0.3

# The id of the area a proposal's wards make up, in the map the analysis judges it on (with a
# number added if the map has an area of that id).
WARDS_AREA = "proposed-wards"

WardCode = Annotated[str, StringConstraints(min_length=1, max_length=20)]


class Proposal(BaseModel):
    """A service as proposed: what it is for, and where. Everything else is optional.

    `areas` (area ids of the map) or `ward_codes` (wards of the district), not both: it would
    take families living in any of them; with neither, wherever its `rules` allow. The other
    fields are a Service's, so a whole Service is a proposal too.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    needs: list[NeedCode] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    min_age_months: AgeMonths | None = None
    max_age_months: AgeMonths | None = None
    areas: list[Slug] = Field(default=[], description="Area ids: it serves any of them")
    ward_codes: list[WardCode] = Field(
        default=[], description="Ward codes of the district, instead of areas: any of them"
    )
    id: Slug | None = Field(default=None, description="By default, from the name")
    ring: Ring | None = Field(default=None, description="By default, where its needs lean")
    provider: str | None = Field(default=None, min_length=1)
    organisation_id: Slug | None = None
    remit: str | None = Field(default=None, min_length=1)
    rules: list[Rule] = []
    routes: list[Route] = []
    aliases: list[str] = []
    former_names: list[str] = []
    programmes: list[str] = []
    address: str | None = None
    confidential_address: bool = False
    levels_status: Status | None = None
    contacts: list[ContactPoint] = []
    no_public_contact: str | None = None
    sites: list[Site] = []
    catchment: Catchment | None = None
    inferred: list[str] = []
    sources: list[Source] = Field(default=[], description="By default, the proposal itself")
    last_verified: dt.date | None = Field(default=None, description="By default, the day asked")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    @field_validator("max_age_months", mode="after")
    @classmethod
    def _ages_in_order(cls, value: int | None, info: ValidationInfo) -> int | None:
        lo = info.data.get("min_age_months")
        if value is not None and lo is not None and value < lo:
            raise ValueError(f"max_age_months ({value}) is below min_age_months ({lo})")
        return value

    @field_validator("ward_codes", mode="after")
    @classmethod
    def _areas_or_wards(cls, value: list[str], info: ValidationInfo) -> list[str]:
        if value and info.data.get("areas"):
            raise ValueError("give areas or ward_codes, not both")
        return value

    @field_validator("valid_to", mode="after")
    @classmethod
    def _dates_in_order(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"valid_to ({value}) is before valid_from ({start})")
        return value


@dataclass(frozen=True)
class Proposed:
    """A proposal as the analysis judges it: a Service, on a map and index that hold the area
    its wards make up (when it names wards; otherwise the map and index as they were)."""

    service: Service
    map: Map
    index: AreaIndex


class ServiceOverlap(BaseModel):
    service_id: str
    name: str
    score: float = Field(ge=0, le=1)
    relation: Relation
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


def _require_needs(map: Map, needs: Iterable[str]) -> None:
    known = map.need_codes()
    for i, code in enumerate(needs):
        require_need(code, known, loc=("needs", i))


def validate_proposal(map: Map, proposal: Service) -> None:
    """Raise a typed error naming the field for any need, area or GP list the map lacks."""
    _require_needs(map, proposal.needs)
    check_service(proposal, references(map))


def _new_id(taken: Iterable[str], name: str) -> str:
    """A slug of the name that no entry of `taken` has: a proposal never stands in for an
    existing service unless its id says so."""
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:70].strip("-") or "proposed"
    used = set(taken)
    out, n = base, 1
    while out in used:
        n += 1
        out = f"{base}-{n}"
    return out


def _check_where(map: Map, index: AreaIndex, proposal: Proposal) -> None:
    """Raise, naming the field, for an area the map lacks or a ward not of the district."""
    known = {a.id for a in map.areas}
    for i, area in enumerate(proposal.areas):
        if area not in known:
            raise UnknownArea(f"{area!r} is not a known area", loc=("areas", i))
    wards = {w.code for w in index.wards}
    for i, code in enumerate(proposal.ward_codes):
        if code not in wards:
            raise UnknownArea(f"{code!r} is not a ward of the district", loc=("ward_codes", i))


def _in_any(areas: Iterable[str]) -> list[Rule]:
    """Living in any of the areas, as one rule; none for no areas."""
    rules = [Rule(kind=RuleKind.area, area=a) for a in dict.fromkeys(areas)]
    return rules if len(rules) < 2 else [Rule(kind=RuleKind.any_of, rules=rules)]


def _with_wards(map: Map, index: AreaIndex, ward_codes: list[str]) -> tuple[Map, AreaIndex, Area]:
    """The map and index with an area (of an id the map does not use) made of the wards."""
    codes = list(dict.fromkeys(ward_codes))
    names = [w.name for w in index.wards if w.code in set(codes)]
    area = Area(
        id=_new_id((a.id for a in map.areas), WARDS_AREA),
        name=f"ward{'s' if len(codes) > 1 else ''} proposed ({', '.join(names)})",
        description="The wards a proposal names, for what-if only",
        any_of=[AreaClause(ward_codes=codes)],
        status=Status.inferred,
    )
    judged = map.model_copy(update={"areas": [*map.areas, area]})
    return judged, index.with_wards(area, codes), area


def propose(
    *, map: Map, index: AreaIndex, proposal: Proposal | Service, as_of: dt.date
) -> Proposed:
    """The proposal as a Service, and what to judge it on; raises a typed error naming the
    field (`loc`) for any need, area, ward or GP list the map lacks.

    Left out, the id is a new slug of the name, the ring where its needs lean on `as_of` (grey
    when no service shares them), the provider "Proposed" and the source the proposal itself.
    """
    if isinstance(proposal, Service):
        proposal = Proposal.model_validate(proposal.model_dump())
    _require_needs(map, proposal.needs)
    _check_where(map, index, proposal)
    name = proposal.name
    given = proposal.model_dump(exclude={"areas", "ward_codes"}, exclude_none=True)
    service = Service.model_validate(
        given
        | {
            "id": proposal.id or _new_id(map.services_by_id, name),
            "ring": proposal.ring
            or derive_ring(map=map, needs=proposal.needs, as_of=as_of)[0]
            or Ring.grey,
            "provider": proposal.provider or "Proposed",
            "remit": proposal.remit or f"Proposed: {name}",
            "rules": [*given["rules"], *_in_any(proposal.areas)],
            "sources": given["sources"]
            or [{"title": "Commissioner's proposal", "status": Status.inferred}],
            "last_verified": proposal.last_verified or as_of,
        }
    )
    validate_proposal(map, service)  # its own rules
    if not proposal.ward_codes:
        return Proposed(service=service, map=map, index=index)
    judged_map, judged_index, area = _with_wards(map, index, proposal.ward_codes)
    # After validation: the map as it was has no such area.
    service = service.model_copy(update={"rules": [*service.rules, *_in_any([area.id])]})
    return Proposed(service=service, map=judged_map, index=judged_index)


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
    """The services active that day that share a need with the proposal, most alike first.

    `map` as it was: the area a proposal's wards make up is not one the services share."""
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
    proposal: Proposal | Service,
    as_of: dt.date,
    limit: int = 50,
) -> WhatIfResult:
    """What a proposed service would duplicate and add on `as_of`; nothing is stored.

    The proposal (see `propose`) is taken as running that day whatever its own dates (its
    rules' dates still apply). A proposal with an existing id stands in for that service: it
    is not compared with itself. Gaps filled: for each of its needs at each of its levels, the
    ward x band cells no service covers today and the proposal would (eligible, or subject to
    the checks listed).
    """
    judged = propose(map=map, index=index, proposal=proposal, as_of=as_of)
    running = judged.service.model_copy(update={"valid_from": None, "valid_to": None})
    replaces = running.id if map.service(running.id) is not None else None
    overlaps = _overlaps(map=map, index=judged.index, running=running, as_of=as_of, limit=limit)
    filled = _gaps_filled(map=judged.map, index=judged.index, running=running, as_of=as_of)
    ring, reason, leanings = place(map=map, service=running, as_of=as_of)
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

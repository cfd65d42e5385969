"""For commissioners: overlap, gaps, what-if and the referral network, as of any date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from api.deps import EngineDep, MapDep
from api.routes.services import AsOf
from navigator.core import analytics
from navigator.core.analytics import (
    GapsResult,
    NetworkResult,
    OverlapResult,
    Proposal,
    WhatIfResult,
)
from navigator.core.analytics import demand as demand_counts
from navigator.core.analytics.changes import ChangesResult
from navigator.core.analytics.changes import changes as changes_between
from navigator.core.errors import NavigatorError
from navigator.core.models import Level

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

BAD_INPUT: dict[int | str, dict[str, Any]] = {
    422: {"description": "A parameter is malformed, out of range or unknown; `loc` names it"}
}


@router.get(
    "/overlap",
    response_model=OverlapResult,
    summary="Pairs of services whose remits overlap, highest score first",
    responses=BAD_INPUT,
)
def overlap(
    snap: MapDep,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Pairs to return")] = 200,
    min_score: Annotated[float, Query(ge=0, le=1, description="Leave out lower scores")] = 0.0,
) -> OverlapResult:
    return analytics.overlap(
        map=snap.map,
        index=snap.area_index,
        as_of=as_of or dt.date.today(),
        limit=limit,
        min_score=min_score,
    )


@router.get(
    "/gaps",
    response_model=GapsResult,
    summary="Ward x age band: which services would take a family with this need",
    responses=BAD_INPUT,
)
def gaps(
    snap: MapDep,
    need: Annotated[str, Query(min_length=1, max_length=60, description="A need code")],
    level: Annotated[Level, Query(description="How much help is needed")] = Level.universal_plus,
    as_of: AsOf = None,
) -> GapsResult:
    return analytics.gaps(
        map=snap.map, index=snap.area_index, need=need, level=level, as_of=as_of or dt.date.today()
    )


@router.post(
    "/what-if",
    response_model=WhatIfResult,
    summary="What a proposed service would duplicate and add (nothing is stored)",
    description=(
        "The proposal needs a name, needs, levels, optional ages, and `areas` (area ids) or "
        "`ward_codes` (wards of the district); any other field of a service may be given too, "
        "so a whole service (an existing one, edited) is a proposal."
    ),
    responses=BAD_INPUT,
)
def what_if(
    proposal: Proposal,
    snap: MapDep,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, le=5000, description="Overlaps to return")] = 50,
) -> WhatIfResult:
    return analytics.what_if(
        map=snap.map,
        index=snap.area_index,
        graph=snap.graph,
        proposal=proposal,
        as_of=as_of or dt.date.today(),
        limit=limit,
    )


@router.get(
    "/network",
    response_model=NetworkResult,
    summary="Referral degrees, betweenness, reach from the universal services",
    responses=BAD_INPUT,
)
def network(
    snap: MapDep,
    as_of: AsOf = None,
    universal: Annotated[
        list[str] | None,
        Query(max_length=50, description="Services routes start from; repeat for more"),
    ] = None,
) -> NetworkResult:
    return analytics.network(
        map=snap.map,
        graph=snap.graph,
        as_of=as_of or dt.date.today(),
        universal=universal,
    )


@router.get(
    "/changes",
    response_model=ChangesResult,
    summary="What changed between two dates: services, rules and catchments, referral edges",
    responses=BAD_INPUT,
)
def changes(
    start: Annotated[dt.date, Query(alias="from", description="The first date (YYYY-MM-DD)")],
    snap: MapDep,
    end: Annotated[
        dt.date | None, Query(alias="to", description="The second date; default today")
    ] = None,
) -> ChangesResult:
    return changes_between(map=snap.map, start=start, end=end or dt.date.today())


def _month(value: str | None, default: dt.date, name: str) -> str:
    """A month as YYYY-MM, from YYYY-MM or a date."""
    if value is None:
        return demand_counts.month_of(default)
    text = value.strip()
    if demand_counts.MONTH.match(text):
        return text
    try:
        return demand_counts.month_of(dt.date.fromisoformat(text))
    except ValueError:
        raise NavigatorError(
            f"{value!r} is not a month (YYYY-MM) or a date (YYYY-MM-DD)", loc=(name,)
        ) from None


@router.get(
    "/demand",
    response_model=demand_counts.DemandResult,
    summary="Navigate questions per need, ward and month (when counting is switched on)",
    description=(
        "Only when the server runs with NAVIGATOR_DEMAND_COUNTS=true (404 otherwise). Counts "
        f"below {demand_counts.SUPPRESS_BELOW} are given as null with `suppressed: true`. "
        "Nothing else about a question is kept: no postcode, age, day or request id."
    ),
    responses={404: {"description": "Demand counting is switched off"}, **BAD_INPUT},
)
def demand(
    request: Request,
    engine: EngineDep,
    start: Annotated[
        str | None, Query(alias="from", max_length=10, description="First month, YYYY-MM")
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", max_length=10, description="Last month, YYYY-MM")
    ] = None,
) -> demand_counts.DemandResult:
    from navigator.db import demand as stored

    if not request.app.state.settings.demand_counts:
        raise HTTPException(404, "Demand counting is switched off (NAVIGATOR_DEMAND_COUNTS)")
    today = dt.date.today()
    first = _month(start, today.replace(year=today.year - 1), "from")
    last = _month(end, today, "to")
    rows = stored.read(engine, start=first, end=last)
    return demand_counts.DemandResult(start=first, end=last, cells=demand_counts.cells(rows))

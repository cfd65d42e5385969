"""For commissioners: overlap, gaps, what-if and the referral network, as of any date."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import MapDep
from api.routes.services import AsOf
from navigator.core import analytics
from navigator.core.analytics import (
    GapsResult,
    NetworkResult,
    OverlapResult,
    Proposal,
    WhatIfResult,
)
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

"""POST /api/v1/navigate: where should this family go? Nothing of the request is kept."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import Field

from api.demand import count_question
from api.deps import MapDep
from navigator.core.family import Family
from navigator.core.models import Day
from navigator.core.navigate import DEFAULT_LIMIT, NavigateResult

router = APIRouter(prefix="/api/v1", tags=["navigate"])


class NavigateRequest(Family):
    as_of: Day | None = Field(default=None, description="The map as it stood that day")
    limit: int = Field(
        default=DEFAULT_LIMIT,
        ge=1,
        le=500,
        description="At most this many recommendations, and this many not eligible, best first",
    )
    offset: int = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="Skip this many of each list first: the next page of a long answer",
    )


@router.post(
    "/navigate",
    response_model=NavigateResult,
    summary="Ranked, explained services for a family",
    responses={422: {"description": "A field is missing, malformed or unknown; `loc` names it"}},
)
async def navigate(
    body: NavigateRequest, snap: MapDep, request: Request, background: BackgroundTasks
) -> NavigateResult:
    # Async: the answer is pure computation on the cached map, with no I/O to wait for (the
    # opt-in demand count runs after the answer is sent).
    family = Family.model_validate(body.model_dump(exclude={"as_of", "limit", "offset"}))
    result = snap.navigate(
        family, body.as_of or dt.date.today(), limit=body.limit, offset=body.offset
    )
    count_question(request, background, snap, family)
    return result

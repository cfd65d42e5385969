from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import MapDep
from navigator.core.geography import Location

router = APIRouter(prefix="/api/v1", tags=["postcodes"])


@router.get(
    "/postcodes/{postcode}",
    response_model=Location,
    summary="Where a unit postcode is, and which areas it is in",
    responses={422: {"description": "Not a well-formed UK postcode"}},
)
def postcode(postcode: Annotated[str, Path(max_length=16)], snap: MapDep) -> Location:
    return snap.locate(postcode)

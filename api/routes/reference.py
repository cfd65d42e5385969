"""The vocabularies and footprints the map is written in."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from api.deps import MapDep
from navigator.core.models import Area, LevelInfo, Need, Organisation, RingInfo

router = APIRouter(prefix="/api/v1", tags=["reference"])


class GpListPublic(BaseModel):
    id: str
    name: str
    description: str
    loaded: bool
    check_text: str
    practices: list[str]


@router.get("/needs", response_model=list[Need], summary="The needs vocabulary")
def needs(snap: MapDep) -> list[Need]:
    return snap.map.needs


@router.get("/levels", response_model=list[LevelInfo], summary="Levels, lowest first")
def levels(snap: MapDep) -> list[LevelInfo]:
    return snap.map.levels


@router.get("/rings", response_model=list[RingInfo], summary="Figure 1's rings")
def rings(snap: MapDep) -> list[RingInfo]:
    return snap.map.rings


@router.get("/areas", response_model=list[Area], summary="Areas, decided per unit postcode")
def areas(snap: MapDep) -> list[Area]:
    return snap.map.areas


@router.get("/gp-lists", response_model=list[GpListPublic], summary="Named GP practice lists")
def gp_lists(snap: MapDep) -> list[GpListPublic]:
    return [
        GpListPublic(
            id=g.id,
            name=g.name,
            description=g.description,
            loaded=g.practices is not None,
            check_text=g.check_text,
            practices=g.practices or [],
        )
        for g in snap.map.gp_lists
    ]


@router.get(
    "/organisations",
    response_model=list[Organisation],
    summary="The bodies that provide services, with ODS, charity and company numbers",
)
def organisations(snap: MapDep) -> list[Organisation]:
    return snap.map.organisations

"""Reading the map: services, one service, and the map as nodes and edges."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import MapDep
from navigator.core.errors import NotFound
from navigator.core.models import Day, EdgeKind, Level, Ring, Service, Status, public
from navigator.core.search import ServiceQuery, find_hits

router = APIRouter(prefix="/api/v1", tags=["services"])


class ServicePage(BaseModel):
    items: list[Service]
    total: int
    page: int
    per_page: int
    matched: dict[str, str] = Field(
        default={}, description="With `q`: per service on this page, what the search matched"
    )


class MapNode(BaseModel):
    id: str
    name: str
    ring: Ring
    provider: str
    needs: list[str]
    levels: list[Level]
    min_age_months: int | None
    max_age_months: int | None
    self_referral: bool


class MapEdge(BaseModel):
    source: str
    target: str
    kind: EdgeKind
    note: str | None
    status: Status


class MapGraph(BaseModel):
    as_of: dt.date
    nodes: list[MapNode]
    edges: list[MapEdge]


AsOf = Annotated[Day | None, Query(description="The map as it stood that day; default today")]


@router.get("/services", response_model=ServicePage, summary="Search and list services")
def list_services(
    snap: MapDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    q: Annotated[
        str,
        Query(
            max_length=200,
            description="Names, aliases, former names, needs and their synonyms, LMM's "
            "interventions, programmes, remits and place names (towns and wards); typo-tolerant",
        ),
    ] = "",
    need: Annotated[str | None, Query(max_length=60)] = None,
    ring: Ring | None = None,
    as_of: AsOf = None,
    stale_after: Annotated[
        Day | None, Query(description="Only services last verified before this date")
    ] = None,
) -> ServicePage:
    # Stale ones come oldest verification first: the editors' to-do list.
    query = ServiceQuery(
        text=q,
        need=need or None,
        ring=ring,
        as_of=as_of,
        stale_before=stale_after,
        places=snap.places if q.strip() else None,
    )
    hits = find_hits(snap.map, query)
    start = (page - 1) * per_page
    shown = hits[start : start + per_page]
    return ServicePage(
        items=[public(h.service) for h in shown],
        total=len(hits),
        page=page,
        per_page=per_page,
        matched={h.service.id: h.matched for h in shown if h.matched},
    )


@router.get(
    "/services/{service_id}",
    response_model=Service,
    summary="One service, with an ETag",
    responses={304: {"description": "Not modified"}, 404: {"description": "No such service"}},
)
def get_service(
    service_id: Annotated[str, Path(max_length=80)],
    snap: MapDep,
    response: Response,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Service | Response:
    service = snap.map.service(service_id)
    if service is None:
        raise NotFound(f"No service with id {service_id!r}")
    etag = snap.etag(service_id)
    if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
        return Response(status_code=304, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return public(service)


@router.get("/map", response_model=MapGraph, summary="The map as nodes and typed edges")
def map_graph(snap: MapDep, as_of: AsOf = None) -> MapGraph:
    day = as_of or dt.date.today()
    return MapGraph(
        as_of=day,
        nodes=[
            MapNode(
                id=s.id,
                name=s.name,
                ring=s.ring,
                provider=s.provider,
                needs=s.needs,
                levels=s.levels,
                min_age_months=s.min_age_months,
                max_age_months=s.max_age_months,
                self_referral=s.self_referral,
            )
            for s in snap.map.active_services(day)
        ],
        edges=[
            MapEdge(**e.model_dump(include=set(MapEdge.model_fields)))
            for e in snap.map.active_edges(day)
        ],
    )

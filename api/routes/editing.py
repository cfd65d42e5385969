"""Editing the map: services, edges and GP lists. Writes need an editor key and If-Match."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response, status
from pydantic import BaseModel

from api.auth import EditorDep
from api.deps import SessionDep, WriterDep
from navigator.core.errors import NotFound
from navigator.core.models import Day, Edge, GpList, OdsCode, Service, public
from navigator.db import store, writes
from navigator.db.writes import MapWriter

router = APIRouter(prefix="/api/v1", tags=["editing"])

IfMatch = Annotated[str | None, Header(description="The ETag you last read")]
RetireOn = Annotated[
    Day | None, Query(description="First day it is no longer offered; default today")
]
Patch = Annotated[dict[str, Any], Body(description="A JSON merge patch (RFC 7396)")]
ServiceId = Annotated[str, Path(max_length=80)]
EdgeId = Annotated[int, Path(ge=1, le=2**31 - 1)]

WRITE: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's role may not do this"},
    404: {"description": "No such thing"},
    409: {"description": "It exists already"},
    412: {"description": "Stale If-Match: someone changed it since you read it"},
    428: {"description": "If-Match is required"},
}


def _service_out(response: Response, service: Service, writer: MapWriter) -> Service:
    response.headers["ETag"] = writer.service_etag(service)
    return public(service)


@router.post(
    "/services",
    status_code=status.HTTP_201_CREATED,
    response_model=Service,
    responses=WRITE,
    summary="Add a service",
)
def create_service(
    body: Service, actor: EditorDep, writer: WriterDep, response: Response
) -> Service:
    saved = writer.create_service(service=body, actor=actor.name)
    response.headers["Location"] = f"/api/v1/services/{saved.id}"
    return _service_out(response, saved, writer)


@router.put("/services/{service_id}", response_model=Service, responses=WRITE)
def replace_service(
    service_id: ServiceId,
    body: Service,
    actor: EditorDep,
    writer: WriterDep,
    response: Response,
    if_match: IfMatch = None,
) -> Service:
    saved = writer.replace_service(
        service_id=service_id, service=body, if_match=if_match, actor=actor.name
    )
    return _service_out(response, saved, writer)


@router.patch("/services/{service_id}", response_model=Service, responses=WRITE)
def patch_service(
    service_id: ServiceId,
    body: Patch,
    actor: EditorDep,
    writer: WriterDep,
    response: Response,
    if_match: IfMatch = None,
) -> Service:
    saved = writer.patch_service(
        service_id=service_id, patch=body, if_match=if_match, actor=actor.name
    )
    return _service_out(response, saved, writer)


@router.delete(
    "/services/{service_id}",
    response_model=Service,
    responses=WRITE,
    summary="Retire a service (history is kept)",
)
def retire_service(
    service_id: ServiceId,
    actor: EditorDep,
    writer: WriterDep,
    response: Response,
    on: RetireOn = None,
    if_match: IfMatch = None,
) -> Service:
    saved = writer.retire_service(
        service_id=service_id,
        on=on or dt.date.today(),
        if_match=if_match,
        actor=actor.name,
    )
    return _service_out(response, saved, writer)


# --- edges ------------------------------------------------------------------------------------


class EdgePublic(Edge):
    id: int


def _edge_out(response: Response, edge_id: int, edge: Edge) -> EdgePublic:
    response.headers["ETag"] = writes.edge_etag(edge_id, edge)
    return EdgePublic(id=edge_id, **edge.model_dump())


@router.get("/edges", response_model=list[EdgePublic], tags=["services"])
def list_edges(session: SessionDep) -> list[EdgePublic]:
    return [EdgePublic(id=i, **e.model_dump()) for i, e in store.list_edges(session)]


@router.get(
    "/edges/{edge_id}", response_model=EdgePublic, responses={404: {"description": "No such edge"}}
)
def get_edge(edge_id: EdgeId, session: SessionDep, response: Response) -> EdgePublic:
    edge = store.get_edge(session, edge_id)
    if edge is None:
        raise NotFound(f"No edge with id {edge_id}")
    return _edge_out(response, edge_id, edge)


@router.post("/edges", status_code=201, response_model=EdgePublic, responses=WRITE)
def create_edge(body: Edge, actor: EditorDep, writer: WriterDep, response: Response) -> EdgePublic:
    edge_id, edge = writer.create_edge(edge=body, actor=actor.name)
    response.headers["Location"] = f"/api/v1/edges/{edge_id}"
    return _edge_out(response, edge_id, edge)


@router.put("/edges/{edge_id}", response_model=EdgePublic, responses=WRITE)
def replace_edge(
    edge_id: EdgeId,
    body: Edge,
    actor: EditorDep,
    writer: WriterDep,
    response: Response,
    if_match: IfMatch = None,
) -> EdgePublic:
    new_id, edge = writer.replace_edge(
        edge_id=edge_id, edge=body, if_match=if_match, actor=actor.name
    )
    return _edge_out(response, new_id, edge)


@router.patch("/edges/{edge_id}", response_model=EdgePublic, responses=WRITE)
def patch_edge(
    edge_id: EdgeId,
    body: Patch,
    actor: EditorDep,
    writer: WriterDep,
    response: Response,
    if_match: IfMatch = None,
) -> EdgePublic:
    new_id, edge = writer.patch_edge(
        edge_id=edge_id, patch=body, if_match=if_match, actor=actor.name
    )
    return _edge_out(response, new_id, edge)


@router.delete("/edges/{edge_id}", response_model=EdgePublic, responses=WRITE)
def retire_edge(
    edge_id: EdgeId,
    actor: EditorDep,
    writer: WriterDep,
    response: Response,
    on: RetireOn = None,
    if_match: IfMatch = None,
) -> EdgePublic:
    new_id, edge = writer.retire_edge(
        edge_id=edge_id, on=on or dt.date.today(), if_match=if_match, actor=actor.name
    )
    return _edge_out(response, new_id, edge)


# --- GP lists ---------------------------------------------------------------------------------


class GpListUpdate(BaseModel):
    """A GP list's practices (ODS codes); name and wording may change too."""

    model_config = {"extra": "forbid"}

    practices: list[OdsCode]
    name: str | None = None
    description: str | None = None
    check_text: str | None = None


def _gp_out(response: Response, gp: GpList) -> GpList:
    response.headers["ETag"] = writes.gp_list_etag(gp)
    return gp


@router.get(
    "/gp-lists/{list_id}",
    response_model=GpList,
    tags=["reference"],
    responses={404: {"description": "No such list"}},
)
def get_gp_list(
    list_id: Annotated[str, Path(max_length=80)], session: SessionDep, response: Response
) -> GpList:
    gp = store.get_gp_list(session, list_id)
    if gp is None:
        raise NotFound(f"No GP list with id {list_id!r}")
    return _gp_out(response, gp)


@router.post("/gp-lists", status_code=201, response_model=GpList, responses=WRITE)
def create_gp_list(body: GpList, actor: EditorDep, writer: WriterDep, response: Response) -> GpList:
    saved = writer.create_gp_list(gp=body, actor=actor.name)
    response.headers["Location"] = f"/api/v1/gp-lists/{saved.id}"
    return _gp_out(response, saved)


@router.put("/gp-lists/{list_id}", response_model=GpList, responses=WRITE)
def replace_gp_list(
    list_id: Annotated[str, Path(max_length=80)],
    body: GpListUpdate,
    actor: EditorDep,
    writer: WriterDep,
    response: Response,
    if_match: IfMatch = None,
) -> GpList:
    changes = body.model_dump(exclude_none=True)
    saved = writer.update_gp_list(
        list_id=list_id, changes=changes, if_match=if_match, actor=actor.name
    )
    return _gp_out(response, saved)

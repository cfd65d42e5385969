"""Liveness (/healthz: the process answers) and readiness (/readyz: the database takes writes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.deps import EngineDep
from navigator.db import connection
from navigator.db.holder import MapHolder

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    map_version: int | None = None


@router.get("/healthz", summary="Liveness: the process is up and answering", response_model=Health)
async def healthz() -> Health:
    """Never asks the database: a replica whose database is down still serves the map."""
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the database is reachable and writable",
    response_model=Readiness,
    responses={503: {"description": "The database is down or read-only", "model": Readiness}},
)
async def readyz(request: Request, engine: EngineDep) -> JSONResponse:
    reason = await run_in_threadpool(connection.probe, engine)
    maps: MapHolder = request.app.state.maps
    snap = maps.snapshot
    body = Readiness(
        status="ready" if reason is None else "unavailable",
        database="ok" if reason is None else reason,
        map_version=snap.version if snap is not None else None,
    )
    return JSONResponse(body.model_dump(), status_code=200 if reason is None else 503)

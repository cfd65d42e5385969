"""Open Referral UK 3.0 (HSDS 3.0) feed, for local authority and Family Hubs directories."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from api.deps import MapDep
from navigator.core.errors import NotFound
from navigator.core.exports import oruk

router = APIRouter(prefix="/oruk", tags=["open referral uk"])

Page = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=500, description="Items a page, at most 500")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such service"}}


@router.get("/", summary="About this feed")
def about(request: Request) -> dict[str, str]:
    return {
        "version": oruk.HSDS_VERSION,
        "profile": oruk.PROFILE_URL,
        "openapi_url": str(request.url_for("openapi")),
    }


@router.get("/services", summary="A page of services (one-to-one fields)")
def services(
    snap: MapDep,
    page: Page = 1,
    per_page: PerPage = 50,
    search: Annotated[str, Query(max_length=200)] = "",
    taxonomy_term_id: Annotated[str | None, Query(max_length=80)] = None,
    minimum_age: Annotated[float | None, Query(ge=0, le=120)] = None,
    maximum_age: Annotated[float | None, Query(ge=0, le=120)] = None,
    modified_after: dt.datetime | None = None,
) -> dict[str, Any]:
    return oruk.service_page(
        snap.map,
        day=dt.date.today(),
        page_number=page,
        per_page=per_page,
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        modified_after=modified_after,
    )


@router.get("/services/{id}", summary="One fully nested service", responses=NOT_FOUND)
def service(id: Annotated[str, Path(max_length=80)], snap: MapDep) -> dict[str, Any]:
    found = oruk.find_service(snap.map, id)
    if found is None:
        raise NotFound(f"No service with id {id!r}")
    return oruk.service_full(found, snap.map, dt.date.today())


@router.get("/taxonomies", summary="The taxonomies our terms belong to")
def taxonomies(page: Page = 1, per_page: PerPage = 50) -> dict[str, Any]:
    items = oruk.taxonomies()
    start = (page - 1) * per_page
    return oruk.page(
        items[start : start + per_page], page_number=page, size=per_page, total=len(items)
    )


@router.get("/taxonomy_terms", summary="Needs and levels as taxonomy terms")
def taxonomy_terms(snap: MapDep, page: Page = 1, per_page: PerPage = 50) -> dict[str, Any]:
    items = oruk.taxonomy_terms(snap.map)
    start = (page - 1) * per_page
    return oruk.page(
        items[start : start + per_page], page_number=page, size=per_page, total=len(items)
    )

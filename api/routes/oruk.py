"""Open Referral UK 3.0 feed (the UK profile of HSDS 3.0), for local authority and Family Hubs
directories: every endpoint of the profile's OpenAPI description.

Every parameter of that description works as ORUK defines it, or answers 400 naming it (never
silently everything); every answer, errors too, carries `Access-Control-Allow-Origin: *`, as
ORUK's compliance rules ask.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api import errors
from api.deps import MapDep
from api.limits import validation_error
from navigator.core.errors import NavigatorError, NotFound, UnsupportedParameter
from navigator.core.exports import oruk
from navigator.core.snapshot import Snapshot


def _query_names(dependant: Dependant) -> set[str]:
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


class OrukRoute(APIRoute):
    """Answers 400 for a parameter the feed cannot honour, and opens every answer to browsers on
    any origin (the feed is public data)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        allowed = _query_names(self.dependant)

        async def route(request: Request) -> Response:
            try:
                oruk.refuse(request.query_params, allowed)
                response = await handler(request)
            except UnsupportedParameter as exc:
                detail = [
                    {
                        "type": "unsupported_parameter",
                        "loc": ["query", *exc.loc],
                        "msg": exc.message,
                    }
                ]
                response = JSONResponse({"detail": detail}, status_code=400)
            except RequestValidationError as exc:
                response = await validation_error(request, exc)
            except NavigatorError as exc:
                response = await errors.navigator_error(request, exc)
            response.headers["Access-Control-Allow-Origin"] = "*"
            return response

        return route


router = APIRouter(prefix="/oruk", tags=["open referral uk"], route_class=OrukRoute)

Page = Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=500, description="Items a page, at most 500")]
NOT_OFFERED = "Not offered by this feed (no schedules or coordinates): 400 naming it"
Refused = Annotated[str | None, Query(max_length=200, description=NOT_OFFERED)]
BAD: dict[int | str, dict[str, Any]] = {
    400: {"description": "A parameter this feed cannot honour as ORUK defines it, named"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such thing"}}


def _feed(snap: Snapshot) -> oruk.Feed:
    return oruk.Feed(
        map=snap.map, day=dt.date.today(), modified=snap.modified, fallback=snap.built_at
    )


@router.get("/", summary="About this feed")
def about(request: Request) -> dict[str, str]:
    return {
        "version": oruk.HSDS_VERSION,
        "profile": oruk.PROFILE_URL,
        "openapi_url": str(request.url_for("openapi")),
    }


def _query(
    snap: Snapshot,
    *,
    search: str,
    taxonomy_term_id: str | None,
    taxonomy_id: str | None,
    minimum_age: float | None,
    maximum_age: float | None,
    modified_after: dt.datetime | None,
    organization_id: str | None,
    postcode: str | None = None,
    located: bool = False,
) -> oruk.Query:
    return oruk.Query(
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        modified_after=modified_after,
        organization_id=organization_id,
        postcode=snap.locate(postcode) if postcode else None,
        located=located,
    )


Search = Annotated[str, Query(max_length=200, description="Names, ids, aliases (typo-tolerant)")]
TermId = Annotated[
    str | None,
    Query(max_length=200, description="A taxonomy term's id (or a need or level code)"),
]
TaxonomyId = Annotated[str | None, Query(max_length=80, description="A taxonomy's id")]
MinAge = Annotated[
    float | None, Query(ge=0, le=120, description="Services whose minimum age is at least this")
]
MaxAge = Annotated[
    float | None, Query(ge=0, le=120, description="Services whose maximum age is at most this")
]
ModifiedAfter = Annotated[
    dt.datetime | None, Query(description="Services changed on or after this date-time")
]
OrgId = Annotated[str | None, Query(max_length=80, description="The providing organization's id")]
Full = Annotated[bool, Query(description="Fully nested items")]


@router.get("/services", summary="A page of services (one-to-one fields)", responses=BAD)
def services(
    snap: MapDep,
    page: Page = 1,
    per_page: PerPage = 50,
    search: Search = "",
    taxonomy_term_id: TermId = None,
    taxonomy_id: TaxonomyId = None,
    minimum_age: MinAge = None,
    maximum_age: MaxAge = None,
    modified_after: ModifiedAfter = None,
    organization_id: OrgId = None,
    full: Full = False,
    start_time: Refused = None,
    end_time: Refused = None,
    day: Refused = None,
) -> dict[str, Any]:
    query = _query(
        snap,
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        modified_after=modified_after,
        organization_id=organization_id,
    )
    return oruk.service_page(_feed(snap), query, page_number=page, per_page=per_page, full=full)


@router.get("/services/{id}", summary="One fully nested service", responses=NOT_FOUND)
def service(id: str, snap: MapDep) -> dict[str, Any]:
    found = oruk.find_service(snap.map, id)
    if found is None:
        raise NotFound(f"No service with id {id!r}")
    return oruk.service_full(found, _feed(snap))


@router.get(
    "/service_at_locations",
    summary="A page of services at their (public) locations",
    responses=BAD,
)
def service_at_locations(
    snap: MapDep,
    page: Page = 1,
    per_page: PerPage = 50,
    search: Search = "",
    taxonomy_term_id: TermId = None,
    taxonomy_id: TaxonomyId = None,
    minimum_age: MinAge = None,
    maximum_age: MaxAge = None,
    modified_after: ModifiedAfter = None,
    organization_id: OrgId = None,
    postcode: Annotated[
        str | None,
        Query(max_length=20, description="Services whose areas contain this postcode"),
    ] = None,
    full: Full = False,
    start_time: Refused = None,
    end_time: Refused = None,
    day: Refused = None,
    proximity: Refused = None,
) -> dict[str, Any]:
    query = _query(
        snap,
        search=search,
        taxonomy_term_id=taxonomy_term_id,
        taxonomy_id=taxonomy_id,
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        modified_after=modified_after,
        organization_id=organization_id,
        postcode=postcode,
        located=True,
    )
    return oruk.service_at_location_page(
        _feed(snap), query, page_number=page, per_page=per_page, full=full
    )


@router.get(
    "/service_at_locations/{id}",
    summary="One fully nested service at a location",
    responses=NOT_FOUND,
)
def service_at_location(id: str, snap: MapDep) -> dict[str, Any]:
    found = oruk.find_service_at_location(snap.map, id)
    if found is None:
        raise NotFound(f"No service at location with id {id!r}")
    return oruk.service_at_location_item(found, _feed(snap), full=True)


def _page_of(items: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
    start = (page - 1) * per_page
    return oruk.page(
        items[start : start + per_page], page_number=page, size=per_page, total=len(items)
    )


@router.get("/taxonomies", summary="The taxonomies our terms belong to", responses=BAD)
def taxonomies(page: Page = 1, per_page: PerPage = 50) -> dict[str, Any]:
    return _page_of(oruk.taxonomies(), page, per_page)


@router.get("/taxonomies/{id}", summary="One taxonomy, with its terms", responses=NOT_FOUND)
def taxonomy(id: str, snap: MapDep) -> dict[str, Any]:
    found = oruk.find_taxonomy(_feed(snap), id)
    if found is None:
        raise NotFound(f"No taxonomy with id {id!r}")
    return found


@router.get(
    "/taxonomy_terms",
    summary="Needs, levels, rings, kinds of fact, and each service's facts",
    responses=BAD,
)
def taxonomy_terms(snap: MapDep, page: Page = 1, per_page: PerPage = 50) -> dict[str, Any]:
    return _page_of(oruk.taxonomy_terms(_feed(snap)), page, per_page)


@router.get("/taxonomy_terms/{id}", summary="One taxonomy term", responses=NOT_FOUND)
def taxonomy_term(id: str, snap: MapDep) -> dict[str, Any]:
    found = oruk.find_term(_feed(snap), id)
    if found is None:
        raise NotFound(f"No taxonomy term with id {id!r}")
    return found

"""FHIR R4 (4.0.1) for NHS systems: HealthcareService and Organization, read and search, and the
CapabilityStatement at /fhir/metadata.

Every answer is `application/fhir+json`, and every error an OperationOutcome: a bad parameter
value is 400; an unknown parameter is ignored and reported (an OperationOutcome entry in the
Bundle), or 400 under `Prefer: handling=strict`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import HTTPException, RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.deps import MapDep
from navigator.core.exports import fhir
from navigator.core.models import Service
from navigator.core.snapshot import Snapshot

FHIR_JSON = fhir.FHIR_JSON
JSON_FORMATS = {"json", "application/json", "application/fhir+json", FHIR_JSON}


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def _outcome(status: int, code: str, text: str) -> FhirResponse:
    return FhirResponse(fhir.outcome([("error", code, text)]), status_code=status)


class FhirRoute(APIRoute):
    """Every error an OperationOutcome, whatever raised it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            fmt = request.query_params.get("_format")
            if fmt is not None and fmt not in JSON_FORMATS:
                return _outcome(406, "not-supported", f"_format: {fmt!r}: only JSON is offered")
            try:
                return await handler(request)
            except fhir.InvalidSearch as exc:
                return _outcome(400, "invalid", exc.message)
            except RequestValidationError as exc:
                text = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                return _outcome(400, "invalid", text)
            except HTTPException as exc:
                return _outcome(exc.status_code, "processing", str(exc.detail))

        return route


router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute)

OUTCOMES: dict[int | str, dict[str, Any]] = {
    400: {"description": "An OperationOutcome: a parameter's value is not allowed"},
    406: {"description": "An OperationOutcome: only JSON is offered"},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "An OperationOutcome: no such resource"},
    406: {"description": "An OperationOutcome: only JSON is offered"},
}
Text = Annotated[str | None, Query(max_length=500)]


def _publisher(request: Request) -> fhir.Publisher:
    settings = request.app.state.settings
    return fhir.Publisher(settings.base_url(str(request.base_url)))


def _modified(snap: Snapshot) -> Callable[[Service], dt.datetime]:
    return lambda s: snap.last_modified(s.id)


def _strict(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(p.strip() == "handling=strict" for p in prefer.split(";") + prefer.split(","))


def _ignored(request: Request, ignored: list[str]) -> list[str]:
    """Notes on ignored parameters; raises 400 for them under Prefer: handling=strict."""
    if ignored and _strict(request):
        raise fhir.InvalidSearch(
            f"unknown or unsupported search parameter(s): {', '.join(ignored)}", loc=()
        )
    return [f"Ignored search parameter {name!r}: not supported" for name in ignored]


@router.get("/metadata", summary="The CapabilityStatement", response_class=FhirResponse)
def metadata(request: Request) -> dict[str, Any]:
    return fhir.capability_statement(
        _publisher(request), date=dt.date.today(), version=request.app.version
    )


@router.get(
    "/HealthcareService",
    summary="Search services: a searchset Bundle",
    response_class=FhirResponse,
    responses=OUTCOMES,
)
def search(
    request: Request,
    snap: MapDep,
    _id: Annotated[str | None, Query(alias="_id", max_length=2000)] = None,
    identifier: Text = None,
    name: Text = None,
    name_contains: Annotated[str | None, Query(alias="name:contains", max_length=500)] = None,
    name_exact: Annotated[str | None, Query(alias="name:exact", max_length=500)] = None,
    active: Annotated[str | None, Query(description="true or false")] = None,
    organization: Text = None,
    _last_updated: Annotated[
        str | None, Query(alias="_lastUpdated", description="e.g. ge2026-11-01")
    ] = None,
    count: Annotated[str | None, Query(alias="_count", description="0 to 500")] = None,
    offset: Annotated[str | None, Query(alias="_offset", description="Skip this many")] = None,
) -> Any:
    # The declared parameters document the search; the query string is parsed whole, so that
    # repeats (AND) and unknown parameters are seen.
    day = dt.date.today()
    publisher = _publisher(request)
    found, services = fhir.search_services(
        snap.map,
        list(request.query_params.multi_items()),
        day=day,
        publisher=publisher,
        modified=_modified(snap),
    )
    notes = _ignored(request, found.ignored)
    page = services[found.offset : found.offset + found.count]
    resources = [
        fhir.healthcare_service(
            s, snap.map, day, publisher=publisher, last_updated=snap.last_modified(s.id)
        )
        for s in page
    ]
    return fhir.bundle(
        resources,
        publisher=publisher,
        resource="HealthcareService",
        search=found,
        total=len(services),
        notes=notes,
    )


@router.get(
    "/HealthcareService/{id}",
    summary="One HealthcareService",
    response_class=FhirResponse,
    responses=NOT_FOUND,
)
def read(id: str, request: Request, snap: MapDep) -> Any:
    service = snap.map.service(id)
    if service is None:
        return _outcome(404, "not-found", f"No HealthcareService with id {id[:80]!r}")
    return fhir.healthcare_service(
        service,
        snap.map,
        dt.date.today(),
        publisher=_publisher(request),
        last_updated=snap.last_modified(service.id),
    )


@router.get(
    "/Organization",
    summary="Search the bodies that provide services",
    response_class=FhirResponse,
    responses=OUTCOMES,
)
def search_organizations(
    request: Request,
    snap: MapDep,
    _id: Annotated[str | None, Query(alias="_id", max_length=2000)] = None,
    identifier: Text = None,
    name: Text = None,
    name_contains: Annotated[str | None, Query(alias="name:contains", max_length=500)] = None,
    name_exact: Annotated[str | None, Query(alias="name:exact", max_length=500)] = None,
    count: Annotated[str | None, Query(alias="_count", description="0 to 500")] = None,
    offset: Annotated[str | None, Query(alias="_offset", description="Skip this many")] = None,
) -> Any:
    publisher = _publisher(request)
    found, orgs = fhir.search_organisations(snap.map, list(request.query_params.multi_items()))
    notes = _ignored(request, found.ignored)
    modified = _modified(snap)
    resources = [
        fhir.organization(o, last_updated=fhir.organization_last_updated(o, snap.map, modified))
        for o in orgs[found.offset : found.offset + found.count]
    ]
    return fhir.bundle(
        resources,
        publisher=publisher,
        resource="Organization",
        search=found,
        total=len(orgs),
        notes=notes,
    )


@router.get(
    "/Organization/{id}",
    summary="One Organization, with its ODS code",
    response_class=FhirResponse,
    responses=NOT_FOUND,
)
def read_organization(id: str, snap: MapDep) -> Any:
    org = fhir.find_organisation(snap.map, id)
    if org is None:
        return _outcome(404, "not-found", f"No Organization with id {id[:80]!r}")
    return fhir.organization(
        org, last_updated=fhir.organization_last_updated(org, snap.map, _modified(snap))
    )


KNOWN = {"metadata", "HealthcareService", "Organization"}


@router.api_route(
    "/{rest:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
def elsewhere(rest: str, request: Request) -> Response:
    """Anything else under /fhir/: an OperationOutcome, never FastAPI's own JSON."""
    if request.method != "GET" and rest.split("/", 1)[0] in KNOWN:
        return _outcome(405, "not-supported", f"{request.method} is not supported: read-only")
    return _outcome(404, "not-supported", f"No resource type or operation {rest[:80]!r} here")

"""FHIR R4 HealthcareService, for NHS systems."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from api.deps import MapDep
from navigator.core.exports import fhir
from navigator.core.search import ServiceQuery, find_services

router = APIRouter(prefix="/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON


def _outcome(status: int, text: str) -> FhirResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "not-found", "diagnostics": text}],
    }
    return FhirResponse(body, status_code=status)


@router.get(
    "/HealthcareService",
    summary="A searchset Bundle of services",
    response_class=FhirResponse,
)
def search(
    request: Request,
    snap: MapDep,
    name: Annotated[str | None, Query(max_length=200)] = None,
    active: bool | None = None,
    count: Annotated[int, Query(alias="_count", ge=1, le=500)] = 500,
) -> dict[str, Any]:
    day = dt.date.today()
    query = ServiceQuery(
        name_contains=name or "", active_on=(day, active) if active is not None else None
    )
    services = find_services(snap.map, query)
    resources = [fhir.healthcare_service(s, snap.map, day) for s in services[:count]]
    base = str(request.url_for("search")).rsplit("/HealthcareService", 1)[0]
    return fhir.bundle(resources, base_url=base, total=len(services))


@router.get(
    "/HealthcareService/{id}",
    summary="One HealthcareService",
    response_class=FhirResponse,
    responses={404: {"description": "An OperationOutcome: no such service"}},
)
def read(id: Annotated[str, Path(max_length=80)], snap: MapDep) -> Any:
    service = snap.map.service(id)
    if service is None:
        return _outcome(404, f"No HealthcareService with id {id!r}")
    return fhir.healthcare_service(service, snap.map, dt.date.today())

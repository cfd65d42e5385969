"""FHIR R4 HealthcareService resources for the map, as plain JSON-ready dicts.

Built as dicts (no FHIR library at run time); the tests parse every one with fhir.resources.
Codes of our own vocabularies use CodeSystem URLs under BASE; the ids are our slugs, which are
valid FHIR ids. No address is ever exported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from navigator.core.exports import area_ids, phone_numbers
from navigator.core.models import Map, RouteKind, Service
from navigator.core.wording import eligibility_in_words

BASE = "https://navigator.bradford.nhs.example/fhir"
NEEDS_SYSTEM = f"{BASE}/CodeSystem/needs"
RINGS_SYSTEM = f"{BASE}/CodeSystem/rings"
LEVELS_SYSTEM = f"{BASE}/CodeSystem/levels"
# HL7's service-referral-method codes that our route kinds come closest to.
REFERRAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/service-referral-method"


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def healthcare_service(service: Service, m: Map, day: dt.date) -> dict[str, Any]:
    needs = {n.code: n for n in m.needs}
    rings = {r.id: r for r in m.rings}
    areas = {a.id: a for a in m.areas}
    served = area_ids(service)
    phones = phone_numbers(service)
    out: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": service.id,
        "meta": {"lastUpdated": f"{service.last_verified.isoformat()}T00:00:00Z"},
        "active": service.active_on(day),
        "providedBy": {"display": service.provider},
        "category": [
            _concept(RINGS_SYSTEM, service.ring.value, rings[service.ring].label)
            if service.ring in rings
            else _concept(RINGS_SYSTEM, service.ring.value, service.ring.value)
        ],
        "type": [
            _concept(NEEDS_SYSTEM, code, needs[code].label)
            for code in service.needs
            if code in needs
        ],
        "characteristic": [
            _concept(LEVELS_SYSTEM, lv.value, lv.value.replace("_", " ")) for lv in service.levels
        ],
        "name": service.name,
        "comment": service.remit,
        "eligibility": [
            {
                "code": {"text": "Who can use this service (" + day.isoformat() + ")"},
                "comment": "; ".join(eligibility_in_words(service, m, day=day)),
            }
        ],
        "extraDetails": "\n".join(f"- {r.how}" for r in service.routes) or None,
    }
    if served:
        out["coverageArea"] = [{"display": areas[a].name if a in areas else a} for a in served]
    methods = []
    if any(r.kind in (RouteKind.referral, RouteKind.consultation) for r in service.routes):
        methods.append(_concept(REFERRAL_SYSTEM, "elec", "Secure Messaging"))
    if phones:
        methods.append(_concept(REFERRAL_SYSTEM, "phone", "Phone"))
    if methods:
        out["referralMethod"] = methods
    if service.programmes:
        out["program"] = [{"text": p} for p in service.programmes]
    if phones:
        out["telecom"] = [{"system": "phone", "value": p} for p in phones]
    out["identifier"] = [{"system": f"{BASE}/service-id", "value": service.id}]
    return {k: v for k, v in out.items() if v is not None}


def bundle(resources: list[dict[str, Any]], *, base_url: str, total: int) -> dict[str, Any]:
    """A searchset Bundle of HealthcareService resources."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "entry": [
            {
                "fullUrl": f"{base_url}/HealthcareService/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }

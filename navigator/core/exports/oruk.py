"""Open Referral UK 3.0 (HSDS 3.0) shapes for the map.

HSDS identifies everything by UUID; ours are slugs, so each id is mapped to a stable UUID
(uuid5), and the slug is kept as an attribute so a client can find the service here again.
HSDS ages are in years; ours are months (pregnancy negative), kept as an attribute too.
No address is ever exported: services have no public locations here, and refuges must not.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable
from typing import Any

from navigator.core.exports import area_ids, phone_numbers
from navigator.core.models import Map, RouteKind, Service
from navigator.core.search import ServiceQuery, find_services
from navigator.core.wording import eligibility_in_words

# Fixed for good: changing it would change every id other systems hold for our services.
NAMESPACE = uuid.UUID("0b5e7d2c-6a1f-5c3e-9d84-2f6b1e0a7c35")
HSDS_VERSION = "3.0"
PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile"
NEEDS_TAXONOMY = "bradford-early-years-needs"
LEVELS_TAXONOMY = "bradford-early-years-levels"


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def status(service: Service, day: dt.date) -> str:
    if service.valid_to and day > service.valid_to:
        return "defunct"
    if service.valid_from and day < service.valid_from:
        return "inactive"
    return "active"


def years(months: int | None, *, upper: bool) -> float | None:
    """Months to HSDS years; pregnancy (negative months) is age 0."""
    if months is None:
        return None
    if not upper:
        return max(0.0, math.floor(months / 12 * 100) / 100)
    return round(max(0, months) / 12, 2)


def taxonomies() -> list[dict[str, Any]]:
    return [
        {
            "id": uid("taxonomy", NEEDS_TAXONOMY),
            "name": "Bradford early years needs",
            "description": "Needs a practitioner may see in a family, as the navigator codes them",
            "version": "1",
        },
        {
            "id": uid("taxonomy", LEVELS_TAXONOMY),
            "name": "Levels of support",
            "description": "The health-visiting model's levels, also Little Minds Matter's tiers.",
            "version": "1",
        },
    ]


def taxonomy_terms(m: Map) -> list[dict[str, Any]]:
    needs = [
        {
            "id": uid("need", n.code),
            "code": n.code,
            "name": n.label,
            "description": n.description,
            "taxonomy": NEEDS_TAXONOMY,
            "taxonomy_id": uid("taxonomy", NEEDS_TAXONOMY),
        }
        for n in m.needs
    ]
    levels = [
        {
            "id": uid("level", lv.id.value),
            "code": lv.id.value,
            "name": lv.label,
            "description": lv.description,
            "taxonomy": LEVELS_TAXONOMY,
            "taxonomy_id": uid("taxonomy", LEVELS_TAXONOMY),
        }
        for lv in m.levels
    ]
    return needs + levels


def _attribute(service: Service, term: dict[str, Any], value: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": uid("attribute", f"{service.id}:{term['id']}"),
        "link_id": uid("service", service.id),
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }
    if value is not None:
        out["value"] = value
    return out


def service_summary(service: Service, m: Map, day: dt.date) -> dict[str, Any]:
    """A service's one-to-one fields: an item of a service list page."""
    out: dict[str, Any] = {
        "id": uid("service", service.id),
        "organization_id": uid("organization", service.provider),
        "name": service.name,
        "description": service.remit,
        "status": status(service, day),
        "eligibility_description": "; ".join(eligibility_in_words(service, m, day=day)),
        "application_process": " ".join(r.how for r in service.routes),
        "assured_date": service.last_verified.isoformat(),
        "last_modified": dt.datetime.combine(service.last_verified, dt.time(), dt.UTC).isoformat(),
        "organization": {
            "id": uid("organization", service.provider),
            "name": service.provider,
            "description": service.provider,
        },
    }
    if service.aliases:
        out["alternate_name"] = service.aliases[0]
    if service.programmes:
        out["program_id"] = uid("program", service.programmes[0])
        out["program"] = {
            "id": uid("program", service.programmes[0]),
            "name": service.programmes[0],
            "description": service.programmes[0],
        }
    lo = years(service.min_age_months, upper=False)
    hi = years(service.max_age_months, upper=True)
    if lo is not None:
        out["minimum_age"] = lo
    if hi is not None:
        out["maximum_age"] = hi
    url = next((s.url for s in service.sources if s.url and s.status.value == "confirmed"), None)
    if url:
        out["url"] = url
    return out


def service_full(service: Service, m: Map, day: dt.date) -> dict[str, Any]:
    """A fully nested service, as GET /services/{id} serves it."""
    out = service_summary(service, m, day)
    sid = out["id"]
    terms = {t["code"]: t for t in taxonomy_terms(m)}
    areas = {a.id: a for a in m.areas}
    phones = [
        {"id": uid("phone", f"{service.id}:{number}"), "service_id": sid, "number": number}
        for number in phone_numbers(service)
    ]
    out |= {
        "service_areas": [
            {
                "id": uid("service_area", f"{service.id}:{a}"),
                "service_id": sid,
                "name": areas[a].name if a in areas else a,
                "description": areas[a].description if a in areas else "",
            }
            for a in area_ids(service)
        ],
        "phones": phones,
        "contacts": [],
        "attributes": [
            *(_attribute(service, terms[n]) for n in service.needs if n in terms),
            *(_attribute(service, terms[lv.value]) for lv in service.levels if lv.value in terms),
            _attribute(
                service,
                {
                    "id": uid("term", "navigator-service-id"),
                    "code": "navigator_service_id",
                    "name": "Navigator service id",
                    "description": "The service's id in the Bradford Early Years Navigator",
                },
                service.id,
            ),
            _attribute(
                service,
                {
                    "id": uid("term", "age-window-months"),
                    "code": "age_window_months",
                    "name": "Age window in months",
                    "description": "min..max in months; pregnancy negative; max exclusive",
                },
                f"{service.min_age_months}..{service.max_age_months}",
            ),
        ],
    }
    if any(r.kind is RouteKind.self_referral for r in service.routes):
        out["application_process"] += " Families can refer themselves."
    return out


def find_service(m: Map, ident: str) -> Service | None:
    """By slug or by the UUID this feed gives it."""
    found = m.service(ident)
    if found is not None:
        return found
    return next((s for s in m.services if uid("service", s.id) == ident), None)


def page(items: list[dict[str, Any]], *, page_number: int, size: int, total: int) -> dict[str, Any]:
    total_pages = max(1, math.ceil(total / size))
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(items),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": not items,
        "contents": items,
    }


def service_page(
    m: Map,
    *,
    day: dt.date,
    page_number: int,
    per_page: int,
    search: str = "",
    taxonomy_term_id: str | None = None,
    minimum_age: float | None = None,
    maximum_age: float | None = None,
    modified_after: dt.datetime | None = None,
) -> dict[str, Any]:
    """A page of services, filtered as ORUK clients ask."""
    checks: list[Callable[[Service], bool]] = []
    if taxonomy_term_id:
        checks.append(
            lambda s: (
                any(taxonomy_term_id in (uid("need", n), n) for n in s.needs)
                or any(taxonomy_term_id in (uid("level", lv.value), lv.value) for lv in s.levels)
            )
        )
    if minimum_age is not None:
        # Services that still serve someone of at least this age.
        checks.append(lambda s: s.max_age_months is None or s.max_age_months / 12 > minimum_age)
    if maximum_age is not None:
        checks.append(lambda s: s.min_age_months is None or s.min_age_months / 12 <= maximum_age)
    if modified_after is not None:
        after = modified_after if modified_after.tzinfo else modified_after.replace(tzinfo=dt.UTC)
        checks.append(lambda s: dt.datetime.combine(s.last_verified, dt.time(), dt.UTC) >= after)
    services = find_services(m, ServiceQuery(text=search, where=tuple(checks)))
    start = (page_number - 1) * per_page
    items = [service_summary(s, m, day) for s in services[start : start + per_page]]
    return page(items, page_number=page_number, size=per_page, total=len(services))

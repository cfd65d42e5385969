"""Open Referral UK 3.0 shapes for the map: the UK profile of HSDS 3.0, with no extra fields.

HSDS identifies everything by UUID; ours are slugs, so each id is mapped to a stable UUID
(uuid5). HSDS ages are in years; ours are months (pregnancy negative).

The UK profile has no field for much of what the navigator knows (phone numbers, how to get
there, who is eligible in words, rings, pathways, our own id), and no `value` on an attribute.
So each such fact is an attribute whose taxonomy term *is* the fact: a term of our "facts"
taxonomy, named by the fact, whose parent term says which kind of fact it is (and `link_type`
says so too). Every term an attribute uses is listed at /taxonomy_terms and found at
/taxonomy_terms/{id}.

A location is published only for a service with a public address: never a confidential one.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from navigator.core.contacts import CONTACT_WORDS, contacts_of
from navigator.core.errors import UnsupportedParameter
from navigator.core.exports import area_ids, organisation_of, phone_numbers, split_address
from navigator.core.geography import Location
from navigator.core.models import Map, Organisation, Service
from navigator.core.search import ServiceQuery, find_services
from navigator.core.wording import eligibility_in_words

# Fixed for good: changing it would change every id other systems hold for our services.
NAMESPACE = uuid.UUID("0b5e7d2c-6a1f-5c3e-9d84-2f6b1e0a7c35")
HSDS_VERSION = "3.0"
PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile"
NEEDS_TAXONOMY = "bradford-early-years-needs"
LEVELS_TAXONOMY = "bradford-early-years-levels"
RINGS_TAXONOMY = "bradford-early-years-rings"
FACTS_TAXONOMY = "bradford-early-years-navigator-facts"
# org-id.guide's schemes: the NHS Organisation Data Service, the Charity Commission for England
# and Wales, and Companies House.
ODS_SCHEME = "GB-NHS"
CHARITY_SCHEME = "GB-CHC"
COMPANY_SCHEME = "GB-COH"

# The kinds of fact published as attributes: code -> (name, description).
FACT_KINDS: dict[str, tuple[str, str]] = {
    "navigator_service_id": (
        "Navigator service id",
        "The service's id in the Bradford Early Years Navigator",
    ),
    "age_window_months": (
        "Age window in months",
        "The child's age window in months, min..max: pregnancy negative, max exclusive, "
        "None when open",
    ),
    "eligibility": ("Who can use it", "Who can use the service, in words: the rules in force"),
    "route": ("How to get there", "A way to reach the service: its kind, what to do and whom"),
    "phone": ("Phone number", "The service's own phone number, from its typed contacts"),
    "other_line": (
        "Not the service's own line",
        "A number or page that is not the service's own (999, NHS 111, a national helpline, a "
        "switchboard, a directory), with its label: never the service's phone",
    ),
    "no_public_contact": (
        "No public contact",
        "Where no public route to the service exists: what to do instead",
    ),
    "site": ("Site", "A public place the service runs from: name, address and postcode"),
    "catchment": ("Catchment", "Where the service works, in words, with how sure we are"),
    "alternate_name": ("Other name", "Another name the service is known by"),
    "former_name": ("Former name", "A name the service had before"),
    "programme": ("Programme", "A programme the service is part of or funded by"),
    "provider": ("Provider", "Who provides the service, as the map records it"),
    "pathway": (
        "Pathway",
        "A referral edge from or to the service (refers, consults, signposts), in force",
    ),
}
NO_SCHEDULES = (
    "this feed publishes no schedules (opening times), so it cannot filter by {name}: leave it out"
)


def uid(kind: str, key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{key}"))


def status(service: Service, day: dt.date) -> str:
    """`active`, or `inactive` before it starts and once it is retired (kept, never dropped)."""
    return "active" if service.active_on(day) else "inactive"


def years(months: int | None, *, upper: bool) -> float | None:
    """Months to HSDS years; pregnancy (negative months) is age 0."""
    if months is None:
        return None
    if not upper:
        return max(0.0, math.floor(months / 12 * 100) / 100)
    return round(max(0, months) / 12, 2)


def timestamp(at: dt.datetime) -> str:
    """An HSDS date-time with millisecond accuracy, in UTC: 2026-11-01T09:30:00.000Z."""
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Feed:
    """What every answer of the feed is built from: the map, the day, and when each service
    last really changed (from the audit trail)."""

    map: Map
    day: dt.date
    modified: Mapping[str, dt.datetime] = field(default_factory=dict)
    fallback: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def last_modified(self, service: Service) -> dt.datetime:
        return self.modified.get(service.id, self.fallback)


# --- taxonomies and terms --------------------------------------------------------------------


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
        {
            "id": uid("taxonomy", RINGS_TAXONOMY),
            "name": "Rings of the early years system map",
            "description": "How close a service's remit is to the parent-infant relationship",
            "version": "1",
        },
        {
            "id": uid("taxonomy", FACTS_TAXONOMY),
            "name": "Navigator facts",
            "description": "Facts the navigator publishes about a service that the UK profile has "
            "no field for. A top-level term is a kind of fact; its child terms are the facts.",
            "version": "1",
        },
    ]


def _term(
    ident: str, code: str, name: str, description: str, taxonomy: str, **extra: Any
) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "description": description,
        **extra,
        "taxonomy": taxonomy,
        "taxonomy_id": uid("taxonomy", taxonomy),
        "term": code,
    }


def vocabulary(m: Map) -> list[dict[str, Any]]:
    """The terms of our taxonomies that are not one service's fact: needs, levels, rings and
    the kinds of fact."""
    needs = [
        _term(uid("need", n.code), n.code, n.label, n.description, NEEDS_TAXONOMY) for n in m.needs
    ]
    levels = [
        _term(uid("level", lv.id.value), lv.id.value, lv.label, lv.description, LEVELS_TAXONOMY)
        for lv in m.levels
    ]
    rings = [
        _term(uid("ring", r.id.value), r.id.value, r.label, r.description, RINGS_TAXONOMY)
        for r in m.rings
    ]
    kinds = [
        _term(uid("fact-kind", code), code, name, description, FACTS_TAXONOMY)
        for code, (name, description) in FACT_KINDS.items()
    ]
    return needs + levels + rings + kinds


def _facts(service: Service, feed: Feed) -> Iterator[tuple[str, str, str]]:
    """(kind, value, description) of each fact published about the service."""
    m, day = feed.map, feed.day
    yield "navigator_service_id", service.id, FACT_KINDS["navigator_service_id"][1]
    yield (
        "age_window_months",
        f"{service.min_age_months}..{service.max_age_months}",
        FACT_KINDS["age_window_months"][1],
    )
    for line in eligibility_in_words(service, m, day=day):
        yield "eligibility", line, f"Who can use it, as of {day.isoformat()}"
    for route in service.routes:
        described = route.kind.value.replace("_", " ")
        if route.contact:
            described += f". Contact: {route.contact}"
        yield "route", route.how, described[0].upper() + described[1:]
    for number in phone_numbers(service):
        yield "phone", number, FACT_KINDS["phone"][1]
    for c in service.contacts:
        if not c.own:
            yield "other_line", f"{c.value}: {c.label}", FACT_KINDS["other_line"][1]
    if service.no_public_contact:
        yield "no_public_contact", service.no_public_contact, FACT_KINDS["no_public_contact"][1]
    if not service.confidential_address:
        for site in service.sites:
            where = ", ".join(x for x in (site.name, site.address, site.postcode) if x)
            yield "site", where, f"{FACT_KINDS['site'][1]} ({site.status.value})"
    if service.catchment is not None:
        yield (
            "catchment",
            service.catchment.text,
            f"{FACT_KINDS['catchment'][1]} ({service.catchment.status.value})",
        )
    for name in service.aliases:
        yield "alternate_name", name, FACT_KINDS["alternate_name"][1]
    for name in service.former_names:
        yield "former_name", name, FACT_KINDS["former_name"][1]
    for name in service.programmes:
        yield "programme", name, FACT_KINDS["programme"][1]
    org = organisation_of(service, m)
    if service.provider != org.name:
        yield "provider", service.provider, FACT_KINDS["provider"][1]
    names = {s.id: s.name for s in m.services}
    for edge in m.edges:
        if not edge.active_on(day):
            continue
        if edge.source == service.id and edge.target in names:
            text = f"{edge.kind.value} {names[edge.target]} ({edge.target})"
            yield "pathway", text, edge.note or FACT_KINDS["pathway"][1]
        elif edge.target == service.id and edge.source in names:
            text = f"{names[edge.source]} ({edge.source}) {edge.kind.value} this service"
            yield "pathway", text, edge.note or FACT_KINDS["pathway"][1]


def _fact_term(service: Service, kind: str, value: str, description: str) -> dict[str, Any]:
    return _term(
        uid("fact", f"{service.id}:{kind}:{value}"),
        value,
        value,
        description,
        FACTS_TAXONOMY,
        parent_id=uid("fact-kind", kind),
    )


def service_terms(service: Service, feed: Feed) -> list[tuple[str, dict[str, Any]]]:
    """(link_type, term) of every attribute of the service: its needs, levels and ring from
    our vocabulary, then its facts."""
    by_id = {t["id"]: t for t in vocabulary(feed.map)}
    out: list[tuple[str, dict[str, Any]]] = []
    for code in service.needs:
        if (term := by_id.get(uid("need", code))) is not None:
            out.append(("need", term))
    for lv in service.levels:
        if (term := by_id.get(uid("level", lv.value))) is not None:
            out.append(("level", term))
    if (term := by_id.get(uid("ring", service.ring.value))) is not None:
        out.append(("ring", term))
    seen: set[str] = set()
    for kind, value, description in _facts(service, feed):
        term = _fact_term(service, kind, value, description)
        if term["id"] not in seen:
            seen.add(term["id"])
            out.append((kind, term))
    return out


def taxonomy_terms(feed: Feed) -> list[dict[str, Any]]:
    """Every term: the vocabulary, then each service's facts (in the map's order)."""
    out = vocabulary(feed.map)
    seen = {t["id"] for t in out}
    for service in feed.map.services:
        for _kind, term in service_terms(service, feed):
            if term["id"] not in seen:
                seen.add(term["id"])
                out.append(term)
    return out


def find_term(feed: Feed, ident: str) -> dict[str, Any] | None:
    return next((t for t in taxonomy_terms(feed) if t["id"] == ident), None)


def find_taxonomy(feed: Feed, ident: str) -> dict[str, Any] | None:
    """A taxonomy with its terms, by its UUID or its name in our feed."""
    for taxonomy in taxonomies():
        slug = next(
            s
            for s in (NEEDS_TAXONOMY, LEVELS_TAXONOMY, RINGS_TAXONOMY, FACTS_TAXONOMY)
            if uid("taxonomy", s) == taxonomy["id"]
        )
        if ident in (taxonomy["id"], slug):
            terms = [t for t in taxonomy_terms(feed) if t["taxonomy_id"] == taxonomy["id"]]
            return {**taxonomy, "taxonomy_terms": terms}
    return None


# --- organisations, areas, locations ---------------------------------------------------------


def organization_id(org: Organisation, m: Map) -> str:
    # One made from a provider's name keeps the id it always had.
    listed = m.organisation(org.id) is not None
    return uid("organization", f"organisation:{org.id}" if listed else org.name)


def identifiers(org: Organisation) -> list[tuple[str, str, str, str]]:
    """(key, org-id.guide scheme, type, value) of each identifier the organisation has."""
    out = []
    if org.ods_code:
        out.append(("ods", ODS_SCHEME, "ODS code", org.ods_code))
    if org.charity_number:
        out.append(("charity", CHARITY_SCHEME, "Charity number", org.charity_number))
    if org.company_number:
        out.append(("company", COMPANY_SCHEME, "Company number", org.company_number))
    return out


def organization(service: Service, m: Map, *, full: bool) -> dict[str, Any]:
    org = organisation_of(service, m)
    oid = organization_id(org, m)
    out: dict[str, Any] = {
        "id": oid,
        "name": org.name,
        "description": org.name + (f" (ODS code {org.ods_code})" if org.ods_code else ""),
    }
    if org.website:
        out["website"] = org.website
    found = identifiers(org)
    if full and found:
        out["organization_identifiers"] = [
            {
                "id": uid("organization_identifier", f"{org.id}:{key}"),
                "organization_id": oid,
                "identifier_scheme": scheme,
                "identifier_type": kind,
                "identifier": value,
            }
            for key, scheme, kind, value in found
        ]
    return out


def _location(service: Service, *, full: bool) -> dict[str, Any] | None:
    address = service.public_address()
    if not address:
        return None
    street, town, postcode = split_address(address)
    lid = uid("location", f"{service.id}:{address}")
    out: dict[str, Any] = {"id": lid, "location_type": "physical", "name": street or address}
    if full:
        out["addresses"] = [
            {
                "id": uid("address", f"{service.id}:{address}"),
                "location_id": lid,
                "address_1": street or address,
                "city": town,
                "state_province": "",
                "postal_code": postcode,
                "country": "GB",
                "address_type": "physical",
            }
        ]
    return out


def service_areas(service: Service, feed: Feed) -> list[dict[str, Any]]:
    areas = {a.id: a for a in feed.map.areas}
    out = []
    for a in area_ids(service, feed.day):
        area = areas.get(a)
        out.append(
            {
                "id": uid("service_area", f"{service.id}:{a}"),
                "service_id": uid("service", service.id),
                "name": area.name if area else a,
                "service_area": (area.description or area.name) if area else a,
            }
        )
    return out


# --- services ------------------------------------------------------------------------------


def service_summary(service: Service, feed: Feed) -> dict[str, Any]:
    """A service's one-to-one fields: an item of a service list page."""
    m = feed.map
    org = organization(service, m, full=False)
    out: dict[str, Any] = {
        "id": uid("service", service.id),
        "organization_id": org["id"],
        "name": service.name,
        "description": service.remit,
        "status": status(service, feed.day),
        "assured_date": service.last_verified.isoformat(),
        "last_modified": timestamp(feed.last_modified(service)),
    }
    lo = years(service.min_age_months, upper=False)
    hi = years(service.max_age_months, upper=True)
    if lo is not None:
        out["minimum_age"] = lo
    if hi is not None:
        out["maximum_age"] = hi
    # The service's own page and email from its typed contacts: never a citation.
    url = service.url()
    if url:
        out["url"] = url
    email = next((c.value for c in service.own_contacts("email")), None)
    if email:
        out["email"] = email
    out["organization"] = org
    return out


def _service_at_location(service: Service, feed: Feed, *, full: bool) -> dict[str, Any] | None:
    location = _location(service, full=full)
    if location is None:
        return None
    return {
        "id": uid("service_at_location", f"{service.id}:{location['id']}"),
        "service_id": uid("service", service.id),
        "location_id": location["id"],
        "location": location,
    }


def service_full(service: Service, feed: Feed) -> dict[str, Any]:
    """A fully nested service, as GET /services/{id} serves it."""
    out = service_summary(service, feed)
    sid = out["id"]
    out["organization"] = organization(service, feed.map, full=True)
    at = _service_at_location(service, feed, full=True)
    out |= {
        "schedules": [],
        "service_areas": service_areas(service, feed),
        "service_at_locations": [at] if at else [],
        "languages": [],
        "funding": [],
        "cost_options": [],
        "contacts": contacts(service),
        "attributes": [
            {
                "id": uid("attribute", f"{service.id}:{term['id']}"),
                "link_id": sid,
                "taxonomy_term_id": term["id"],
                "link_type": link_type,
                "taxonomy_term": term,
            }
            for link_type, term in service_terms(service, feed)
        ],
    }
    return out


def contacts(service: Service) -> list[dict[str, Any]]:
    """The service's own contact points, one contact each: its label as the name, and how to
    reach it (kind, value, hours) as the title. Lines that are not its own are facts instead."""
    out = []
    for c in contacts_of(service):
        if not c.own or (c.kind == "address" and service.confidential_address):
            continue
        title = f"{CONTACT_WORDS[c.kind]}: {c.value}" + (f" ({c.hours})" if c.hours else "")
        out.append(
            {
                "id": uid("contact", f"{service.id}:{c.kind}:{c.value}"),
                "service_id": uid("service", service.id),
                "name": c.label,
                "title": title,
            }
        )
    return out


def service_at_location_item(service: Service, feed: Feed, *, full: bool) -> dict[str, Any]:
    """A service at a location: a list item (full=False) or fully nested."""
    at = _service_at_location(service, feed, full=full)
    assert at is not None
    if full:
        nested = service_full(service, feed)
        nested.pop("service_at_locations")
        return {**at, "service": nested}
    return {**at, "service": service_summary(service, feed)}


def find_service(m: Map, ident: str) -> Service | None:
    """By slug or by the UUID this feed gives it."""
    found = m.service(ident)
    if found is not None:
        return found
    return next((s for s in m.services if uid("service", s.id) == ident), None)


def find_service_at_location(m: Map, ident: str) -> Service | None:
    for service in m.services:
        location = _location(service, full=False)
        if location and uid("service_at_location", f"{service.id}:{location['id']}") == ident:
            return service
    return None


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


# --- the query -------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Query:
    """An ORUK list query; every parameter means what the ORUK OpenAPI description says."""

    search: str = ""
    taxonomy_term_id: str | None = None
    taxonomy_id: str | None = None
    minimum_age: float | None = None  # the service's minimum age is at least this
    maximum_age: float | None = None  # the service's maximum age is at most this
    modified_after: dt.datetime | None = None  # changed on or after this
    organization_id: str | None = None
    postcode: Location | None = None  # within a service area (when the service has any)
    located: bool = False  # only services at a (public) location


def refuse(params: Mapping[str, str], allowed: set[str]) -> None:
    """400 for a parameter this endpoint cannot honour as ORUK defines it, or does not take."""
    for name in params:
        if name not in allowed:
            takes = ", ".join(sorted(allowed)) or "none"
            raise UnsupportedParameter(
                f"unknown parameter {name!r}: this endpoint takes {takes}", loc=(name,)
            )
    for name in ("day", "start_time", "end_time"):
        if name in params:
            raise UnsupportedParameter(NO_SCHEDULES.format(name=name), loc=(name,))
    if "proximity" in params:
        raise UnsupportedParameter(
            "this feed holds no coordinates, so it cannot filter by distance: use postcode "
            "alone (services whose areas contain it)",
            loc=("proximity",),
        )
    if "minimal" in params:
        raise UnsupportedParameter(
            "minimal is not offered: ask for pages of services (per_page up to 500)",
            loc=("minimal",),
        )
    if params.get("format", "json") != "json":
        raise UnsupportedParameter("format: only json is offered", loc=("format",))
    if "full_service" in params:
        raise UnsupportedParameter(
            "full_service applies to organizations, which the UK profile does not serve",
            loc=("full_service",),
        )


def _checks(query: Query, feed: Feed) -> tuple[Callable[[Service], bool], ...]:
    checks: list[Callable[[Service], bool]] = []
    if query.taxonomy_term_id:
        wanted = query.taxonomy_term_id

        def has_term(s: Service) -> bool:
            # A term's id, its code (a need or level code), or a kind of fact (a parent term).
            return any(
                wanted in (t["id"], t.get("parent_id"))
                or (t["taxonomy"] != FACTS_TAXONOMY and wanted == t["term"])
                for _kind, t in service_terms(s, feed)
            )

        checks.append(has_term)
    if query.taxonomy_id:
        known = {t["id"] for t in taxonomies()}
        wanted_taxonomy = query.taxonomy_id
        # Every service has terms of all four of our taxonomies; none of any other.
        checks.append(lambda s: wanted_taxonomy in known)
    if query.minimum_age is not None:
        least = query.minimum_age
        checks.append(lambda s: (years(s.min_age_months, upper=False) or 0.0) >= least)
    if query.maximum_age is not None:
        most = query.maximum_age
        checks.append(
            lambda s: (hi := years(s.max_age_months, upper=True)) is not None and hi <= most
        )
    if query.modified_after is not None:
        after = query.modified_after
        after = after if after.tzinfo else after.replace(tzinfo=dt.UTC)
        checks.append(lambda s: feed.last_modified(s) >= after)
    if query.organization_id:
        wanted_org = query.organization_id
        checks.append(
            lambda s: (
                organization_id(organisation_of(s, feed.map), feed.map) == wanted_org
                or s.organisation_id == wanted_org
            )
        )
    if query.postcode is not None:
        where = set(query.postcode.areas) if query.postcode.known else set()
        checks.append(lambda s: not (areas := area_ids(s, feed.day)) or bool(where & set(areas)))
    if query.located:
        checks.append(lambda s: s.public_address() is not None)
    return tuple(checks)


def select(feed: Feed, query: Query) -> list[Service]:
    """The services a query asks for, through the one service query."""
    return find_services(feed.map, ServiceQuery(text=query.search, where=_checks(query, feed)))


def service_page(
    feed: Feed, query: Query, *, page_number: int, per_page: int, full: bool = False
) -> dict[str, Any]:
    """A page of services, filtered as ORUK clients ask."""
    services = select(feed, query)
    start = (page_number - 1) * per_page
    build = service_full if full else service_summary
    items = [build(s, feed) for s in services[start : start + per_page]]
    return page(items, page_number=page_number, size=per_page, total=len(services))


def service_at_location_page(
    feed: Feed, query: Query, *, page_number: int, per_page: int, full: bool = False
) -> dict[str, Any]:
    services = select(feed, Query(**{**query.__dict__, "located": True}))
    start = (page_number - 1) * per_page
    items = [
        service_at_location_item(s, feed, full=full) for s in services[start : start + per_page]
    ]
    return page(items, page_number=page_number, size=per_page, total=len(services))

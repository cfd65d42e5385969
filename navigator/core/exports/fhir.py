"""FHIR R4 (4.0.1) resources for the map, as plain JSON-ready dicts: HealthcareService,
Organization, searchset Bundles, the CapabilityStatement and OperationOutcomes, and the search
parameters this server supports.

Built as dicts (no FHIR library at run time); the tests validate every one against HL7's R4 JSON
schema. Our own vocabularies (needs, rings, levels) are CodeSystems under the publisher's base
URL (NAVIGATOR_PUBLIC_BASE_URL); organisations carry their NHS ODS codes. No address is ever
exported.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from navigator.core.contacts import contacts_of
from navigator.core.errors import NavigatorError
from navigator.core.exports import area_ids, organisation_of, organisations_in_use, phone_numbers
from navigator.core.exports.oruk import uid as oruk_uid
from navigator.core.models import Map, Organisation, RouteKind, Service
from navigator.core.search import ServiceQuery, find_services
from navigator.core.wording import eligibility_in_words

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
ODS_SYSTEM = "https://fhir.nhs.uk/Id/ods-organization-code"
# org-id.guide's lists for charity and company numbers, as identifier systems.
CHARITY_SYSTEM = "http://org-id.guide/list/GB-CHC"
COMPANY_SYSTEM = "http://org-id.guide/list/GB-COH"
# Typed contact kinds as FHIR ContactPoint systems (an address is not a ContactPoint).
TELECOM_SYSTEMS = {
    "phone": "phone",
    "email": "email",
    "website": "url",
    "referral_form": "url",
    "portal": "url",
}
# HL7's service-referral-method codes that our route kinds come closest to.
REFERRAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/service-referral-method"
MAX_COUNT = 500
SP = "http://hl7.org/fhir/SearchParameter/"


class InvalidSearch(NavigatorError):
    """A search parameter with a value FHIR does not allow: 400 with an OperationOutcome."""


@dataclass(frozen=True)
class Publisher:
    """Where the server is published: the base of code systems, identifiers and links."""

    base: str  # e.g. https://navigator.example.org, no trailing slash

    @property
    def fhir(self) -> str:
        return f"{self.base}/fhir"

    def system(self, name: str) -> str:
        return f"{self.fhir}/CodeSystem/{name}"

    @property
    def service_ids(self) -> str:
        return f"{self.fhir}/Id/service"


def instant(at: dt.datetime) -> str:
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _concept(system: str, code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def organization(org: Organisation, *, last_updated: dt.datetime | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"resourceType": "Organization", "id": org.id}
    if last_updated is not None:
        out["meta"] = {"lastUpdated": instant(last_updated)}
    found = [
        {"system": system, "value": value}
        for system, value in (
            (ODS_SYSTEM, org.ods_code),
            (CHARITY_SYSTEM, org.charity_number),
            (COMPANY_SYSTEM, org.company_number),
        )
        if value
    ]
    if found:
        out["identifier"] = found
    out |= {"active": True, "name": org.name}
    if org.website:
        out["telecom"] = [{"system": "url", "value": org.website}]
    return out


def telecom(service: Service) -> list[dict[str, Any]]:
    """The service's own contact points as FHIR ContactPoints, in order: never 999, a helpline
    or a switchboard that is not its own, and never a number read out of free text."""
    out: list[dict[str, Any]] = []
    for c in contacts_of(service):
        if not c.own or c.kind not in TELECOM_SYSTEMS:
            continue
        point: dict[str, Any] = {"system": TELECOM_SYSTEMS[c.kind], "value": c.value}
        if c.kind == "phone":
            point["use"] = "work"
        out.append(point)
    return out


def healthcare_service(
    service: Service,
    m: Map,
    day: dt.date,
    *,
    publisher: Publisher,
    last_updated: dt.datetime,
) -> dict[str, Any]:
    needs = {n.code: n for n in m.needs}
    rings = {r.id: r for r in m.rings}
    levels = {lv.id: lv for lv in m.levels}
    areas = {a.id: a for a in m.areas}
    served = area_ids(service, day)
    phones = phone_numbers(service)
    points = telecom(service)
    details = [f"- {r.how}" for r in service.routes]
    if service.no_public_contact:
        details.append(f"- {service.no_public_contact}")
    org = organisation_of(service, m)
    ring = rings.get(service.ring)
    out: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": service.id,
        "meta": {"lastUpdated": instant(last_updated)},
        "identifier": [
            {"system": publisher.service_ids, "value": service.id},
            {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{oruk_uid('service', service.id)}"},
        ],
        "active": service.active_on(day),
        "providedBy": {"reference": f"Organization/{org.id}", "display": org.name},
        "category": [
            _concept(
                publisher.system("rings"), service.ring.value, ring.label if ring else service.ring
            )
        ],
        "type": [
            _concept(publisher.system("needs"), code, needs[code].label)
            for code in service.needs
            if code in needs
        ],
        "name": service.name,
        "comment": service.remit,
        "extraDetails": "\n".join(details) or None,
    }
    if points:
        out["telecom"] = points
    if served:
        out["coverageArea"] = [{"display": areas[a].name if a in areas else a} for a in served]
    out["eligibility"] = [
        {
            "code": {"text": "Who can use this service (" + day.isoformat() + ")"},
            "comment": "; ".join(eligibility_in_words(service, m, day=day)),
        }
    ]
    if service.programmes:
        out["program"] = [{"text": p} for p in service.programmes]
    out["characteristic"] = [
        _concept(
            publisher.system("levels"),
            lv.value,
            levels[lv].label if lv in levels else lv.value.replace("_", " "),
        )
        for lv in service.levels
    ]
    methods = []
    if any(r.kind in (RouteKind.referral, RouteKind.consultation) for r in service.routes):
        methods.append(_concept(REFERRAL_SYSTEM, "elec", "Secure Messaging"))
    if phones:
        methods.append(_concept(REFERRAL_SYSTEM, "phone", "Phone"))
    if methods:
        out["referralMethod"] = methods
    return {k: v for k, v in out.items() if v is not None}


def outcome(issues: Iterable[tuple[str, str, str]]) -> dict[str, Any]:
    """An OperationOutcome from (severity, code, diagnostics) triples."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": severity, "code": code, "diagnostics": text}
            for severity, code, text in issues
        ],
    }


# --- search ------------------------------------------------------------------------------------

_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
_DATE = re.compile(
    r"^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?"
    r"(Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def _fold(text: str) -> str:
    """Case- and accent-insensitive, as FHIR string search compares."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _date_range(name: str, raw: str) -> tuple[str, dt.datetime, dt.datetime]:
    """'ge2026-11' -> ('ge', 2026-11-01T00:00Z, 2026-12-01T00:00Z): the prefix and the range
    the value covers at its precision."""
    prefix = raw[:2] if raw[:2] in _PREFIXES else "eq"
    value = raw[2:] if raw[:2] in _PREFIXES else raw
    match = _DATE.match(value)
    if not match:
        raise InvalidSearch(
            f"{name}: {raw!r} is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a date-time, "
            "optionally after a prefix such as ge or lt)",
            loc=(name,),
        )
    year, month, day_, hour, minute, second, _fraction, zone = match.groups()
    try:
        if hour is not None:
            tz = dt.UTC if zone in (None, "Z") else dt.datetime.strptime(zone, "%z").tzinfo
            lo = dt.datetime(
                int(year),
                int(month),
                int(day_),
                int(hour),
                int(minute),
                int(second or 0),
                tzinfo=tz,
            )
            hi = lo + (dt.timedelta(seconds=1) if second else dt.timedelta(minutes=1))
            if _fraction:
                lo = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
                if lo.tzinfo is None:
                    lo = lo.replace(tzinfo=dt.UTC)
                hi = lo + dt.timedelta(milliseconds=1)
        elif day_ is not None:
            lo = dt.datetime(int(year), int(month), int(day_), tzinfo=dt.UTC)
            hi = lo + dt.timedelta(days=1)
        elif month is not None:
            lo = dt.datetime(int(year), int(month), 1, tzinfo=dt.UTC)
            hi = dt.datetime(int(year) + int(month) // 12, int(month) % 12 + 1, 1, tzinfo=dt.UTC)
        else:
            lo = dt.datetime(int(year), 1, 1, tzinfo=dt.UTC)
            hi = dt.datetime(int(year) + 1, 1, 1, tzinfo=dt.UTC)
    except (ValueError, TypeError, OverflowError):
        raise InvalidSearch(f"{name}: {raw!r} is not a valid date", loc=(name,)) from None
    return prefix, lo, hi


def _in_range(at: dt.datetime, prefix: str, lo: dt.datetime, hi: dt.datetime) -> bool:
    match prefix:
        case "ne":
            return not lo <= at < hi
        case "gt" | "sa":
            return at >= hi
        case "ge":
            return at >= lo
        case "lt" | "eb":
            return at < lo
        case "le":
            return at < hi
        case _:  # eq, ap
            return lo <= at < hi


@dataclass
class Search:
    """A parsed search: filters (each must hold), paging, and the parameters it ignored."""

    checks: list[Callable[[Any], bool]] = field(default_factory=list)
    count: int = MAX_COUNT
    offset: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)  # the parameters honoured
    ignored: list[str] = field(default_factory=list)


# The parameters each resource type honours, as the CapabilityStatement lists them:
# name -> (type, definition, what it does).
SEARCH_PARAMS: dict[str, dict[str, tuple[str, str, str]]] = {
    "HealthcareService": {
        "_id": ("token", SP + "Resource-id", "Our service ids, comma-separated for any of them"),
        "_lastUpdated": (
            "date",
            SP + "Resource-lastUpdated",
            "When the service last really changed (prefixes eq, ne, gt, ge, lt, le, sa, eb)",
        ),
        "identifier": (
            "token",
            SP + "HealthcareService-identifier",
            "[system|]value: our service id, or urn:uuid: of the Open Referral UK service",
        ),
        "name": (
            "string",
            SP + "HealthcareService-name",
            "The name starts with it, ignoring case and accents; :contains anywhere; :exact "
            "exactly",
        ),
        "active": ("token", SP + "HealthcareService-active", "true or false, today"),
        "organization": (
            "reference",
            SP + "HealthcareService-organization",
            "The providing Organization: its id or Organization/id",
        ),
    },
    "Organization": {
        "_id": ("token", SP + "Resource-id", "Organization ids, comma-separated"),
        "identifier": (
            "token",
            SP + "Organization-identifier",
            f"[system|]value: an ODS code ({ODS_SYSTEM})",
        ),
        "name": (
            "string",
            SP + "Organization-name",
            "The name starts with it, ignoring case and accents; :contains anywhere; :exact "
            "exactly",
        ),
    },
}
RESULT_PARAMS = {"_count", "_offset", "_format"}


def _token(name: str, raw: str) -> tuple[str | None, str]:
    if "|" in raw:
        system, _, value = raw.partition("|")
        return system, value
    if not raw:
        raise InvalidSearch(f"{name}: a value is needed", loc=(name,))
    return None, raw


def _int(name: str, raw: str, *, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise InvalidSearch(f"{name}: {raw!r} is not a whole number", loc=(name,)) from None
    if not low <= value <= high:
        raise InvalidSearch(f"{name}: must be from {low} to {high}", loc=(name,))
    return value


def _any(alternatives: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    return lambda x: any(a(x) for a in alternatives)


def _check(
    name: str,
    modifier: str,
    values: list[str],
    *,
    identifiers: Callable[[Any], list[tuple[str, str]]],
    name_of: Callable[[Any], str],
    id_of: Callable[[Any], str],
) -> Callable[[Any], bool]:
    """One parameter's filter: any of its comma-separated values may match."""
    if name == "_id":
        ids = set(values)
        return lambda x: id_of(x) in ids
    if name == "identifier":
        wanted = [_token(name, v) for v in values]

        def has(x: Any) -> bool:
            return any(
                (system is None or system == s or (system == "" and not s)) and value == v
                for s, v in identifiers(x)
                for system, value in wanted
            )

        return has
    if modifier == "exact":
        exact = set(values)
        return lambda x: name_of(x) in exact
    folded = [_fold(v) for v in values]
    if modifier == "contains":
        return lambda x: any(v in _fold(name_of(x)) for v in folded)
    return lambda x: any(_fold(name_of(x)).startswith(v) for v in folded)


def parse_search(
    resource: str,
    params: Sequence[tuple[str, str]],
    *,
    identifiers: Callable[[Any], list[tuple[str, str]]],
    name_of: Callable[[Any], str],
    id_of: Callable[[Any], str],
    extra: Mapping[str, Callable[[str, str], Callable[[Any], bool]]] | None = None,
) -> Search:
    """Parse a search's query parameters into filters; raise InvalidSearch for a bad value.

    Repeated parameters must all hold; comma-separated values are alternatives. Unknown
    parameters are collected in `ignored` (the caller reports them, or refuses them under
    `Prefer: handling=strict`).
    """
    search = Search()
    known = SEARCH_PARAMS[resource]
    extra = extra or {}
    for raw_name, raw in params:
        name, _, modifier = raw_name.partition(":")
        values = raw.split(",") if name not in RESULT_PARAMS else [raw]
        if name == "_count" and not modifier:
            search.count = _int("_count", raw, low=0, high=MAX_COUNT)
            continue
        if name == "_offset" and not modifier:
            search.offset = _int("_offset", raw, low=0, high=10_000_000)
            continue
        if name == "_format" and not modifier:
            continue  # checked by the router (json only)
        if name not in known or (modifier and name != "name"):
            search.ignored.append(raw_name)
            continue
        search.kept.append((raw_name, raw))
        if name == "name" and modifier not in ("", "contains", "exact"):
            search.kept.pop()
            search.ignored.append(raw_name)
            continue
        search.checks.append(
            _check(name, modifier, values, identifiers=identifiers, name_of=name_of, id_of=id_of)
            if name not in extra
            else _any([extra[name](name, v) for v in values])
        )
    return search


def search_services(
    m: Map,
    params: Sequence[tuple[str, str]],
    *,
    day: dt.date,
    publisher: Publisher,
    modified: Callable[[Service], dt.datetime],
) -> tuple[Search, list[Service]]:
    """HealthcareService search over the one service query."""

    def active(name: str, raw: str) -> Callable[[Any], bool]:
        if raw not in ("true", "false"):
            raise InvalidSearch(f"{name}: {raw!r} must be true or false", loc=(name,))
        wanted = raw == "true"
        return lambda s: s.active_on(day) is wanted

    def last_updated(name: str, raw: str) -> Callable[[Any], bool]:
        prefix, lo, hi = _date_range(name, raw)
        return lambda s: _in_range(modified(s), prefix, lo, hi)

    def provided_by(name: str, raw: str) -> Callable[[Any], bool]:
        wanted = raw.removeprefix("Organization/")
        return lambda s: organisation_of(s, m).id == wanted

    search = parse_search(
        "HealthcareService",
        params,
        identifiers=lambda s: [
            (publisher.service_ids, s.id),
            ("urn:ietf:rfc:3986", f"urn:uuid:{oruk_uid('service', s.id)}"),
        ],
        name_of=lambda s: s.name,
        id_of=lambda s: s.id,
        extra={"active": active, "_lastUpdated": last_updated, "organization": provided_by},
    )
    # _lastUpdated ranges and "active" combine (AND across repeats): each is its own check.
    services = find_services(m, ServiceQuery(where=tuple(search.checks)))
    return search, services


def search_organisations(
    m: Map, params: Sequence[tuple[str, str]]
) -> tuple[Search, list[Organisation]]:
    search = parse_search(
        "Organization",
        params,
        identifiers=lambda o: [
            (system, value)
            for system, value in (
                (ODS_SYSTEM, o.ods_code),
                (CHARITY_SYSTEM, o.charity_number),
                (COMPANY_SYSTEM, o.company_number),
            )
            if value
        ],
        name_of=lambda o: o.name,
        id_of=lambda o: o.id,
    )
    found = [o for o in organisations_in_use(m) if all(c(o) for c in search.checks)]
    return search, found


def bundle(
    resources: list[dict[str, Any]],
    *,
    publisher: Publisher,
    resource: str,
    search: Search,
    total: int,
    notes: list[str] | None = None,
) -> dict[str, Any]:
    """A searchset Bundle with self, first, previous and next links (paging by _offset)."""
    url = f"{publisher.fhir}/{resource}"

    def link(relation: str, offset: int) -> dict[str, str]:
        query = [*search.kept, ("_count", str(search.count)), ("_offset", str(offset))]
        return {"relation": relation, "url": f"{url}?{urlencode(query)}"}

    links = [link("self", search.offset), link("first", 0)]
    step = max(search.count, 1)
    if search.offset > 0:
        links.append(link("previous", max(0, search.offset - step)))
    if search.count and search.offset + search.count < total:
        links.append(link("next", search.offset + search.count))
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": [
            {
                "fullUrl": f"{url}/{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
    if notes:
        out["entry"].append(
            {
                "resource": outcome(("warning", "not-supported", n) for n in notes),
                "search": {"mode": "outcome"},
            }
        )
    if not out["entry"]:
        del out["entry"]
    return out


def capability_statement(publisher: Publisher, *, date: dt.date, version: str) -> dict[str, Any]:
    """What this server really supports: read and search of HealthcareService and
    Organization, with exactly the search parameters `parse_search` honours."""

    def resource(kind: str, documentation: str) -> dict[str, Any]:
        return {
            "type": kind,
            "documentation": documentation,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [
                {"name": name, "definition": definition, "type": kind_, "documentation": doc}
                for name, (kind_, definition, doc) in SEARCH_PARAMS[kind].items()
            ],
        }

    return {
        "resourceType": "CapabilityStatement",
        "url": f"{publisher.fhir}/metadata",
        "name": "BradfordEarlyYearsNavigator",
        "title": "Bradford Early Years Navigator FHIR server",
        "status": "active",
        "date": date.isoformat(),
        "publisher": "Bradford Early Years Navigator",
        "description": "Bradford's early-years services as HealthcareService resources, and the "
        "bodies that provide them as Organization resources (with ODS codes). Read-only. "
        "Searches page with _count (up to 500) and _offset, and link self, first, previous "
        "and next. Unknown parameters are ignored and reported in an OperationOutcome entry, "
        "or refused with 400 under Prefer: handling=strict.",
        "kind": "instance",
        "software": {"name": "Bradford Early Years Navigator", "version": version},
        "implementation": {
            "description": "Bradford Early Years Navigator",
            "url": publisher.fhir,
        },
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Code systems of our own: "
                + ", ".join(publisher.system(n) for n in ("needs", "rings", "levels"))
                + f"; service ids: {publisher.service_ids}; ODS codes: {ODS_SYSTEM}.",
                "resource": [
                    resource("HealthcareService", "Early-years services, past and present"),
                    resource("Organization", "The bodies that provide the services"),
                ],
            }
        ],
    }


def organization_last_updated(
    org: Organisation, m: Map, modified: Callable[[Service], dt.datetime]
) -> dt.datetime | None:
    times = [modified(s) for s in m.services if organisation_of(s, m).id == org.id]
    return max(times) if times else None


def find_organisation(m: Map, ident: str) -> Organisation | None:
    return next((o for o in organisations_in_use(m) if o.id == ident), None)

"""Reading another directory's Open Referral UK feed into the map: pure mapping and planning.

`plan_import` turns ORUK services (fully nested, as GET /services/{id} serves them) into a plan
against the current map: services to create, imported services to update, services unchanged,
services that look like a curated one (same organisation and name: shown as a difference, never
written), and services skipped with the reason. Nothing here writes: the command applies a plan
through the one write path, or prints it (--dry-run).

Every imported fact is marked `imported`, and every imported service cites the feed as its
source with the ORUK id (`oruk-id:<uuid>`), so a second run finds it again (idempotent). A bad
feed raises InvalidFeed naming the service and the field, before anything is planned.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from navigator.core.contacts import CONTACT_WORDS
from navigator.core.errors import NavigatorError
from navigator.core.exports import oruk, slug
from navigator.core.models import (
    MAX_AGE_MONTHS,
    ContactKind,
    ContactPoint,
    Level,
    Map,
    Organisation,
    Ring,
    Route,
    RouteKind,
    Rule,
    RuleKind,
    Service,
    Source,
    Status,
)
from navigator.core.validation import check_service, references

KEY_PREFIX = "oruk-id:"
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
COMPARED = (
    "name",
    "provider",
    "organisation_id",
    "remit",
    "min_age_months",
    "max_age_months",
    "needs",
    "levels",
    "address",
    "valid_to",
)


class InvalidFeed(NavigatorError):
    """A feed that cannot be read: names the service and the field."""


@dataclass(frozen=True)
class Difference:
    field: str
    ours: Any
    theirs: Any


@dataclass
class Plan:
    organisations: list[Organisation] = field(default_factory=list)
    create: list[Service] = field(default_factory=list)
    update: list[tuple[Service, Service]] = field(default_factory=list)  # (before, after)
    unchanged: list[Service] = field(default_factory=list)
    differs: list[tuple[Service, Service, list[Difference]]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (service, why)

    @property
    def changes(self) -> int:
        return len(self.organisations) + len(self.create) + len(self.update)

    def lines(self) -> list[str]:
        """The plan in words, one line a thing."""
        out = [f"organisation {o.id}: add ({o.name}, ODS {o.ods_code})" for o in self.organisations]
        out += [f"create {s.id} ({s.name})" for s in self.create]
        for before, after in self.update:
            fields = [d.field for d in differences(before, after, all_fields=True)]
            out.append(f"update {after.id}: {', '.join(fields) or 'sources'}")
        out += [f"unchanged {s.id}" for s in self.unchanged]
        for curated, theirs, diffs in self.differs:
            out.append(
                f"differs from curated {curated.id} (not written): "
                + (
                    "; ".join(f"{d.field}: ours {d.ours!r}, theirs {d.theirs!r}" for d in diffs)
                    or "no difference in the compared fields"
                )
            )
            del theirs
        out += [f"skipped {name}: {why}" for name, why in self.skipped]
        return out


def differences(ours: Service, theirs: Service, *, all_fields: bool = False) -> list[Difference]:
    a = ours.model_dump(mode="json")
    b = theirs.model_dump(mode="json")
    names = a.keys() if all_fields else COMPARED
    return [Difference(n, a.get(n), b.get(n)) for n in names if a.get(n) != b.get(n)]


def imported_key(service: Service) -> str | None:
    """The ORUK id a service was imported under, if it was imported."""
    for source in service.sources:
        if source.status is Status.imported and (source.note or "").startswith(KEY_PREFIX):
            return (source.note or "")[len(KEY_PREFIX) :].split()[0]
    return None


# --- reading a service -------------------------------------------------------------------------


def _where(doc: dict[str, Any], index: int) -> str:
    name = doc.get("name") if isinstance(doc.get("name"), str) else None
    ident = doc.get("id") if isinstance(doc.get("id"), str) else None
    if name and ident:
        return f"service {name!r} ({ident})"
    return f"service {name or ident or f'#{index + 1}'!r}"


def _fail(doc: dict[str, Any], index: int, fieldname: str, problem: str) -> InvalidFeed:
    return InvalidFeed(f"{_where(doc, index)}: {fieldname}: {problem}", loc=(fieldname,))


def _text(doc: dict[str, Any], index: int, name: str, *, required: bool = False) -> str | None:
    value = doc.get(name)
    if value is None or value == "":
        if required:
            raise _fail(doc, index, name, "is missing")
        return None
    if not isinstance(value, str):
        raise _fail(doc, index, name, f"must be text, not {type(value).__name__}")
    return value.strip() or None


def _number(doc: dict[str, Any], index: int, name: str) -> float | None:
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(doc, index, name, f"must be a number, not {value!r}")
    if not 0 <= value <= 150:
        raise _fail(doc, index, name, f"{value} is not an age in years (0 to 150)")
    return float(value)


def _list(doc: dict[str, Any], index: int, name: str) -> list[dict[str, Any]]:
    value = doc.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
        raise _fail(doc, index, name, "must be a list of objects")
    return value


@dataclass(frozen=True)
class Terms:
    """The taxonomy terms a service's attributes carry, and what they say in our terms."""

    needs: list[str]
    levels: list[Level]
    ring: Ring | None
    facts: dict[str, list[str]]  # our own feed's facts, by kind


def _terms(doc: dict[str, Any], index: int, m: Map) -> Terms:
    needs: list[str] = []
    levels: list[Level] = []
    ring: Ring | None = None
    facts: dict[str, list[str]] = {}
    kinds = {oruk.uid("fact-kind", k): k for k in oruk.FACT_KINDS}
    by_label = {n.label.casefold(): n.code for n in m.needs}
    codes = m.need_codes()
    for i, attribute in enumerate(_list(doc, index, "attributes")):
        term = attribute.get("taxonomy_term")
        if term is None:
            continue
        if not isinstance(term, dict):
            raise _fail(doc, index, f"attributes[{i}].taxonomy_term", "must be an object")
        ident = term.get("id")
        words = [
            w.strip()
            for w in (term.get("term"), term.get("code"), term.get("name"))
            if isinstance(w, str)
        ]
        if term.get("parent_id") in kinds and isinstance(term.get("name"), str):
            facts.setdefault(kinds[term["parent_id"]], []).append(term["name"])
            continue
        for code in codes:
            if ident == oruk.uid("need", code) or code in words:
                needs.append(code)
        needs += [by_label[w.casefold()] for w in words if w.casefold() in by_label]
        for level in Level:
            if ident == oruk.uid("level", level.value) or level.value in words:
                levels.append(level)
        for r in Ring:
            if ident == oruk.uid("ring", r.value):
                ring = r
    return Terms(list(dict.fromkeys(needs)), list(dict.fromkeys(levels)), ring, facts)


def _ods(organization: dict[str, Any]) -> str | None:
    for ident in organization.get("organization_identifiers") or []:
        if not isinstance(ident, dict):
            continue
        scheme = str(ident.get("identifier_scheme") or "")
        kind = str(ident.get("identifier_type") or "")
        value = ident.get("identifier")
        if isinstance(value, str) and (scheme == oruk.ODS_SCHEME or "ods" in kind.casefold()):
            return value.strip().upper()
    return None


def _address(doc: dict[str, Any], index: int) -> str | None:
    for at in _list(doc, index, "service_at_locations"):
        location = at.get("location")
        if not isinstance(location, dict):
            continue
        for address in location.get("addresses") or []:
            if not isinstance(address, dict):
                continue
            parts = [address.get("address_1"), address.get("address_2")]
            street = ", ".join(str(p).strip() for p in parts if p)
            town = " ".join(
                str(p).strip() for p in (address.get("city"), address.get("postal_code")) if p
            )
            text = ", ".join(p for p in (street, town) if p)
            if text:
                return text
    return None


def _contact(doc: dict[str, Any], index: int) -> str | None:
    """Phones, emails and named contacts, in one line."""
    found: list[str] = []
    for phone in _list(doc, index, "phones"):
        if phone.get("number"):
            found.append(str(phone["number"]))
    if email := _text(doc, index, "email"):
        found.append(email)
    for contact in _list(doc, index, "contacts"):
        who = " ".join(str(contact[k]) for k in ("name", "title") if contact.get(k))
        numbers = [str(p["number"]) for p in contact.get("phones") or [] if p.get("number")]
        emails = [str(contact["email"])] if contact.get("email") else []
        parts = [p for p in (who, *numbers, *emails) if p]
        if parts:
            found.append(" ".join(parts))
    return "; ".join(dict.fromkeys(found)) or None


# A contact's title as our own feed writes it ("Phone: 01274 221166 (hours)"): read back typed.
_TITLE_KINDS: dict[str, ContactKind] = {word: kind for kind, word in CONTACT_WORDS.items()}


def _typed_contacts(
    doc: dict[str, Any], index: int, *, url: str | None, source: str, facts: dict[str, list[str]]
) -> list[ContactPoint]:
    """The feed's phones, email, named contacts and page as typed contact points, status
    `imported`; a value that is not what its kind needs (a phone that is no UK number) is left
    to the route's contact text."""
    found: dict[tuple[str, str], ContactPoint] = {}

    def add(kind: str, value: str, label: str, hours: str | None = None) -> None:
        try:
            point = ContactPoint.model_validate(
                {
                    "kind": kind,
                    "value": value.strip(),
                    "label": label,
                    "hours": hours,
                    "own": True,
                    "source": source,
                    "status": Status.imported,
                }
            )
        except ValidationError:
            return
        found.setdefault((point.kind, point.value), point)

    for phone in _list(doc, index, "phones"):
        if phone.get("number"):
            add("phone", str(phone["number"]), "Phone, as the feed gives it")
    for number in facts.get("phone", []):
        add("phone", number, "Phone, as the feed gives it")
    for contact in _list(doc, index, "contacts"):
        name = str(contact.get("name") or "Contact, as the feed gives it")
        title = str(contact.get("title") or "")
        word, _, rest = title.partition(": ")
        if word in _TITLE_KINDS and rest:
            value, _, hours = rest.partition(" (")
            add(_TITLE_KINDS[word], value, name, hours.removesuffix(")") or None)
        for phone in contact.get("phones") or []:
            if phone.get("number"):
                add("phone", str(phone["number"]), name)
        if contact.get("email"):
            add("email", str(contact["email"]), name)
    if email := _text(doc, index, "email"):
        add("email", email, "Email, as the feed gives it")
    if url:
        add("website", url, "Web page, as the feed gives it")
    return list(found.values())


@dataclass(frozen=True)
class Options:
    feed: str  # what the feed is called in sources: its base URL or file
    service_url: str | None = None  # where one service is read, {id} for its ORUK id
    default_needs: Sequence[str] = ()
    default_area: str | None = None  # where services serve when the feed names no area of ours
    today: dt.date = field(default_factory=dt.date.today)
    actor: str = "import-oruk"


def _age_window(terms: Terms, lo: float | None, hi: float | None) -> tuple[int | None, ...]:
    window = terms.facts.get("age_window_months")
    if window:
        low, _, high = window[0].partition("..")
        try:
            return (
                None if low == "None" else int(low),
                None if high == "None" else int(high),
            )
        except ValueError:
            pass
    # An upper age beyond what the map records (a feed's "100 years") is no upper limit at all.
    high_months = None if hi is None else round(hi * 12)
    return (
        None if lo is None else round(lo * 12),
        None if high_months is None or high_months > MAX_AGE_MONTHS * 2 else high_months,
    )


def _names_an_area(rules: list[Rule]) -> bool:
    return any(r.kind is RuleKind.area or _names_an_area(r.rules) for r in rules)


def _rules(doc: dict[str, Any], index: int, m: Map) -> list[Rule]:
    by_name = {a.name.casefold(): a.id for a in m.areas} | {a.id: a.id for a in m.areas}
    known: list[str] = []
    other: list[str] = []
    for area in _list(doc, index, "service_areas"):
        words = [
            str(area[k]).strip() for k in ("name", "service_area", "description") if area.get(k)
        ]
        match = next((by_name[w.casefold()] for w in words if w.casefold() in by_name), None)
        if match:
            known.append(match)
        elif words:
            other.append(words[0])
    alternatives = [Rule(kind=RuleKind.area, area=a, status=Status.imported) for a in known]
    alternatives += [
        Rule(kind=RuleKind.criterion, text=f"Lives in: {w}", status=Status.imported) for w in other
    ]
    if len(alternatives) > 1:
        return [Rule(kind=RuleKind.any_of, rules=alternatives, status=Status.imported)]
    return alternatives


def _organisation(
    doc: dict[str, Any], index: int, m: Map, new: dict[str, Organisation], source: Source
) -> tuple[str, str | None]:
    """(provider text, organisation id): an organisation of the map (by ODS code, then name)
    or a new one (added to `new`)."""
    org = doc.get("organization")
    if org is None:
        return "Not stated by the feed", None
    if not isinstance(org, dict):
        raise _fail(doc, index, "organization", "must be an object")
    name = _text(org, index, "name") or "Not stated by the feed"
    ods = _ods(org)
    known = [*m.organisations, *new.values()]
    found = next((o for o in known if ods and o.ods_code == ods), None) or next(
        (o for o in known if o.name.casefold() == name.casefold()), None
    )
    if found is not None:
        return name, found.id
    if ods is None:
        return name, None
    taken = {o.id for o in known}
    ident = slug(name, limit=70)
    while ident in taken:
        ident = f"{ident}-{ods.lower()}"
    try:
        created = Organisation(
            id=ident, name=name, ods_code=ods, status=Status.imported, sources=[source]
        )
    except ValidationError as exc:
        raise _fail(doc, index, "organization", exc.errors()[0]["msg"]) from None
    new[created.id] = created
    return name, created.id


def read_service(
    doc: Any,
    index: int,
    m: Map,
    options: Options,
    *,
    new_organisations: dict[str, Organisation],
    existing: Service | None,
    taken: set[str],
) -> Service | str:
    """One ORUK service as a Service of our map; or, when it cannot be placed, why."""
    if not isinstance(doc, dict):
        raise InvalidFeed(f"service #{index + 1}: must be an object, not {type(doc).__name__}")
    key = _text(doc, index, "id", required=True)
    assert key is not None
    name = _text(doc, index, "name", required=True)
    assert name is not None
    state = _text(doc, index, "status", required=True)
    if state not in STATUSES:
        raise _fail(doc, index, "status", f"{state!r} is not one of {', '.join(STATUSES)}")
    lo, hi = _number(doc, index, "minimum_age"), _number(doc, index, "maximum_age")
    if lo is not None and hi is not None and hi < lo:
        raise _fail(doc, index, "maximum_age", f"{hi} is below minimum_age {lo}")
    assured = _text(doc, index, "assured_date")
    verified: dt.date | None = None
    if assured:
        try:
            verified = dt.date.fromisoformat(assured[:10])
        except ValueError:
            raise _fail(doc, index, "assured_date", f"{assured!r} is not a date") from None
    url = _text(doc, index, "url")
    terms = _terms(doc, index, m)
    inferred: list[str] = []
    needs = terms.needs
    if not needs:
        needs = [n for n in options.default_needs if n in m.need_codes()]
        if not needs:
            return "none of its taxonomy terms is a need of this map: give --need"
        inferred.append("needs")
    rules = _rules(doc, index, m)
    if not _names_an_area(rules):
        # Catchment is never silent: without an area of this map the service cannot say where
        # it serves, unless whoever imports says (`--area`).
        if options.default_area not in {a.id for a in m.areas}:
            return "it names no area of this map: give --area"
        rules.append(Rule(kind=RuleKind.area, area=options.default_area, status=Status.imported))
        inferred.append("rules")
    levels = terms.levels
    if not levels:
        levels = existing.levels if existing else [Level.universal]
        inferred.append("levels")
    ring = terms.ring or (existing.ring if existing else Ring.outer)
    if terms.ring is None:
        inferred.append("ring")
    where = options.service_url.format(id=key) if options.service_url else None
    source = Source(
        title=f"Open Referral UK feed {options.feed}",
        url=where,
        status=Status.imported,
        note=f"{KEY_PREFIX}{key} (imported {options.feed})",
    )
    sources = [source]
    if url and url != where:
        sources.append(
            Source(title=f"{name}: web page given by the feed", url=url, status=Status.imported)
        )
    provider, organisation = _organisation(doc, index, m, new_organisations, source)
    low, high = _age_window(terms, lo, hi)
    contact = _contact(doc, index)
    contacts = _typed_contacts(doc, index, url=url, source=where or options.feed, facts=terms.facts)
    routes = [
        Route(
            kind=RouteKind.referral,
            how=how,
            contact=contact if i == 0 else None,
            status=Status.imported,
        )
        for i, how in enumerate(terms.facts.get("route") or [])
    ]
    if not routes and contact:
        routes = [
            Route(
                kind=RouteKind.referral,
                how=f"Contact {name} (as the feed {options.feed} gives it).",
                contact=contact,
                status=Status.imported,
            )
        ]
    ident = existing.id if existing else slug(name, limit=70)
    if existing is None and ident in taken:
        ident = slug(f"{ident}-{key[:8]}", limit=80)
    valid_to = existing.valid_to if existing else None
    if state != "active" and valid_to is None:
        valid_to = options.today - dt.timedelta(days=1)
    data: dict[str, Any] = {
        "id": ident,
        "name": name,
        "aliases": terms.facts.get("alternate_name", []),
        "former_names": terms.facts.get("former_name", []),
        "provider": provider,
        "organisation_id": organisation,
        "ring": ring,
        "remit": _text(doc, index, "description") or name,
        "needs": needs,
        "levels": levels,
        "min_age_months": low,
        "max_age_months": high,
        "rules": rules,
        "routes": routes,
        "programmes": terms.facts.get("programme", []),
        "address": _address(doc, index),
        "contacts": contacts,
        "inferred": inferred,
        "sources": sources,
        "valid_from": existing.valid_from if existing else None,
        "valid_to": valid_to,
        "last_verified": verified or (existing.last_verified if existing else options.today),
    }
    if valid_to is not None and data["valid_from"] and valid_to < data["valid_from"]:
        data["valid_to"] = data["valid_from"]
    try:
        return Service.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field_name = ".".join(str(p) for p in err["loc"]) or "(service)"
        raise _fail(doc, index, field_name, err["msg"]) from None


def _same_organisation(a: Service, b: Service) -> bool:
    if a.organisation_id and b.organisation_id:
        return a.organisation_id == b.organisation_id
    return a.provider.casefold() == b.provider.casefold()


def plan_import(m: Map, docs: Iterable[Any], options: Options) -> Plan:
    """What importing `docs` would change; raises InvalidFeed before planning anything."""
    docs = list(docs)
    by_key = {k: s for s in m.services if (k := imported_key(s)) is not None}
    taken = {s.id for s in m.services}
    new_organisations: dict[str, Organisation] = {}
    plan = Plan()
    seen: set[str] = set()
    read: list[tuple[int, Any, Service | str]] = []
    for index, doc in enumerate(docs):
        key = doc.get("id") if isinstance(doc, dict) else None
        existing = by_key.get(key) if isinstance(key, str) else None
        if isinstance(key, str) and key in seen:
            raise InvalidFeed(f"{_where(doc, index)}: id: appears twice in the feed", loc=("id",))
        if isinstance(key, str):
            seen.add(key)
        result = read_service(
            doc,
            index,
            m,
            options,
            new_organisations=new_organisations,
            existing=existing,
            taken=taken,
        )
        if isinstance(result, Service):
            taken.add(result.id)
        read.append((index, doc, result))
    plan.organisations = list(new_organisations.values())
    refs = references(m)
    refs["organisations"] = refs["organisations"] | set(new_organisations)
    for index, doc, result in read:
        if isinstance(result, str):
            plan.skipped.append((_where(doc, index), result))
            continue
        try:
            check_service(result, refs)
        except NavigatorError as exc:
            raise _fail(doc, index, ".".join(map(str, exc.loc)), exc.message) from None
        existing = by_key.get(doc["id"])
        if existing is not None:
            if existing == result:
                plan.unchanged.append(existing)
            else:
                plan.update.append((existing, result))
            continue
        curated = next(
            (
                s
                for s in m.services
                if imported_key(s) is None
                and _same_organisation(s, result)
                and result.name.casefold() in {n.casefold() for n in (s.name, *s.aliases)}
            ),
            None,
        )
        if curated is not None:
            plan.differs.append((curated, result, differences(curated, result)))
        else:
            plan.create.append(result)
    return plan


def services_in(document: Any, *, where: str) -> list[Any]:
    """The services of a JSON document: one service, or a page of them (`contents`)."""
    if isinstance(document, dict) and isinstance(document.get("contents"), list):
        return list(document["contents"])
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and "id" in document:
        return [document]
    raise InvalidFeed(
        f"{where}: neither a service nor a page of services (an object with contents)"
    )

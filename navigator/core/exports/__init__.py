"""Standard formats for other trust systems: Open Referral UK (HSDS 3.0) and FHIR R4."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from navigator.core.models import Map, Organisation, Rule, Service

_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b")


def phone_numbers(service: Service) -> list[str]:
    """The service's own phone numbers from its typed contacts, each once, in order: never
    999, 111 or a helpline that is not its own, and never a number read out of free text."""
    return list(dict.fromkeys(c.value for c in service.own_contacts("phone")))


def _rules(rules: list[Rule], day: dt.date | None) -> list[Rule]:
    out = []
    for rule in rules:
        if day is None or rule.active_on(day):
            out.append(rule)
            out.extend(_rules(rule.rules, day))
    return out


def area_ids(service: Service, day: dt.date | None = None) -> list[str]:
    """Areas the service's rules (or their alternatives) name, sorted: those in force on `day`,
    or of any date."""
    return sorted({r.area for r in _rules(service.rules, day) if r.area is not None})


def split_address(address: str) -> tuple[str, str, str]:
    """'Bradford Royal Infirmary, Bradford BD9 6RJ' -> (street part, town, postcode); the parts
    not found are empty."""
    match = _POSTCODE.search(address.upper())
    postcode = f"{match.group(1)} {match.group(2)}" if match else ""
    rest = address[: match.start()] + address[match.end() :] if match else address
    parts = [p.strip() for p in rest.split(",") if p.strip()]
    if len(parts) >= 2:
        return ", ".join(parts[:-1]), parts[-1], postcode
    return (parts[0] if parts else address.strip()), "", postcode


def slug(text: str, *, limit: int = 64) -> str:
    """A lower-case id from free text, cut to `limit` with a short hash when cut."""
    base = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "x"
    if len(base) <= limit:
        return base
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{base[: limit - 9].rstrip('-')}-{digest}"


def organisation_of(service: Service, m: Map) -> Organisation:
    """The service's organisation from the map's list, or one made from its provider's name."""
    found = m.organisation(service.organisation_id)
    if found is not None:
        return found
    return Organisation(id=f"provider-{slug(service.provider, limit=54)}", name=service.provider)


def organisations_in_use(m: Map) -> list[Organisation]:
    """The map's organisations, then those made from providers' names, each once."""
    out = {o.id: o for o in m.organisations}
    for service in m.services:
        org = organisation_of(service, m)
        out.setdefault(org.id, org)
    return list(out.values())

"""A service's contact points, read from what the seed states in its routes' contact text.

Only what a route's `contact` says is used (its sources are the service's), so a service whose
routes give no number has no contact point here. A number that is not the service's own (999, a
national helpline) says so in its label.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict

from navigator.core.models import RouteKind, Service

ContactKind = Literal["phone", "email", "website", "referral_form", "address"]

# UK numbers as people write them: 01274 433999, 0800 9530966, 0808 2800 999; and 999 and 111.
NUMBER = re.compile(r"(?<![\d])(0\d[\d ]{8,12}\d|999|111)(?![\d])")
_BRACKETS = re.compile(r"\(([^)]*)\)")
_HOURS = re.compile(
    r"\b(\d{1,2}(\.\d\d)?\s?(am|pm)|hours?|24/7|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|weekends?|daily|office)\b",
    re.IGNORECASE,
)
# Whose line a number without a label is, by the route it is given for.
_WHO = {
    RouteKind.referral: "For professionals",
    RouteKind.consultation: "For professionals to consult",
    RouteKind.self_referral: "For families",
}


class Contact(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ContactKind
    value: str
    label: str
    hours: str | None = None


def dialable(number: str) -> str | None:
    """The digits to dial for a number as written, or None when it is not a UK phone number."""
    digits = re.sub(r"\D", "", number)
    return digits if len(digits) in (10, 11) or digits in {"999", "111"} else None


def _label(text: str) -> str:
    text = text.strip(" ,:;-")
    return text[:1].upper() + text[1:]


def parse_contact(text: str, *, route: RouteKind, service_name: str) -> list[Contact]:
    """The numbers in one route's contact text, each with its label and hours."""
    out: list[Contact] = []
    for part in text.split(";"):
        match = NUMBER.search(part)
        if match is None:
            continue
        number = " ".join(match.group(1).split())
        digits = dialable(number)
        if digits is None:
            continue
        before, after = part[: match.start()], part[match.end() :]
        bracket = _BRACKETS.search(after)
        inside = bracket.group(1).strip() if bracket else ""
        rest = _BRACKETS.sub("", after)
        label = _label(before) or _label(rest) or _WHO[route]
        hours = None
        if inside and _HOURS.search(inside):
            hours = inside
        elif inside:
            label = f"{label} ({inside})"
        if digits == "999":
            label = f"{label}: emergency services, not the service's own number"
        elif "national" in label.lower() and "national" not in service_name.lower():
            label = f"{label} (a national helpline, not the service's own number)"
        out.append(Contact(kind="phone", value=number, label=label, hours=hours))
    return out


@lru_cache(maxsize=4096)
def _parsed(text: str, route: RouteKind, service_name: str) -> tuple[Contact, ...]:
    # Contact is frozen, so answers can share what one parse made.
    return tuple(parse_contact(text, route=route, service_name=service_name))


def contacts_of(service: Service) -> list[Contact]:
    """Every number the service's routes give, once each, in the order of its routes."""
    seen: set[str] = set()
    out: list[Contact] = []
    for route in service.routes:
        if not route.contact:
            continue
        for c in _parsed(route.contact, route.kind, service.name):
            if c.value.replace(" ", "") not in seen:
                seen.add(c.value.replace(" ", ""))
                out.append(c)
    return out

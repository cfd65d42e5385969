"""Standard formats for other trust systems: Open Referral UK (HSDS 3.0) and FHIR R4."""

from __future__ import annotations

import re

from navigator.core.models import Service

# UK phone numbers as the seed writes them: 01274 433999, 0808 2800 999, 999.
_PHONE = re.compile(r"\b(0\d{2,4}[ \d]{6,9}\d|999)\b")


def phone_numbers(service: Service) -> list[str]:
    """Phone numbers found in the service's route contacts, each once, in order."""
    found = [n for r in service.routes for n in _PHONE.findall(r.contact or "")]
    return list(dict.fromkeys(found))


def area_ids(service: Service) -> list[str]:
    """Areas any of the service's rules (or their alternatives) name, sorted."""
    return sorted(
        {r.area for rule in service.rules for r in (rule, *rule.rules) if r.area is not None}
    )

"""What an answer says at its top, before any service: urgent routes, safeguarding, and where
the family lives when that changes everything. The words are the seed's (`navigation.notices`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from navigator.core.family import Decision, Family
from navigator.core.geography import Location
from navigator.core.models import Eligibility, Map, NoticeRule, RouteKind, Service

NoticeCode = Literal["crisis", "safeguarding", "outside_district", "unknown_postcode"]

# A practitioner calls the professionals' line first; the family's line when there is no other.
_CONTACT_ORDER = (RouteKind.referral, RouteKind.consultation, RouteKind.self_referral)


class Notice(BaseModel):
    code: NoticeCode
    text: str


def _contact(service: Service) -> str:
    by_kind = {r.kind: r.contact for r in service.routes if r.contact}
    return next((by_kind[k] for k in _CONTACT_ORDER if k in by_kind), "")


def outside(m: Map, location: Location) -> bool:
    """Whether the family lives, as far as we can tell, outside the district."""
    district = m.navigation.district_area
    return district is not None and location.known and district not in location.areas


def pointer(m: Map, location: Location) -> str:
    """Where a family outside the district should look: its own authority's services."""
    nav = m.navigation
    name = location.local_authority or "their own council"
    authority = nav.authority(location.local_authority_code)
    if authority is not None and authority.family_services:
        return nav.notices.outside_pointer.format(
            authority=name, services=authority.family_services
        )
    return nav.notices.outside_no_pointer.format(authority=name)


def _need_notice(
    code: NoticeCode,
    rule: NoticeRule,
    m: Map,
    location: Location,
    decisions: dict[str, Decision],
) -> Notice:
    for sid in rule.services:
        service = m.service(sid)
        decision = decisions.get(sid)
        if service is None or decision is None or decision.status is Eligibility.not_eligible:
            continue
        return Notice(
            code=code,
            text=" ".join(
                rule.text.format(service=service.name, contact=_contact(service)).split()
            ),
        )
    name = location.local_authority or "their own area"
    authority = m.navigation.authority(location.local_authority_code)
    contact = f": {authority.safeguarding}" if authority and authority.safeguarding else ""
    text = (rule.outside_text or rule.text).format(
        authority=name, contact=contact, service="the service"
    )
    return Notice(code=code, text=" ".join(text.split()))


def notices_for(
    m: Map, family: Family, location: Location, decisions: dict[str, Decision]
) -> list[Notice]:
    """Crisis first, then safeguarding, then where the family lives; `decisions` are this
    family's eligibility for the services a notice may name."""
    nav = m.navigation
    out: list[Notice] = []
    needs = set(family.needs)
    if nav.notices.crisis and needs & set(nav.notices.crisis.needs):
        out.append(_need_notice("crisis", nav.notices.crisis, m, location, decisions))
    if nav.notices.safeguarding and needs & set(nav.notices.safeguarding.needs):
        out.append(_need_notice("safeguarding", nav.notices.safeguarding, m, location, decisions))
    district = next((a.name for a in m.areas if a.id == nav.district_area), "the district")
    if nav.notices.outside_district and outside(m, location):
        text = nav.notices.outside_district.format(
            authority=location.local_authority or "another area",
            district=district,
            pointer=pointer(m, location),
        )
        out.append(Notice(code="outside_district", text=" ".join(text.split())))
    if nav.notices.unknown_postcode and not location.known:
        text = nav.notices.unknown_postcode.format(postcode=location.postcode)
        out.append(Notice(code="unknown_postcode", text=" ".join(text.split())))
    return out

"""The map in words for the pages: rules, dates, labels and the referral summary.

Presentation only. Whether a family is eligible is decided in navigator/eligibility.py and
ranked in navigator/navigate.py; this module only says, in plain English, what the map holds.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from navigator.core.contacts import CONTACT_WORDS, contacts_of
from navigator.core.models import (
    ContactPoint,
    Dated,
    Edge,
    Map,
    Rule,
    RuleKind,
    Service,
    Stage,
    Status,
    dialable,
)
from navigator.core.navigate import NavigateResult, Recommendation
from navigator.core.wording import describe_window, period, rule_text, when

# UK numbers as people write them (01274 433999, 0800 9530966, 999, 111): only to make numbers
# in a text the seed gives tap-to-call links. Contacts are typed in the seed, never read from text.
NUMBER = re.compile(r"(?<![\d])(0\d[\d ]{8,12}\d|999|111)(?![\d])")

ELIGIBILITY_WORDS = {"eligible": "Eligible", "check": "Check first", "not_eligible": "Not eligible"}
ROUTE_WORDS = {
    "referral": "Referral by a professional",
    "self_referral": "The family can refer themselves",
    "consultation": "Consultation for professionals",
    "none": "No route recorded",
}
STEP_WORDS = {
    "refers": "referral",
    "consults": "consultation",
    "signposts": "signpost",
    "self_referral": "the family refers themselves",
}
EDGE_OUT_WORDS = {"refers": "Refers to", "consults": "Consults", "signposts": "Signposts to"}
EDGE_IN_WORDS = {
    "refers": "Referred from",
    "consults": "Consulted by",
    "signposts": "Signposted from",
}
NOTICE_TITLES = {
    "crisis": "Urgent: a mental health crisis",
    "safeguarding": "Safeguarding",
    "outside_district": "The family lives outside the district",
    "unknown_postcode": "We could not find this postcode",
}
STATUS_WORDS = {
    "confirmed": "confirmed",
    "inferred": "inferred",
    "seed_report": "from the Little Minds Matter evaluation reports",
    "imported": "imported from another directory's feed",
}


def link(url: str | None) -> str | None:
    """A source's URL if it is safe to put in an href: http(s) only, never javascript: or data:."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None


def tel(number: str) -> str | None:
    """A tel: link for a phone number as written, or None."""
    digits = dialable(number)
    return f"tel:{digits}" if digits else None


def with_phone_links(text: str) -> Markup:
    """Text, escaped, with each phone number in it a tap-to-call link."""
    out = Markup("")
    last = 0
    for match in NUMBER.finditer(text):
        href = tel(match.group(1))
        if href is None:
            continue
        out += escape(text[last : match.start()])
        out += Markup('<a href="{}">{}</a>').format(href, match.group(1))
        last = match.end()
    return out + escape(text[last:])


@dataclass(frozen=True)
class CardFacts:
    """What a result card or a directory entry shows of a service beyond its remit: who runs
    it, its first own contact point, where it runs and what to do when it has no public route."""

    organisation: str | None
    contact: ContactPoint | None
    sites: list[str]
    no_public_contact: str | None


def card_facts(m: Map, service_id: str) -> CardFacts:
    service = m.service(service_id)
    if service is None:
        return CardFacts(None, None, [], None)
    org = m.organisation(service.organisation_id)
    sites = (
        []
        if service.confidential_address
        else [", ".join(x for x in (s.name, s.postcode) if x) for s in service.sites]
    )
    own = [c for c in contacts_of(service) if c.own and c.kind != "address"]
    return CardFacts(
        organisation=org.name if org else None,
        contact=own[0] if own else None,
        sites=sites,
        no_public_contact=service.no_public_contact,
    )


def in_force(item: Dated, day: dt.date) -> str:
    """'' while in force on `day`, else why not, in words."""
    if item.valid_from and day < item.valid_from:
        return f"not yet in force on {when(day)}"
    if item.valid_to and day > item.valid_to:
        return f"ended {when(item.valid_to)}"
    return ""


def ages(service: Service) -> str:
    if service.min_age_months is None and service.max_age_months is None:
        return "No age limit"
    return describe_window(service.min_age_months, service.max_age_months).capitalize()


def running(service: Service, day: dt.date) -> str:
    """'' for a running service; otherwise when it ran, for retired or future services."""
    if service.valid_to and day > service.valid_to:
        end = when(service.valid_to)
        if service.valid_from:
            return f"No longer running: ran from {when(service.valid_from)} to {end}"
        return f"No longer running: ended on {end}"
    if service.valid_from and day < service.valid_from:
        return f"Not yet running: starts on {when(service.valid_from)}"
    return ""


@dataclass(frozen=True)
class RuleView:
    text: str
    period: str
    status: str
    inferred: bool
    parts: list[RuleView] = field(default_factory=list)

    def flat(self) -> str:
        """The rule on one line, for tooltips."""
        if not self.parts:
            return self.text
        return self.text + " " + "; or ".join(p.flat() for p in self.parts)


def rule_view(rule: Rule, m: Map, day: dt.date) -> RuleView:
    text = rule_text(rule, m)
    if rule.kind is RuleKind.gp_list:
        gp = next((g for g in m.gp_lists if g.id == rule.gp_list), None)
        if gp is not None and gp.practices is None:
            text += " (no list of these practices is held: answers ask which one the family uses)"
    return RuleView(
        text=text,
        period=period(rule),
        status=in_force(rule, day),
        inferred=rule.status is Status.inferred,
        parts=[rule_view(r, m, day) for r in rule.rules],
    )


@dataclass(frozen=True)
class EdgeView:
    words: str
    other_id: str
    other_name: str
    period: str
    note: str | None
    inferred: bool


def edges_of(service: Service, m: Map) -> tuple[list[EdgeView], list[EdgeView]]:
    """The service's referral edges: (out, in), each naming the service at the other end."""

    def view(e: Edge, other: str, words: dict[str, str]) -> EdgeView:
        s = m.service(other)
        return EdgeView(
            words=words[e.kind.value],
            other_id=other,
            other_name=s.name if s else other,
            period=period(e),
            note=e.note,
            inferred=e.status is Status.inferred,
        )

    out = [view(e, e.target, EDGE_OUT_WORDS) for e in m.edges if e.source == service.id]
    into = [view(e, e.source, EDGE_IN_WORDS) for e in m.edges if e.target == service.id]
    return out, into


def stage_words(stage: Stage, age: int | None, weeks: int | None = None) -> str:
    if stage is Stage.antenatal:
        return f"Pregnant, {weeks} weeks" if weeks is not None else "Pregnant"
    return f"Baby is born, {age} months old" if age is not None else "Baby is born"


def _card_lines(n: int, r: Recommendation) -> list[str]:
    lines = [f"{n}. {r.name} ({ELIGIBILITY_WORDS[r.eligibility.value]})"]
    if r.reasons:
        lines.append("   Why: " + "; ".join(r.reasons))
    if r.checks:
        lines.append("   What to check: " + "; ".join(r.checks))
    route = f"   Route: {ROUTE_WORDS[str(r.route.kind)]}. {r.route.how}"
    if r.route.contact:
        route += f" Contact: {r.route.contact}"
    lines.append(route)
    for c in r.contacts:
        hours = f" ({c.hours})" if c.hours else ""
        other = "" if c.own else " [not the service's own line]"
        lines.append(f"   {CONTACT_WORDS[c.kind]}: {c.value}{hours}: {c.label}{other}")
    if r.no_public_contact:
        lines.append(f"   {r.no_public_contact}")
    if r.inferred:
        lines.append("   Not confirmed by a source: " + "; ".join(r.inferred))
    return lines


def referral_summary(
    result: NavigateResult,
    *,
    m: Map,
    needs: list[str],
    level: str,
    stage: str,
    show_lmm: bool,
    limit: int = 5,
) -> str:
    """Plain text to paste into a referral or a record: what was asked, the services, routes.

    Only what the practitioner typed about the family (needs, level, stage) goes in, never
    the postcode or GP practice: they are already in the practitioner's own record.
    """
    labels = {n.code: n.label for n in m.needs}
    lines = [
        f"Bradford Early Years Navigator: services as of {when(result.as_of)}",
        "Needs: " + ", ".join(labels.get(n, n) for n in needs),
        f"Level: {level}",
        stage,
    ]
    # Never the postcode: the unknown-postcode notice names it, and it is in the record already.
    for notice in result.notices:
        if notice.code != "unknown_postcode":
            lines += ["", f"{NOTICE_TITLES[notice.code]}: {notice.text}"]
    if show_lmm:
        lmm = m.service(m.lmm.service_id)
        offer = result.lmm.offer
        lines += ["", f"{lmm.name if lmm else 'Little Minds Matter'}: {offer.summary}"]
        if result.lmm.reasons:
            lines.append("   Why: " + "; ".join(result.lmm.reasons))
        if result.lmm.checks:
            lines.append("   What to check: " + "; ".join(result.lmm.checks))
        if offer.contact:
            lines.append(f"   Contact: {offer.contact}")
    for i, r in enumerate(result.recommendations[:limit], 1):
        lines += ["", *_card_lines(i, r)]
    return "\n".join(lines)

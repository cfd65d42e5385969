"""Honest uncertainty: the facts behind an answer that no source confirms, one sentence each.

The seed marks what is `inferred` (our reasoning, not stated by a source): a rule, a route, an
edge, or a service's field named in its `inferred` list. An answer names each such fact it
rests on, so a practitioner can see which parts to check before acting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping

from navigator.core.graph import Step
from navigator.core.models import Edge, Map, Route, Rule, RuleKind, Service, Status
from navigator.core.wording import describe_window, lower_first, period, rule_text, when

ROUTE_FACTS = {
    "referral": "that professionals refer to it",
    "self_referral": "that families can refer themselves",
    "consultation": "that professionals can consult it",
}
EDGE_FACTS = {
    "refers": "refers families to",
    "consults": "consults",
    "signposts": "points families to",
}


def _rules_in_force(rules: list[Rule], day: dt.date) -> Iterator[Rule]:
    for rule in rules:
        if rule.active_on(day):
            yield rule
            yield from _rules_in_force(rule.rules, day)


def rule_fact(rule: Rule, m: Map) -> str:
    """'The rule “Lives in the Bradford district” (from 1 April 2023): no source gives ...'."""
    words = rule_text(rule, m) if rule.kind is not RuleKind.any_of else "One of several rules"
    when_in_force = period(rule)
    text = f"The rule “{words}”" + (f" ({lower_first(when_in_force)})" if when_in_force else "")
    return text + (f": {rule.note.rstrip('.')}" if rule.note else "")


def rule_facts(service: Service, m: Map, *, day: dt.date) -> list[str]:
    """The service's inferred rules in force on `day`, a sentence each: the same for every
    family, so an answer may remember them for the day."""
    return [
        rule_fact(r, m) for r in _rules_in_force(service.rules, day) if r.status is Status.inferred
    ]


def service_facts(
    service: Service,
    m: Map,
    *,
    day: dt.date,
    matched: list[str],
    labels: Mapping[str, str] | None = None,
    rules: list[str] | None = None,
) -> list[str]:
    """What about this service, as it decides this answer, is inferred; `labels` are the
    needs' labels by code, and `rules` its `rule_facts` for the day, when the caller has them
    already."""
    out = list(rules) if rules is not None else rule_facts(service, m, day=day)
    fields = set(service.inferred)
    if fields & {"min_age_months", "max_age_months"} and (
        service.min_age_months is not None or service.max_age_months is not None
    ):
        out.append(
            f"Its age window ({describe_window(service.min_age_months, service.max_age_months)})"
        )
    if "levels" in fields:
        level_names = {lv.id: lv.label for lv in m.levels}
        works = ", ".join(level_names[lv] for lv in service.levels)
        out.append(f"The levels it works at ({works})")
    if "self_referral" in fields and not service.self_referral:
        out.append("That families cannot refer themselves")
    if "needs" in fields and matched:
        names = labels if labels is not None else {n.code: n.label for n in m.needs}
        out.append("That it helps with " + ", ".join(names.get(n, n) for n in matched))
    if "ring" in fields:
        ring = next((r.label for r in m.rings if r.id is service.ring), service.ring.value)
        out.append(f"Its place on the map ({ring})")
    if "remit" in fields:
        out.append("What it does, as its remit describes it")
    if "valid_from" in fields and service.valid_from is not None:
        out.append(f"The date it started ({when(service.valid_from)})")
    return out


def route_fact(route: Route | None) -> list[str]:
    if route is None or route.status is not Status.inferred:
        return []
    return [f"How to get there: {ROUTE_FACTS[route.kind.value]}"]


def pathway_facts(
    steps: list[Step], m: Map, *, edges: Mapping[tuple[str, str, str], Edge]
) -> list[str]:
    """Each step through the referral network that rests on an inferred edge; `edges` are
    those in force, by (source, target, kind)."""
    out = []
    for step in steps:
        edge = edges.get((step.source, step.target, step.kind))
        if edge is None or edge.status is not Status.inferred:
            continue
        a, b = m.service(step.source), m.service(step.target)
        out.append(
            f"That {a.name if a else step.source} {EDGE_FACTS[step.kind]} "
            f"{b.name if b else step.target}"
        )
    return out

"""Dates, age windows and rules in plain English: the sentences a practitioner reads to a family."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from navigator.core.models import Dated, Map, Rule, RuleKind, Service

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}


@lru_cache(maxsize=4096)
def when(day: dt.date) -> str:
    """'12 June 2018' (remembered: a long answer names the same few dates many times)."""
    return f"{day.day} {day:%B %Y}"


def months(n: int) -> str:
    return f"{n} month" if n == 1 else f"{n} months"


def age_start(lo: int | None) -> str:
    if lo is None or lo <= -9:
        return "pregnancy"
    if lo < 0:
        return f"the last {months(-lo)} of pregnancy"
    return "birth" if lo == 0 else months(lo)


# Pregnancy counts 40 weeks to the birth; a month is 52/12 weeks.
WEEKS_AT_BIRTH = 40


def pregnancy_week(months_to_birth: int) -> int:
    """The week of pregnancy a window starting (or ending) this many months before the birth
    begins at: -3 ('the last 3 months of pregnancy') is week 27."""
    return WEEKS_AT_BIRTH - round(-months_to_birth * 52 / 12)


def lower_first(text: str) -> str:
    """'The parent is ...' -> 'the parent is ...'; an acronym ('BMI ...') is left alone."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def ordinal(n: int) -> str:
    if n in ORDINALS:
        return ORDINALS[n]
    suffix = "th" if n % 100 in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def age_end(hi: int) -> str:
    """Limits are exclusive: 12 means 'until the first birthday', -1 a month before the birth."""
    if hi < 0:
        return f"{months(-hi)} before the birth"
    if hi == 0:
        return "the birth"
    years, rest = divmod(hi, 12)
    return f"the {ordinal(years)} birthday" if rest == 0 else months(hi)


def describe_window(lo: int | None, hi: int | None) -> str:
    if hi is None:
        return f"from {age_start(lo)}, with no upper age limit"
    return f"{age_start(lo)} to {age_end(hi)}"


def within_window(lo: int | None, hi: int | None) -> str:
    """'within birth to the first birthday'; an open window 'this service works from 6 months,
    with no upper age limit' (never 'within from')."""
    window = describe_window(lo, hi)
    return f"this service works {window}" if hi is None else f"within {window}"


def window_span(lo: int | None, hi: int | None) -> str:
    """'from birth to the first birthday', or 'from birth, with no upper age limit'."""
    window = describe_window(lo, hi)
    return window if hi is None else f"from {window}"


def period(item: Dated) -> str:
    """'From 1 April 2020 to 31 March 2023', or '' when always in force."""
    start, end = item.valid_from, item.valid_to
    if start and end:
        return f"From {when(start)} to {when(end)}"
    if start:
        return f"From {when(start)}"
    if end:
        return f"Until {when(end)}"
    return ""


def rule_text(rule: Rule, m: Map) -> str:
    """What one rule asks, in plain words; an any_of rule is 'One of:' before its parts."""
    match rule.kind:
        case RuleKind.age:
            return "Child's age: " + describe_window(rule.min_months, rule.max_months)
        case RuleKind.area:
            area = next((a for a in m.areas if a.id == rule.area), None)
            return f"Lives in the {area.name if area else rule.area}"
        case RuleKind.gp_list:
            gp = next((g for g in m.gp_lists if g.id == rule.gp_list), None)
            return f"Registered with one of the {gp.name if gp else rule.gp_list}"
        case RuleKind.criterion:
            return f"To confirm: {rule.text}"
        case RuleKind.any_of:
            return "One of:"


def describe_rule(rule: Rule, m: Map, *, dates: bool = True) -> str:
    """A rule on one line, with its dates and '(inferred)' where it is not confirmed. An any_of
    rule says its own before its parts ('One of (from 1 April 2020): ...'), so they are never
    read as its last part's."""
    notes = []
    if dates and (when_in_force := period(rule)):
        notes.append(f"{when_in_force[0].lower()}{when_in_force[1:]}")
    if rule.status.value in ("inferred", "imported"):
        notes.append(rule.status.value)
    said = "".join(f" ({n})" for n in notes)
    if rule.kind is RuleKind.any_of:
        parts = "; or ".join(describe_rule(r, m, dates=dates) for r in rule.rules)
        return f"One of{said}: {parts}"
    return rule_text(rule, m) + said


def eligibility_in_words(service: Service, m: Map, *, day: dt.date | None = None) -> list[str]:
    """The age window and the rules (those in force on `day`, or all with their dates)."""
    lines = []
    if service.min_age_months is not None or service.max_age_months is not None:
        window = describe_window(service.min_age_months, service.max_age_months)
        lines.append(f"Ages: {window}")
    for rule in service.rules:
        if day is None or rule.active_on(day):
            lines.append(describe_rule(rule, m, dates=day is None))
    return lines or ["Open to every family: no age, area or GP rule applies"]

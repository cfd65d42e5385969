"""Three-valued eligibility: does a service's remit, as it stood on a date, take this family?

Each condition answers `eligible`, `not_eligible` or `check` (it depends on something the
practitioner did not say), always with a sentence a practitioner can read to a family.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from navigator.core.family import Decision, Family
from navigator.core.geography import Location
from navigator.core.models import Area, Eligibility, GpList, Map, Rule, RuleKind, Service, Stage
from navigator.core.wording import (
    age_end,
    age_start,
    describe_window,
    lower_first,
    months,
    pregnancy_week,
    when,
    window_span,
    within_window,
)


@dataclass(frozen=True)
class Context:
    """Everything a rule may look at: the family, where they live, the map's lists, the day."""

    family: Family
    location: Location
    day: dt.date
    areas: dict[str, Area] = field(default_factory=dict)
    gp_lists: dict[str, GpList] = field(default_factory=dict)
    # Outcomes of leaf rules for this one request: many services share the same rule.
    memo: dict[tuple[object, ...], Decision] = field(default_factory=dict)

    @classmethod
    def build(cls, *, map: Map, family: Family, location: Location, day: dt.date) -> Context:
        return cls(
            family=family,
            location=location,
            day=day,
            areas={a.id: a for a in map.areas},
            gp_lists={g.id: g for g in map.gp_lists},
        )

    def where(self) -> str:
        loc = self.location
        return f"{loc.ward} ward" if loc.ward else (loc.local_authority or loc.postcode)

    def where_in_full(self) -> str:
        """The ward with its authority ('Keighley Central ward (Bradford)'); each name once."""
        loc = self.location
        if loc.ward and loc.local_authority:
            return f"{loc.ward} ward ({loc.local_authority})"
        return self.where()


def _ok(reason: str) -> Decision:
    return Decision(Eligibility.eligible, (reason,))


def _no(reason: str) -> Decision:
    return Decision(Eligibility.not_eligible, (reason,))


def _check(check: str, reason: str | None = None) -> Decision:
    return Decision(Eligibility.check, (reason,) if reason else (), (check,))


def decide_age(lo: int | None, hi: int | None, ctx: Context) -> Decision | None:
    """The child's age (or pregnancy) against a window; None when the window has no limits."""
    if lo is None and hi is None:
        return None
    key = ("age", lo, hi)  # pragma: no mutate (a memo key: any tag apart from the others)
    if key not in ctx.memo:
        ctx.memo[key] = _decide_age(lo, hi, ctx)
    return ctx.memo[key]


def _decide_age(lo: int | None, hi: int | None, ctx: Context) -> Decision:
    if ctx.family.stage is Stage.antenatal:
        return _decide_pregnancy(lo, hi, ctx.family.weeks_pregnant)
    age = ctx.family.child_age_months
    assert age is not None  # Family guarantees an age once the baby is born
    if lo is not None and age < lo:
        return _no(f"Child is {months(age)}: this service starts at {age_start(lo)}")
    if hi is not None and age >= hi:
        return _no(f"Child is {months(age)}: this service works until {age_end(hi)}")
    return _ok(f"Child is {months(age)}: {within_window(lo, hi)}")


def _decide_pregnancy(lo: int | None, hi: int | None, weeks: int | None) -> Decision:
    """A window against a pregnancy: decided when the weeks are given, else asked about."""
    if lo is not None and lo >= 0:
        return _no(f"Pregnant: this service starts from {age_start(lo)}, after the birth")
    starts = pregnancy_week(lo) if lo is not None and lo > -9 else None
    ends = pregnancy_week(hi) if hi is not None and hi < 0 else None  # exclusive
    if weeks is None:
        if starts is None and ends is None:
            # lo is None or -9 here, both 'pregnancy': a mutant passing None is equivalent.
            return _ok(f"Pregnant: {within_window(lo, hi)}")  # pragma: no mutate
        part = f"starts at {starts} weeks" if starts is not None else f"ends at {ends} weeks"
        return _check(
            f"Ask how many weeks pregnant she is: this service {part} ({describe_window(lo, hi)})",
            f"Pregnant: this service works {window_span(lo, hi)}",
        )
    if starts is not None and weeks < starts:
        return _no(
            f"Pregnant, {weeks} weeks: this service starts at {starts} weeks ({age_start(lo)})"
        )
    if ends is not None and weeks >= ends:
        return _no(f"Pregnant, {weeks} weeks: this service works until {ends} weeks")
    since = f"; it starts at {starts} weeks" if starts is not None else ""
    return _ok(f"Pregnant, {weeks} weeks: {within_window(lo, hi)}{since}")


def _decide_area(rule: Rule, ctx: Context) -> Decision:
    area = ctx.areas.get(rule.area or "")  # pragma: no mutate (an area rule names its area)
    name = area.name if area else rule.area
    loc = ctx.location
    if not loc.known:
        return _check(
            f"Check the postcode {loc.postcode} with the family (it is not one we can find) "
            f"and ask whether they live in the {name}",
            f"Postcode {loc.postcode} could not be placed",
        )
    if rule.area in loc.areas:
        return _ok(f"Lives in the {name} ({ctx.where()})")
    return _no(f"Lives in {ctx.where_in_full()}, outside the {name}")


def _decide_gp(rule: Rule, ctx: Context) -> Decision:
    gp = ctx.gp_lists.get(rule.gp_list or "")  # pragma: no mutate (it always names its list)
    if gp is None:
        return _check(f"Ask which GP practice the family is registered with ({rule.gp_list})")
    practice = ctx.family.gp_practice
    if practice is None:
        return _check(gp.check_text, "The family's GP practice was not given")
    if gp.practices is None:
        # No list to look it up in: the service itself knows its practices.
        return _check(
            f"Ask the service whether GP practice {practice} is one of the {gp.name}",
            f"Registered with GP practice {practice}",
        )
    if practice in gp.practices:
        return _ok(f"Registered with GP practice {practice}, on the list of {gp.name}")
    return _no(f"GP practice {practice} is not on the list of {gp.name}")


def _decide_any(rule: Rule, ctx: Context) -> Decision:
    """One part must hold; only the parts in force on the day count. A rule none of whose parts
    is in force asks nothing of the family (a judgement call: it is the editor's to mend)."""
    parts = [decide_rule(r, ctx) for r in rule.rules if r.active_on(ctx.day)]
    if not parts:
        return _ok("No part of this rule is in force on the day asked")
    passed = [p for p in parts if p.status is Eligibility.eligible]
    if passed:
        return passed[0]
    failed = [reason for p in parts if p.status is Eligibility.not_eligible for reason in p.reasons]
    unsure = [p for p in parts if p.status is Eligibility.check]
    if unsure:
        return Decision(
            Eligibility.check,
            (*failed, *(r for p in unsure for r in p.reasons)),
            tuple(c for p in unsure for c in p.checks),
        )
    return _no("; and ".join(failed))


def decide_rule(rule: Rule, ctx: Context) -> Decision:
    if rule.kind is RuleKind.any_of:
        return _decide_any(rule, ctx)
    key = (rule.kind, rule.min_months, rule.max_months, rule.area, rule.gp_list, rule.text)
    if key not in ctx.memo:
        ctx.memo[key] = _decide_leaf(rule, ctx)
    return ctx.memo[key]


def _decide_leaf(rule: Rule, ctx: Context) -> Decision:
    match rule.kind:
        case RuleKind.age:  # an age rule always has a limit (Rule checks)
            return _decide_age(rule.min_months, rule.max_months, ctx)
        case RuleKind.area:
            return _decide_area(rule, ctx)
        case RuleKind.gp_list:
            return _decide_gp(rule, ctx)
        case _:  # a criterion: any_of rules never come here (decide_rule takes them)
            text = rule.text or ""  # pragma: no mutate (a criterion always has its text)
            return _check(f"Ask whether {lower_first(text)}")


def _dates(service: Service, day: dt.date) -> Decision | None:
    if service.valid_from and day < service.valid_from:
        return _no(f"{service.name} started on {when(service.valid_from)}, after {when(day)}")
    if service.valid_to and day > service.valid_to:
        began = f"ran from {when(service.valid_from)} to" if service.valid_from else "ended on"
        return _no(f"{service.name} {began} {when(service.valid_to)}")
    return None


def combine(parts: list[Decision]) -> Decision:
    """All must hold: any `not_eligible` wins, then any `check`; reasons say which."""
    statuses = {p.status for p in parts}
    if Eligibility.not_eligible in statuses:
        failed = [p for p in parts if p.status is Eligibility.not_eligible]
        return Decision(Eligibility.not_eligible, tuple(r for p in failed for r in p.reasons))
    status = Eligibility.check if Eligibility.check in statuses else Eligibility.eligible
    return Decision(
        status,
        tuple(r for p in parts for r in p.reasons),
        tuple(c for p in parts for c in p.checks),
    )


def decide(service: Service, ctx: Context, signature: tuple[object, ...] | None = None) -> Decision:
    """Is this service open to this family on ctx.day? Every part of the answer explained.

    Services with the same `signature` (Map.eligibility_signatures) share one evaluation.
    """
    closed = _dates(service, ctx.day)
    if closed is not None:
        return closed
    return decide_rules(service, ctx, signature)


def decide_rules(
    service: Service, ctx: Context, signature: tuple[object, ...] | None = None
) -> Decision:
    """The service's age window and rules in force on ctx.day, its own dates aside: the same
    for every service of its `signature`, so navigate decides each signature once."""
    if signature is None:
        return _decide_rules(service, ctx)
    key = ("service", signature)  # pragma: no mutate (a memo key, as in decide_age)
    if key not in ctx.memo:
        ctx.memo[key] = _decide_rules(service, ctx)
    return ctx.memo[key]


def _decide_rules(service: Service, ctx: Context) -> Decision:
    parts = [
        d
        for d in (
            decide_age(service.min_age_months, service.max_age_months, ctx),
            *(decide_rule(r, ctx) for r in service.rules if r.active_on(ctx.day)),
        )
        if d is not None
    ]
    if not parts:
        return _ok("Open to every family: no age, area or GP rule applies")
    return combine(parts)

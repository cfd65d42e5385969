"""Change over time: what changed in the map between two dates, and how the gaps moved.

Services that started or ended, services whose rules (and so catchment) changed, referral
edges that started or ended, and the dates the map changes on, so a commissioner can step
through a story such as Little Minds Matter's (Better Start Bradford area 2018, RIC GP
practices 2020, the whole district later) without knowing its dates beforehand.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from pydantic import BaseModel, Field

from navigator.core.analytics.gaps import AgeBand, GapsResult
from navigator.core.analytics.scoring import window
from navigator.core.models import Dated, EdgeKind, Map, Rule, RuleKind, Service
from navigator.core.wording import describe_rule, describe_window


class ServiceChange(BaseModel):
    service_id: str
    name: str
    on: dt.date | None = Field(description="The day it started or the last day it ran")


class RulesChange(BaseModel):
    service_id: str
    name: str
    before: list[str] = Field(description="Its ages and rules in force on the first date, in words")
    after: list[str] = Field(description="Its ages and rules in force on the second date")
    catchment_changed: bool = Field(description="Its area rules differ between the dates")


class EdgeChange(BaseModel):
    source: str
    target: str
    kind: EdgeKind


class CellChange(BaseModel):
    ward_code: str
    ward: str
    age_band: AgeBand
    before: list[str]
    after: list[str]
    checks_before: list[str] = Field(description="Of `before`, those that depended on a check")
    checks_after: list[str] = Field(description="Of `after`, those that depend on a check")


class ChangesResult(BaseModel):
    start: dt.date
    end: dt.date
    started: list[ServiceChange]
    ended: list[ServiceChange]
    rules_changed: list[RulesChange]
    edges_started: list[EdgeChange]
    edges_ended: list[EdgeChange]


def _rule_dates(rules: Iterable[Rule]) -> Iterator[Dated]:
    for r in rules:
        yield r
        yield from _rule_dates(r.rules)


def _edges(item: Dated) -> Iterator[dt.date]:
    """The days on which `item` comes into or goes out of force."""
    if item.valid_from is not None:
        yield item.valid_from
    if item.valid_to is not None:
        yield item.valid_to + dt.timedelta(days=1)


def change_dates(*, map: Map, need: str | None = None) -> list[dt.date]:
    """Every day on which a service (of `need`, if given), one of its rules or an edge starts or
    stops being in force, in order."""
    services = [s for s in map.services if need is None or need in s.needs]
    ids = {s.id for s in services}
    days: set[dt.date] = set()
    for s in services:
        days.update(_edges(s))
        for r in _rule_dates(s.rules):
            days.update(_edges(r))
    for e in map.edges:
        if e.source in ids or e.target in ids:
            days.update(_edges(e))
    return sorted(days)


def _in_force(s: Service, day: dt.date, m: Map) -> list[str]:
    lo, hi = window(s, day)
    lines = [f"Ages: {describe_window(lo, hi)}"]
    lines += [describe_rule(r, m, dates=False) for r in s.rules if r.active_on(day)]
    return lines


def _areas_in_force(s: Service, day: dt.date) -> set[tuple[object, ...]]:
    def area_rules(rules: Iterable[Rule]) -> Iterator[tuple[object, ...]]:
        for r in rules:
            if r.kind is RuleKind.area:
                yield (r.area,)
            elif r.kind is RuleKind.any_of:
                yield tuple(sorted(str(x) for x in area_rules(r.rules)))

    return set(area_rules(r for r in s.rules if r.active_on(day)))


def changes(*, map: Map, start: dt.date, end: dt.date) -> ChangesResult:
    """What changed between `start` and `end` (either order gives the same lists, read from
    the earlier date to the later)."""
    start, end = min(start, end), max(start, end)
    before = {s.id: s for s in map.active_services(start)}
    after = {s.id: s for s in map.active_services(end)}
    started = [
        ServiceChange(service_id=s.id, name=s.name, on=s.valid_from)
        for sid, s in after.items()
        if sid not in before
    ]
    ended = [
        ServiceChange(service_id=s.id, name=s.name, on=s.valid_to)
        for sid, s in before.items()
        if sid not in after
    ]
    changed = []
    for sid in before.keys() & after.keys():
        s = after[sid]
        then, now = _in_force(s, start, map), _in_force(s, end, map)
        if then != now:
            changed.append(
                RulesChange(
                    service_id=sid,
                    name=s.name,
                    before=then,
                    after=now,
                    catchment_changed=_areas_in_force(s, start) != _areas_in_force(s, end),
                )
            )
    edges_then = {(e.source, e.target, e.kind) for e in map.active_edges(start)}
    edges_now = {(e.source, e.target, e.kind) for e in map.active_edges(end)}

    def edge_list(keys: set[tuple[str, str, EdgeKind]]) -> list[EdgeChange]:
        return [EdgeChange(source=a, target=b, kind=k) for a, b, k in sorted(keys)]

    return ChangesResult(
        start=start,
        end=end,
        started=sorted(started, key=lambda c: (c.on or dt.date.min, c.name)),
        ended=sorted(ended, key=lambda c: (c.on or dt.date.min, c.name)),
        rules_changed=sorted(changed, key=lambda c: c.name),
        edges_started=edge_list(edges_now - edges_then),
        edges_ended=edge_list(edges_then - edges_now),
    )


def cell_changes(before: GapsResult, after: GapsResult) -> list[CellChange]:
    """The ward x band cells whose services, or which of them depend on a check, differ
    between two gaps results (same need and level, two dates or two maps), in the order of
    `after`."""
    then = {(c.ward_code, c.age_band): c for c in before.cells}
    out = []
    for c in after.cells:
        old = then.get((c.ward_code, c.age_band))
        old_services = old.services if old else []
        old_checks = sorted(old.checks) if old else []
        if old_services != c.services or old_checks != sorted(c.checks):
            out.append(
                CellChange(
                    ward_code=c.ward_code,
                    ward=c.ward,
                    age_band=c.age_band,
                    before=old_services,
                    after=c.services,
                    checks_before=old_checks,
                    checks_after=sorted(c.checks),
                )
            )
    return out

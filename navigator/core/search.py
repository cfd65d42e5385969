"""The one service query: text (typo-tolerant), need, level, ring, as-of and staleness.

The API's list, the directory page, the ORUK feed and the FHIR search all find services here, so
a filter means the same thing everywhere, and an unknown need is refused in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process, utils

from navigator.core.errors import UnknownNeed
from navigator.core.models import Level, Map, Ring, Service

# WRatio scores 0-100; below this a match is more likely noise than a typo.
MIN_SCORE = 80


def require_need(code: str, known: Collection[str], *, loc: tuple[str | int, ...]) -> None:
    """Refuse a need code the map does not know, naming the field it came from."""
    if code not in known:
        raise UnknownNeed(f"unknown need {code!r}: it is not in the needs list", loc=loc)


@dataclass(frozen=True, kw_only=True)
class ServiceQuery:
    """What to find. Every filter is optional; all given must hold."""

    text: str = ""
    need: str | None = None
    level: Level | None = None
    ring: Ring | None = None
    as_of: dt.date | None = None  # only services running that day
    active_on: tuple[dt.date, bool] | None = None  # (day, wanted): running that day, or not
    stale_before: dt.date | None = None  # last verified before this day: oldest first
    name_contains: str = ""  # a case-insensitive part of the name
    where: tuple[Callable[[Service], bool], ...] = ()  # a feed's own filters
    order: Literal["map", "name"] = "map"
    need_field: str = "need"  # the input the need came from, for the error


def find_services(m: Map, query: ServiceQuery) -> list[Service]:
    """Services matching `query`: best text match first when there is text, else in `order`
    (or oldest verification first when asking for stale ones). Raises UnknownNeed."""
    if query.need is not None:
        require_need(query.need, m.need_codes(), loc=(query.need_field,))
    services = list(m.services)
    if query.order == "name":
        services.sort(key=lambda s: s.name.casefold())
    checks = _checks(query)
    services = [s for s in services if all(check(s) for check in checks)]
    if query.stale_before is not None:
        services.sort(key=lambda s: s.last_verified)
    if query.text.strip():
        services = search_services(query.text, services)
    return services


def _checks(q: ServiceQuery) -> list[Callable[[Service], bool]]:
    checks: list[Callable[[Service], bool]] = list(q.where)
    if q.need is not None:
        checks.append(lambda s: q.need in s.needs)
    if q.level is not None:
        checks.append(lambda s: q.level in s.levels)
    if q.ring is not None:
        checks.append(lambda s: s.ring is q.ring)
    if q.as_of is not None:
        day = q.as_of
        checks.append(lambda s: s.active_on(day))
    if q.active_on is not None:
        when, wanted = q.active_on
        checks.append(lambda s: s.active_on(when) is wanted)
    if q.stale_before is not None:
        before = q.stale_before
        checks.append(lambda s: s.last_verified < before)
    if q.name_contains:
        part = q.name_contains.casefold()
        checks.append(lambda s: part in s.name.casefold())
    return checks


def search_services(query: str, services: list[Service]) -> list[Service]:
    """Services whose name, an alias or a former name matches `query`, best match first."""
    query = query.strip()
    if not query:
        return list(services)
    names: list[str] = []
    owner: list[int] = []
    for i, s in enumerate(services):
        for name in (s.name, s.id, *s.aliases, *s.former_names):
            names.append(name)
            owner.append(i)
    best: dict[int, float] = {}
    for _name, score, j in process.extract(
        query,
        names,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=MIN_SCORE,
        limit=None,
    ):
        i = owner[j]
        best[i] = max(best.get(i, 0.0), score)
    return [services[i] for i in sorted(best, key=lambda i: (-best[i], i))]

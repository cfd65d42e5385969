"""The overlap score of two services, shared by overlap and what-if.

Services are reduced to profiles (needs, levels, age window and footprint, as integers);
services with equal profiles score 1 with each other, so each profile is scored once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from navigator.core.analytics.areas import AreaIndex
from navigator.core.models import (
    MAX_AGE_MONTHS,
    MIN_AGE_MONTHS,
    Level,
    Map,
    Rule,
    RuleKind,
    Service,
)

# Weights of the parts of an overlap score; they add up to 1. Needs weigh most: two services
# for the same families but different concerns complement each other rather than compete.
OVERLAP_WEIGHTS = {"needs": 0.4, "levels": 0.2, "age": 0.2, "area": 0.2}
# Two services whose age windows or footprints never meet can never see the same family:
# they are neighbours in the system, not duplicates, so their score is halved.
APART_FACTOR = 0.5


class Relation(StrEnum):
    """What a pair's score means: only `overlap` is two services competing for one family."""

    overlap = "overlap"
    # Both record a catchment and the two never meet: the same offer for different places.
    different_places = "different_places"
    different_ages = "different_ages"
    # One or both record no catchment (no area rule): whether they meet is not known.
    catchment_unknown = "catchment_unknown"


_LEVELS = list(Level)

ProfileKey = tuple[int, int, int, int, int]


class OverlapParts(BaseModel):
    """Each part of the score in [0, 1]: shared over combined."""

    needs: float
    levels: float
    age: float
    area: float = Field(description="0 when a service records no catchment (area_known false)")
    area_known: bool = Field(
        default=True, description="False when either service records no catchment (area rule)"
    )


@dataclass(frozen=True, slots=True)
class Shared:
    """What a pair of services share, and their score."""

    score: float
    parts: OverlapParts
    relation: Relation
    shared_needs: list[str]
    shared_levels: list[Level]
    shared_age_months: tuple[int, int] | None
    shared_areas: list[str]
    shared_postcodes: int

    def fields(self) -> dict[str, Any]:
        """What a pair of services share, as the result models' fields."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class Profile:
    """What an overlap score looks at; services with equal profiles score 1 with each other."""

    needs: int
    n_needs: int
    levels: int
    lo: int
    hi: int
    served: int  # index into Scorer.sets
    members: list[str] = field(default_factory=list)


def window(service: Service, day: dt.date) -> tuple[int, int]:
    """The ages a service takes that day, clamped to pregnancy..18 years; open ends are open."""
    lo, hi = service.min_age_months, service.max_age_months
    for r in service.rules:
        if r.kind is RuleKind.age and r.active_on(day):
            if r.min_months is not None:
                lo = r.min_months if lo is None else max(lo, r.min_months)
            if r.max_months is not None:
                hi = r.max_months if hi is None else min(hi, r.max_months)
    lo_c = MIN_AGE_MONTHS if lo is None else min(max(lo, MIN_AGE_MONTHS), MAX_AGE_MONTHS)
    hi_c = MAX_AGE_MONTHS if hi is None else min(max(hi, MIN_AGE_MONTHS), MAX_AGE_MONTHS)
    return lo_c, max(lo_c, hi_c)


def records_catchment(rules: Iterable[Rule]) -> bool:
    """Whether any of these rules says where families must live (an area, or a choice of one)."""
    return any(
        r.kind is RuleKind.area or (r.kind is RuleKind.any_of and records_catchment(r.rules))
        for r in rules
    )


def jaccard(shared: int, a: int, b: int) -> float:
    union = a + b - shared
    return shared / union if union else 0.0


def age_part(lo1: int, hi1: int, lo2: int, hi2: int) -> float:
    """Shared months over months of either; two equal empty windows count as the same."""
    inter = min(hi1, hi2) - max(lo1, lo2)
    if inter > 0:
        return inter / (hi1 - lo1 + hi2 - lo2 - inter)
    return 1.0 if (lo1, hi1) == (lo2, hi2) and hi1 == lo1 else 0.0


def score_key(needs: float, fixed: float, age: float, area: float) -> int:
    """The score in thousandths. `fixed` is the weighted levels and area parts.

    The overlap loop inlines this very expression: keep the two the same, to the last bit.
    """
    w = OVERLAP_WEIGHTS
    raw = w["needs"] * needs + fixed + w["age"] * age
    return round((raw if age and area else APART_FACTOR * raw) * 1000)


class Scorer:
    """Profiles services on one day and scores pairs of profiles, memoising the parts that
    depend only on levels and footprint (few distinct values even at 10,000 services)."""

    def __init__(self, *, map: Map, index: AreaIndex, day: dt.date) -> None:
        self.index = index
        self.day = day
        self.need_bit: dict[str, int] = {n.code: i for i, n in enumerate(map.needs)}
        self.need_codes: list[str] = [n.code for n in map.needs]
        self.area_ids = [a.id for a in map.areas if index.areas.get(a.id)]
        self.sets: list[int] = []
        # Per set, whether it is a recorded catchment: a service with no area rule serves the
        # whole universe as far as eligibility goes, but where it works is simply not known.
        self.known: list[bool] = []
        self.set_ids: dict[tuple[int, bool], int] = {}
        self.served_memo: dict[tuple[tuple[object, ...], tuple[str, ...]], int] = {}
        self.fixed_memo: dict[tuple[int, int, int, int], tuple[float, float]] = {}
        self.area_memo: dict[tuple[int, int], tuple[float, int]] = {}

    def profile_key(self, s: Service) -> ProfileKey:
        needs = 0
        for code in s.needs:
            bit = self.need_bit.get(code)
            if bit is None:
                bit = self.need_bit[code] = len(self.need_codes)
                self.need_codes.append(code)
            needs |= 1 << bit
        levels = 0
        for lv in s.levels:
            levels |= 1 << lv.rank
        lo, hi = window(s, self.day)
        return needs, levels, lo, hi, self._served_id(s)

    def _served_id(self, s: Service) -> int:
        """The index in `sets` of the postcodes the service's rules of the day leave open,
        within its catchment's areas where it records them (where it normally works: two
        units anyone may choose still serve different places)."""
        active = tuple(r for r in s.rules if r.active_on(self.day))
        works = tuple(s.catchment.areas) if s.catchment is not None else ()
        sig = (tuple(r.signature() for r in active), works)
        sid = self.served_memo.get(sig)
        if sid is None:
            served = self.index.served(active)
            if works:
                within = 0
                for area in works:
                    within |= self.index.areas.get(area, 0)
                served &= within
            key = (served, records_catchment(active) or bool(works))
            sid = self.set_ids.get(key)
            if sid is None:
                sid = self.set_ids[key] = len(self.sets)
                self.sets.append(key[0])
                self.known.append(key[1])
            self.served_memo[sig] = sid
        return sid

    @staticmethod
    def profile(key: ProfileKey) -> Profile:
        needs, levels, lo, hi, sid = key
        return Profile(needs, needs.bit_count(), levels, lo, hi, sid)

    def area(self, s1: int, s2: int) -> tuple[float, int]:
        key = (s1, s2) if s1 <= s2 else (s2, s1)
        got = self.area_memo.get(key)
        if got is None:
            a, b = self.sets[s1], self.sets[s2]
            shared = (a & b).bit_count()
            # No universe postcode either can serve: nothing in common to count.
            got = self.area_memo[key] = (
                jaccard(shared, a.bit_count(), b.bit_count()),
                shared,
            )
        return got

    def fixed(self, l1: int, s1: int, l2: int, s2: int) -> tuple[float, float]:
        """(weighted levels + area parts, whether the footprints meet) of two profiles' levels
        and footprints. An unknown catchment adds nothing to the score (it is not shown to
        overlap) and does not count as apart either (it is not shown not to)."""
        key = (l1, s1, l2, s2)
        got = self.fixed_memo.get(key)
        if got is None:
            w = OVERLAP_WEIGHTS
            levels = jaccard((l1 & l2).bit_count(), l1.bit_count(), l2.bit_count())
            if self.known[s1] and self.known[s2]:
                area = meets = self.area(s1, s2)[0]
            else:
                area, meets = 0.0, 1.0
            got = self.fixed_memo[key] = (w["levels"] * levels + w["area"] * area, meets)
        return got

    def details(self, p: Profile, q: Profile) -> Shared:
        shared_needs = p.needs & q.needs
        needs = jaccard(shared_needs.bit_count(), p.n_needs, q.n_needs)
        levels = jaccard(
            (p.levels & q.levels).bit_count(), p.levels.bit_count(), q.levels.bit_count()
        )
        fixed, meets = self.fixed(p.levels, p.served, q.levels, q.served)
        age = age_part(p.lo, p.hi, q.lo, q.hi)
        lo, hi = max(p.lo, q.lo), min(p.hi, q.hi)
        known = self.known[p.served] and self.known[q.served]
        area = meets if known else 0.0
        # Where either catchment is unknown, nothing is known to be shared.
        both = self.sets[p.served] & self.sets[q.served] if known else 0
        if known and not meets:
            relation = Relation.different_places
        elif not age:
            relation = Relation.different_ages
        elif not known:
            relation = Relation.catchment_unknown
        else:
            relation = Relation.overlap
        return Shared(
            score=score_key(needs, fixed, age, meets) / 1000,
            parts=OverlapParts(
                needs=round(needs, 3),
                levels=round(levels, 3),
                age=round(age, 3),
                area=round(area, 3),
                area_known=known,
            ),
            relation=relation,
            shared_needs=[c for i, c in enumerate(self.need_codes) if shared_needs >> i & 1],
            shared_levels=[lv for lv in _LEVELS if (p.levels & q.levels) >> lv.rank & 1],
            shared_age_months=(lo, hi) if hi > lo else None,
            shared_areas=[a for a in self.area_ids if both and (self.index.areas[a] & ~both) == 0],
            shared_postcodes=both.bit_count(),
        )


def profiles(scorer: Scorer, services: Iterable[Service]) -> list[Profile]:
    """The services' distinct profiles, each with its members' ids in order."""
    by_key: dict[ProfileKey, Profile] = {}
    for s in services:
        key = scorer.profile_key(s)
        prof = by_key.get(key)
        if prof is None:
            prof = by_key[key] = scorer.profile(key)
        prof.members.append(s.id)
    for prof in by_key.values():
        prof.members.sort()
    return list(by_key.values())

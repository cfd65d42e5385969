"""For commissioners: where remits overlap, where the gaps are, what a proposed service would add
or duplicate, and which services hold the referral network together, as of any date.

Plain objects in, pydantic results out. Who a service takes is decided by
`navigator.core.eligibility`, never re-implemented here.

Geography is counted in unit postcodes, never guessed from a district. The universe is the
postcodes of the `bradford-district` and `bdc-nhs` areas (Bradford, plus the old Craven
district): the table also holds Leeds, Calderdale and Kirklees, and counting those would make
every Bradford-only service look like it covers a sliver of its footprint.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from navigator.core.eligibility import Context, decide
from navigator.core.errors import UnknownNeed, UnknownService
from navigator.core.family import Family
from navigator.core.geography import Location, PostcodeTable, district, in_area
from navigator.core.graph import ReferralGraph
from navigator.core.models import (
    MAX_AGE_MONTHS,
    MIN_AGE_MONTHS,
    EdgeKind,
    Eligibility,
    Level,
    Map,
    Ring,
    Rule,
    RuleKind,
    Service,
    Stage,
)
from navigator.core.validation import check_service, references

# Weights of the parts of an overlap score; they add up to 1. Needs weigh most: two services
# for the same families but different concerns complement each other rather than compete.
OVERLAP_WEIGHTS = {"needs": 0.4, "levels": 0.2, "age": 0.2, "area": 0.2}
# Two services whose age windows or footprints never meet can never see the same family:
# they are neighbours in the system, not duplicates, so their score is halved.
APART_FACTOR = 0.5
# What-if suggests edges from the services most like the proposal, not from every faint match.
EDGE_SOURCES = 5
EDGE_MIN_OVERLAP = 0.3
# Exact betweenness is O(nodes x edges): above this many services, estimate it from a sample.
EXACT_BETWEENNESS_MAX = 500
BETWEENNESS_SAMPLE = 64

_STATUS_RANK = {Eligibility.not_eligible: 0, Eligibility.check: 1, Eligibility.eligible: 2}
_LEVELS = list(Level)
_RING_ORDER = list(Ring)


# ---------------------------------------------------------------------------------------------
# Postcodes as bitsets
# ---------------------------------------------------------------------------------------------


def _bits(positions: Iterable[int], size: int) -> int:
    """A set of small integers as one Python int: built via bytes, as setting bits one at a
    time would copy the growing int each time."""
    buf = bytearray((size + 7) // 8)
    for p in positions:
        buf[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(buf, "little")


@dataclass(frozen=True, slots=True)
class Ward:
    """A pre-2026 ward of the district, with the areas its postcodes lie in."""

    code: str
    name: str
    local_authority: str | None
    local_authority_code: str
    sample_postcode: str
    postcodes: int = field(repr=False)
    count: int
    areas: tuple[str, ...]
    # Areas only some of the ward's postcodes are in: families there may or may not qualify.
    partial_areas: tuple[str, ...]


@dataclass(frozen=True)
class AreaIndex:
    """The universe's unit postcodes as bit positions, each area and district ward as a bitset.

    Built once per snapshot; every overlap or gap question then costs integer operations.
    """

    # Bitsets of tens of thousands of bits: too long to print.
    universe: int = field(repr=False)
    size: int
    areas: dict[str, int] = field(repr=False)
    wards: tuple[Ward, ...] = field(repr=False)

    @classmethod
    def build(
        cls,
        *,
        map: Map,
        postcodes: PostcodeTable,
    ) -> AreaIndex:
        """Over the areas the map's analytics policy names as the universe and the district."""
        areas = map.areas
        universe_areas = map.policy.analytics.universe_areas
        district_area = map.policy.analytics.district_area
        by_id = {a.id: a for a in areas}
        bounds = [by_id[a] for a in universe_areas if a in by_id]
        memo: dict[tuple[str, str, str], tuple[str, ...]] = {}
        positions: dict[str, list[int]] = defaultdict(list)
        ward_positions: dict[str, list[int]] = defaultdict(list)
        ward_sample: dict[str, tuple[str, str]] = {}
        size = 0
        # Sorted, so the same table always gives the same bit positions and sample postcodes.
        for postcode in sorted(postcodes.units):
            lad, ward = postcodes.units[postcode]
            if not lad:
                continue  # no geography recorded: never guess where it is
            key = (lad, ward, district(postcode))
            member = memo.get(key)
            if member is None:
                member = memo[key] = tuple(
                    a.id
                    for a in areas
                    if in_area(a, lad_code=lad, ward_code=ward, postcode_district=key[2])
                )
            if bounds and not any(a.id in member for a in bounds):
                continue
            for area_id in member:
                positions[area_id].append(size)
            if district_area in member and ward:
                ward_positions[ward].append(size)
                ward_sample.setdefault(ward, (postcode, lad))
            size += 1
        area_bits = {a.id: _bits(positions.get(a.id, ()), size) for a in areas}
        wards = []
        for code, where in ward_positions.items():
            bits = _bits(where, size)
            count = len(where)
            shared = {a: (bits & b).bit_count() for a, b in area_bits.items()}
            sample, lad = ward_sample[code]
            wards.append(
                Ward(
                    code=code,
                    name=postcodes.ward_names.get(code, code),
                    local_authority=postcodes.lad_names.get(lad),
                    local_authority_code=lad,
                    sample_postcode=sample,
                    postcodes=bits,
                    count=count,
                    areas=tuple(a for a, n in shared.items() if n == count),
                    partial_areas=tuple(a for a, n in shared.items() if 0 < n < count),
                )
            )
        wards.sort(key=lambda w: (w.name, w.code))
        return cls(universe=(1 << size) - 1, size=size, areas=area_bits, wards=tuple(wards))

    def served(self, rules: Iterable[Rule]) -> int:
        """The universe postcodes a service's rules (all of which hold) leave open.

        Area rules restrict to the area; `any_of` opens the union of its alternatives; GP-list,
        criterion and age rules say nothing about where a family lives, so leave all open.
        """
        out = self.universe
        for rule in rules:
            out &= self._rule_set(rule)
        return out

    def _rule_set(self, rule: Rule) -> int:
        if rule.kind is RuleKind.area:
            return self.areas.get(rule.area or "", 0)
        if rule.kind is RuleKind.any_of:
            # As eligibility does, an alternative's own dates are not consulted.
            out = 0
            for r in rule.rules:
                out |= self._rule_set(r)
            return out
        return self.universe


# ---------------------------------------------------------------------------------------------
# Overlap
# ---------------------------------------------------------------------------------------------


class OverlapParts(BaseModel):
    """Each part of the score in [0, 1]: shared over combined."""

    needs: float
    levels: float
    age: float
    area: float


class OverlapPair(BaseModel):
    a: str
    b: str
    score: float = Field(ge=0, le=1)
    shared_needs: list[str]
    shared_levels: list[Level]
    shared_age_months: tuple[int, int] | None = Field(
        description="[from, to) in months, pregnancy negative; open ends read as -9 and 216"
    )
    shared_areas: list[str] = Field(description="Areas in which both can serve every postcode")
    shared_postcodes: int = Field(description="Unit postcodes (of the universe) both can serve")
    parts: OverlapParts


class OverlapResult(BaseModel):
    as_of: dt.date
    services: int = Field(description="Services active that day")
    pairs: list[OverlapPair]


@dataclass(frozen=True, slots=True)
class _Details:
    score: float
    parts: OverlapParts
    shared_needs: list[str]
    shared_levels: list[Level]
    shared_age_months: tuple[int, int] | None
    shared_areas: list[str]
    shared_postcodes: int

    def fields(self) -> dict[str, Any]:
        """What a pair of services share, as the result models' fields."""
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(slots=True)
class _Profile:
    """What an overlap score looks at; services with equal profiles score 1 with each other."""

    needs: int
    n_needs: int
    levels: int
    lo: int
    hi: int
    served: int  # index into _Scorer.sets
    members: list[str] = field(default_factory=list)


def _window(service: Service, day: dt.date) -> tuple[int, int]:
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


def _jaccard(shared: int, a: int, b: int) -> float:
    union = a + b - shared
    return shared / union if union else 0.0


def _age_part(lo1: int, hi1: int, lo2: int, hi2: int) -> float:
    """Shared months over months of either; two equal empty windows count as the same."""
    inter = min(hi1, hi2) - max(lo1, lo2)
    if inter > 0:
        return inter / (hi1 - lo1 + hi2 - lo2 - inter)
    return 1.0 if (lo1, hi1) == (lo2, hi2) and hi1 == lo1 else 0.0


def _key(needs: float, fixed: float, age: float, area: float) -> int:
    """The score in thousandths. `fixed` is the weighted levels and area parts.

    The overlap loop inlines this very expression: keep the two the same, to the last bit.
    """
    w = OVERLAP_WEIGHTS
    raw = w["needs"] * needs + fixed + w["age"] * age
    return round((raw if age and area else APART_FACTOR * raw) * 1000)


class _Scorer:
    """Profiles services on one day and scores pairs of profiles, memoising the parts that
    depend only on levels and footprint (few distinct values even at 10,000 services)."""

    def __init__(self, *, map: Map, index: AreaIndex, day: dt.date) -> None:
        self.index = index
        self.day = day
        self.need_bit: dict[str, int] = {n.code: i for i, n in enumerate(map.needs)}
        self.need_codes: list[str] = [n.code for n in map.needs]
        self.area_ids = [a.id for a in map.areas if index.areas.get(a.id)]
        self.sets: list[int] = []
        self.set_ids: dict[int, int] = {}
        self.served_memo: dict[tuple[object, ...], int] = {}
        self.fixed_memo: dict[tuple[int, int, int, int], tuple[float, float]] = {}
        self.area_memo: dict[tuple[int, int], tuple[float, int]] = {}

    def profile_key(self, s: Service) -> tuple[int, int, int, int, int]:
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
        lo, hi = _window(s, self.day)
        active = tuple(r for r in s.rules if r.active_on(self.day))
        sig = tuple(r.signature() for r in active)
        sid = self.served_memo.get(sig)
        if sid is None:
            bits = self.index.served(active)
            sid = self.set_ids.get(bits)
            if sid is None:
                sid = self.set_ids[bits] = len(self.sets)
                self.sets.append(bits)
            self.served_memo[sig] = sid
        return needs, levels, lo, hi, sid

    @staticmethod
    def profile(key: tuple[int, int, int, int, int]) -> _Profile:
        needs, levels, lo, hi, sid = key
        return _Profile(needs, needs.bit_count(), levels, lo, hi, sid)

    def area(self, s1: int, s2: int) -> tuple[float, int]:
        key = (s1, s2) if s1 <= s2 else (s2, s1)
        got = self.area_memo.get(key)
        if got is None:
            a, b = self.sets[s1], self.sets[s2]
            shared = (a & b).bit_count()
            # No universe postcode either can serve: nothing in common to count.
            got = self.area_memo[key] = (
                _jaccard(shared, a.bit_count(), b.bit_count()),
                shared,
            )
        return got

    def fixed(self, l1: int, s1: int, l2: int, s2: int) -> tuple[float, float]:
        """(weighted levels + area parts, area part) of two profiles' levels and footprints."""
        key = (l1, s1, l2, s2)
        got = self.fixed_memo.get(key)
        if got is None:
            w = OVERLAP_WEIGHTS
            levels = _jaccard((l1 & l2).bit_count(), l1.bit_count(), l2.bit_count())
            area = self.area(s1, s2)[0]
            got = self.fixed_memo[key] = (w["levels"] * levels + w["area"] * area, area)
        return got

    def details(self, p: _Profile, q: _Profile) -> _Details:
        shared_needs = p.needs & q.needs
        needs = _jaccard(shared_needs.bit_count(), p.n_needs, q.n_needs)
        levels = _jaccard(
            (p.levels & q.levels).bit_count(), p.levels.bit_count(), q.levels.bit_count()
        )
        fixed, area = self.fixed(p.levels, p.served, q.levels, q.served)
        age = _age_part(p.lo, p.hi, q.lo, q.hi)
        lo, hi = max(p.lo, q.lo), min(p.hi, q.hi)
        both = self.sets[p.served] & self.sets[q.served]
        return _Details(
            score=_key(needs, fixed, age, area) / 1000,
            parts=OverlapParts(
                needs=round(needs, 3),
                levels=round(levels, 3),
                age=round(age, 3),
                area=round(area, 3),
            ),
            shared_needs=[c for i, c in enumerate(self.need_codes) if shared_needs >> i & 1],
            shared_levels=[lv for lv in _LEVELS if (p.levels & q.levels) >> lv.rank & 1],
            shared_age_months=(lo, hi) if hi > lo else None,
            shared_areas=[a for a in self.area_ids if both and (self.index.areas[a] & ~both) == 0],
            shared_postcodes=self.area(p.served, q.served)[1],
        )


def _profiles(scorer: _Scorer, services: Iterable[Service]) -> list[_Profile]:
    by_key: dict[tuple[int, int, int, int, int], _Profile] = {}
    for s in services:
        key = scorer.profile_key(s)
        prof = by_key.get(key)
        if prof is None:
            prof = by_key[key] = scorer.profile(key)
        prof.members.append(s.id)
    for prof in by_key.values():
        prof.members.sort()
    return list(by_key.values())


def _cross(p: list[str], q: list[str]) -> Iterator[tuple[str, str]]:
    """Every (a, b) with a < b, one from each sorted, disjoint list, in order."""
    in_p = set(p)
    for x in heapq.merge(p, q):
        partners = q if x in in_p else p
        for y in partners[bisect_right(partners, x) :]:
            yield x, y


def _pairs_of(profiles: list[_Profile], i: int, j: int) -> Iterator[tuple[str, str]]:
    if i == j:
        return itertools.combinations(profiles[i].members, 2)
    return _cross(profiles[i].members, profiles[j].members)


def _tagged(pairs: Iterator[tuple[str, str]], tag: int) -> Iterator[tuple[str, str, int]]:
    for a, b in pairs:
        yield a, b, tag


def _weight(profiles: list[_Profile], i: int, j: int) -> int:
    n = len(profiles[i].members)
    return n * (n - 1) // 2 if i == j else n * len(profiles[j].members)


def _score_pairs(
    scorer: _Scorer,
    profiles: list[_Profile],
    min_score: float,
    limit: int | None,
    require_shared_need: bool,
) -> dict[int, list[int]]:
    """Profile pairs (coded i * n + j) by score in thousandths, enough for the top `limit`.

    Profiles are grouped by levels and footprint (few distinct values however many services):
    a pair's score is at most what it would be with identical needs and ages, so that best
    case bounds every pair of a group pair. Group pairs are taken best case first; once
    `limit` pairs score at least `cut`, a group pair whose best case is below it is skipped,
    and so is any pair scoring below it.
    """
    n = len(profiles)
    w = OVERLAP_WEIGHTS
    needs = [p.needs for p in profiles]
    sizes = [p.n_needs for p in profiles]
    los = [p.lo for p in profiles]
    his = [p.hi for p in profiles]
    bits = [_bit_list(p.needs) for p in profiles]
    group_of: dict[tuple[int, int], int] = {}
    by_group: list[list[int]] = []
    group_mask: list[int] = []
    # Per group, per need: the group's profiles with that need.
    in_group: list[dict[int, list[int]]] = []
    need_groups: dict[int, set[int]] = defaultdict(set)
    for i, p in enumerate(profiles):
        g = group_of.setdefault((p.levels, p.served), len(by_group))
        if g == len(by_group):
            by_group.append([])
            group_mask.append(0)
            in_group.append(defaultdict(list))
        by_group[g].append(i)
        group_mask[g] |= p.needs
        for b in bits[i]:
            in_group[g][b].append(i)
            need_groups[b].add(g)
    keys = list(group_of)

    floor = round(min_score * 1000)
    by_bound: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for g1, (l1, s1) in enumerate(keys):
        if require_shared_need:
            near: Iterable[int] = {
                g2 for b in _bit_list(group_mask[g1]) for g2 in need_groups[b] if g2 >= g1
            }
        else:
            near = range(g1, len(keys))
        for g2 in near:
            l2, s2 = keys[g2]
            fixed, area = scorer.fixed(l1, s1, l2, s2)
            bound = _key(1.0, fixed, 1.0, area)
            if bound >= floor:
                by_bound[bound].append((g1, g2))

    # Scores rounded to 3 places, so a bucket per thousandth orders them exactly.
    buckets: dict[int, list[int]] = defaultdict(list)
    counts = [0] * 1001
    cut = floor
    w_needs, w_age = w["needs"], w["age"]
    for bound in sorted(by_bound, reverse=True):
        if bound < cut:
            break
        for g1, g2 in by_bound[bound]:
            l1, s1 = keys[g1]
            l2, s2 = keys[g2]
            fixed, area = scorer.fixed(l1, s1, l2, s2)
            others = in_group[g2]
            for i in by_group[g1]:
                mi, si, lo_i, hi_i = needs[i], sizes[i], los[i], his[i]
                if g1 == g2 and len(profiles[i].members) > 1:
                    # Services with one profile: every pair of them scores alike.
                    key = _key(1.0, fixed, _age_part(lo_i, hi_i, lo_i, hi_i), area)
                    if key >= cut:
                        buckets[key].append(i * n + i)
                        counts[key] += _weight(profiles, i, i)
                if require_shared_need:
                    cand: Iterable[int] = {j for b in bits[i] for j in others.get(b, ())}
                else:
                    cand = by_group[g2]
                for j in cand:
                    if g1 == g2 and j <= i:
                        continue
                    k = (mi & needs[j]).bit_count()
                    lo_j, hi_j = los[j], his[j]
                    inter = (hi_i if hi_i < hi_j else hi_j) - (lo_i if lo_i > lo_j else lo_j)
                    # _key and _age_part, inlined: this loop runs millions of times at 10,000.
                    if inter > 0:
                        age = inter / (hi_i - lo_i + hi_j - lo_j - inter)
                        raw = w_needs * (k / (si + sizes[j] - k)) + fixed + w_age * age
                        key = round(raw * 1000) if area else round(APART_FACTOR * raw * 1000)
                    else:
                        age = _age_part(lo_i, hi_i, lo_j, hi_j)
                        key = _key(k / (si + sizes[j] - k), fixed, age, area)
                    if key >= cut:
                        buckets[key].append(i * n + j)
                        counts[key] += _weight(profiles, i, j)
        if limit is not None:
            total = 0
            for key in range(1000, cut - 1, -1):
                total += counts[key]
                if total >= limit:
                    cut = key
                    break
    return buckets


def overlap(
    *,
    map: Map,
    index: AreaIndex,
    as_of: dt.date,
    min_score: float = 0.0,
    limit: int | None = 200,
    require_shared_need: bool = True,
) -> OverlapResult:
    """Every pair of services active on `as_of`, scored for how far their remits coincide.

    The score is a weighted mean (OVERLAP_WEIGHTS) of the Jaccard share of needs, of levels,
    of age months (open ends clamped to -9..216) and of universe postcodes both can serve,
    halved (APART_FACTOR) when ages or footprints never meet. Pairs sharing no need are left
    out unless `require_shared_need` is False: their score is at most 0.6 and they are not what
    "overlap" means to a commissioner. Highest score first, then by ids; each pair once, a < b.
    """
    services = map.active_services(as_of)
    scorer = _Scorer(map=map, index=index, day=as_of)
    profiles = _profiles(scorer, services)
    buckets = _score_pairs(scorer, profiles, min_score, limit, require_shared_need)
    n = len(profiles)

    pairs: list[OverlapPair] = []
    details: dict[int, _Details] = {}
    wanted = (
        limit
        if limit is not None
        else sum(_weight(profiles, *divmod(c, n)) for b in buckets.values() for c in b)
    )
    for key in sorted(buckets, reverse=True):
        if len(pairs) >= wanted:
            break
        codes = buckets[key]
        singles: list[tuple[str, str, int]] = []
        streams: list[Iterator[tuple[str, str, int]]] = []
        for c in codes:
            i, j = divmod(c, n)
            if i != j and _weight(profiles, i, j) == 1:
                a, b = profiles[i].members[0], profiles[j].members[0]
                singles.append((a, b, c) if a < b else (b, a, c))
            else:
                streams.append(_tagged(_pairs_of(profiles, i, j), c))
        singles.sort()
        merged = heapq.merge(singles, *streams)
        for a, b, c in itertools.islice(merged, wanted - len(pairs)):
            d = details.get(c)
            if d is None:
                i, j = divmod(c, n)
                d = details[c] = scorer.details(profiles[i], profiles[j])
            pairs.append(OverlapPair.model_construct(a=a, b=b, **d.fields()))
    return OverlapResult(as_of=as_of, services=len(services), pairs=pairs)


def _bit_list(bits: int) -> list[int]:
    out = []
    while bits:
        low = bits & -bits
        out.append(low.bit_length() - 1)
        bits ^= low
    return out


# ---------------------------------------------------------------------------------------------
# Gaps
# ---------------------------------------------------------------------------------------------


class AgeBand(StrEnum):
    pregnancy = "pregnancy"
    months_0_11 = "0-11 months"
    months_12_23 = "12-23 months"
    months_24_59 = "24-59 months"


# Inclusive months of each band after the birth; pregnancy is asked as an antenatal family.
BAND_MONTHS: dict[AgeBand, tuple[int, int] | None] = {
    AgeBand.pregnancy: None,
    AgeBand.months_0_11: (0, 11),
    AgeBand.months_12_23: (12, 23),
    AgeBand.months_24_59: (24, 59),
}


class GapCell(BaseModel):
    ward_code: str
    ward: str
    age_band: AgeBand
    services: list[str] = Field(description="Services that would take such a family: ids")
    checks: dict[str, list[str]] = Field(
        default={}, description="Of those, the ones that depend on a check, and what to check"
    )
    gap: bool = Field(description="No service would take such a family")


class GapsResult(BaseModel):
    as_of: dt.date
    need: str
    level: Level
    bands: list[AgeBand]
    cells: list[GapCell]


@dataclass(frozen=True, slots=True)
class _Answer:
    status: Eligibility
    checks: tuple[str, ...]


def _age_edges(rules: Iterable[Rule]) -> Iterator[int | None]:
    for r in rules:
        if r.kind is RuleKind.age:
            yield r.min_months
            yield r.max_months
        yield from _age_edges(r.rules)


def _band_ages(services: Sequence[Service]) -> dict[AgeBand, list[int]]:
    """Ages that between them meet every age answer a service can give within each band.

    A window's answer changes only at its limits, so the band's first month and every limit
    inside the band cover all of it: "takes the family at any age in the band" is then exact.
    """
    edges: set[int] = set()
    for s in services:
        for e in (s.min_age_months, s.max_age_months, *_age_edges(s.rules)):
            if e is not None:
                edges.add(e)
    out: dict[AgeBand, list[int]] = {}
    for band, months in BAND_MONTHS.items():
        if months is not None:
            lo, hi = months
            out[band] = sorted({lo} | {e for e in edges if lo < e <= hi})
    return out


def _families(
    need: str, level: Level, postcode: str, band: AgeBand, ages: list[int]
) -> list[Family]:
    base = {"postcode": postcode, "needs": [need], "level": level}
    if BAND_MONTHS[band] is None:
        return [Family.model_validate({**base, "stage": Stage.antenatal})]
    return [
        Family.model_validate({**base, "stage": Stage.postnatal, "child_age_months": age})
        for age in ages
    ]


def _better(old: _Answer | None, new: _Answer) -> _Answer:
    if old is None or _STATUS_RANK[new.status] > _STATUS_RANK[old.status]:
        return new
    if new.status is old.status is Eligibility.check:
        return _Answer(old.status, tuple(dict.fromkeys(old.checks + new.checks)))
    return old


def _grid(
    *,
    map: Map,
    index: AreaIndex,
    need: str,
    level: Level,
    day: dt.date,
    services: Sequence[Service],
    signatures: dict[str, tuple[object, ...]],
    cells: set[tuple[str, AgeBand]] | None = None,
    first_only: bool = False,
) -> dict[tuple[str, AgeBand], dict[str, _Answer]]:
    """Per ward and band (or only the `cells` asked), the services among `services` (active
    that day) that would take a family with `need` at `level`, each eligible or subject to a
    check. `first_only`: stop at the first, when all that matters is whether there is one."""
    candidates = [s for s in services if need in s.needs and level in s.levels]
    # Services with one eligibility signature decide alike: decide once per signature.
    by_sig: dict[tuple[object, ...], list[Service]] = defaultdict(list)
    for s in candidates:
        by_sig[signatures[s.id]].append(s)
    ages = _band_ages(candidates)
    # Decisions depend on where a family lives only through its areas: wards in the same
    # areas share one evaluation (at Bradford's 30 wards, two or three of them).
    by_areas: dict[tuple[tuple[str, ...], tuple[str, ...]], list[Ward]] = defaultdict(list)
    for w in index.wards:
        by_areas[(w.areas, w.partial_areas)].append(w)

    out: dict[tuple[str, AgeBand], dict[str, _Answer]] = {}
    for (_, partial), wards in by_areas.items():
        for band in BAND_MONTHS:
            if cells is not None and not any((w.code, band) in cells for w in wards):
                continue
            answers = _answers(
                map=map,
                by_sig=by_sig,
                families=_families(need, level, wards[0].sample_postcode, band, ages.get(band, [])),
                ward=wards[0],
                partial=partial,
                day=day,
                first_only=first_only,
            )
            cell = {s.id: a for sig, a in answers.items() for s in by_sig[sig]}
            for w in wards:
                out[(w.code, band)] = cell
    return out


def _answers(
    *,
    map: Map,
    by_sig: dict[tuple[object, ...], list[Service]],
    families: list[Family],
    ward: Ward,
    partial: tuple[str, ...],
    day: dt.date,
    first_only: bool,
) -> dict[tuple[object, ...], _Answer]:
    """Each signature's best answer for these families living in `ward`, at any of their ages."""
    answers: dict[tuple[object, ...], _Answer] = {}
    # With areas that cover only part of the ward, ask twice: as a family outside them (then
    # a service takes everyone in the ward) and inside them (then only some).
    variants = [(ward.areas, False)] + ([(ward.areas + partial, True)] if partial else [])
    for in_areas, only_some in variants:
        firm = set(answers) if only_some else set()
        location = Location(
            postcode=ward.sample_postcode,
            known=True,
            local_authority=ward.local_authority,
            local_authority_code=ward.local_authority_code,
            ward=ward.name,
            ward_code=ward.code,
            areas=list(in_areas),
        )
        for family in families:
            ctx = Context.build(map=map, family=family, location=location, day=day)
            for sig, group in by_sig.items():
                if sig in firm:
                    continue  # already takes families in the rest of the ward
                d = decide(group[0], ctx, sig)
                if d.status is Eligibility.not_eligible:
                    continue
                answer = _Answer(d.status, d.checks)
                if only_some:
                    note = (
                        f"Only some postcodes of the ward are in the "
                        f"{', '.join(partial)} area: check the family's postcode"
                    )
                    answer = _Answer(Eligibility.check, (*d.checks, note))
                answers[sig] = _better(answers.get(sig), answer)
                if first_only:
                    return answers
    return answers


def _need_known(map: Map, need: str, loc: tuple[str | int, ...]) -> None:
    if need not in map.need_codes():
        raise UnknownNeed(f"{need!r} is not a known need code", loc=loc)


def gaps(
    *, map: Map, index: AreaIndex, need: str, level: Level = Level.universal_plus, as_of: dt.date
) -> GapsResult:
    """Every district ward x age band, with the services that would take a family there.

    A service counts when it meets the need, works at the level asked for (one working only
    above it would turn the family away at its threshold; one only below cannot meet it), and
    `decide` finds it eligible or `check` for such a family at some age in the band. Checks
    (a GP list not loaded, a criterion, part of a ward) are listed under `checks`. A cell with
    no service is a gap.
    """
    _need_known(map, need, ("need",))
    grid = _grid(
        map=map,
        index=index,
        need=need,
        level=level,
        day=as_of,
        services=map.active_services(as_of),
        signatures=map.eligibility_signatures,
    )
    cells = []
    for w in index.wards:
        for band in BAND_MONTHS:
            answers = grid.get((w.code, band), {})
            cells.append(
                GapCell(
                    ward_code=w.code,
                    ward=w.name,
                    age_band=band,
                    services=sorted(answers),
                    checks={
                        sid: list(a.checks)
                        for sid, a in sorted(answers.items())
                        if a.status is Eligibility.check
                    },
                    gap=not answers,
                )
            )
    return GapsResult(as_of=as_of, need=need, level=level, bands=list(BAND_MONTHS), cells=cells)


# ---------------------------------------------------------------------------------------------
# What if: a proposed service, never stored
# ---------------------------------------------------------------------------------------------


class ServiceOverlap(BaseModel):
    service_id: str
    name: str
    score: float = Field(ge=0, le=1)
    shared_needs: list[str]
    shared_levels: list[Level]
    shared_age_months: tuple[int, int] | None
    shared_areas: list[str]
    shared_postcodes: int
    parts: OverlapParts


class FilledGap(BaseModel):
    need: str
    level: Level
    ward_code: str
    ward: str
    age_band: AgeBand
    checks: list[str] = Field(description="Empty when the proposal would take such families")


class RingLeaning(BaseModel):
    need: str
    services: int = Field(description="Services with this need active that day")
    shares: dict[Ring, float] = Field(description="Share of those services in each ring")


class SuggestedEdge(BaseModel):
    source: str
    target: str
    kind: EdgeKind
    because: list[str] = Field(description="Overlapping services that have this edge today")
    weight: float = Field(description="Sum of those services' overlap scores")


class WhatIfResult(BaseModel):
    as_of: dt.date
    service_id: str
    replaces: str | None = Field(description="The existing service the proposal stands in for")
    overlaps: list[ServiceOverlap]
    gaps_filled: list[FilledGap]
    ring: Ring
    declared_ring: Ring
    ring_reason: str
    ring_leanings: list[RingLeaning]
    suggested_edges: list[SuggestedEdge]


def validate_proposal(map: Map, proposal: Service) -> None:
    """Raise a typed error naming the field for any need, area or GP list the map lacks."""
    check_service(proposal, references(map))


def derive_ring(
    *, map: Map, needs: Sequence[str], as_of: dt.date, exclude: str | None = None
) -> tuple[Ring | None, list[RingLeaning]]:
    """Where Figure 1 would put a service with these needs, judged by the map itself.

    Each need leans toward the rings its services sit in (shares of that need's services);
    the ring with the highest mean share over the needs wins, ties going to the ring nearer
    the relationship. None when no service shares any of the needs.
    """
    active = [s for s in map.active_services(as_of) if s.id != exclude]
    leanings = []
    totals: Counter[Ring] = Counter()
    for code in needs:
        counts = Counter(s.ring for s in active if code in s.needs)
        n = sum(counts.values())
        shares = {r: round(counts[r] / n, 3) if n else 0.0 for r in _RING_ORDER}
        leanings.append(RingLeaning(need=code, services=n, shares=shares))
        if n:
            totals.update({r: counts[r] / n for r in _RING_ORDER})
    if not totals:
        return None, leanings
    return max(_RING_ORDER, key=lambda r: (totals[r], -_RING_ORDER.index(r))), leanings


def _suggest_edges(
    *, graph: ReferralGraph, proposal: str, overlaps: list[ServiceOverlap], day: dt.date
) -> list[SuggestedEdge]:
    """Who would refer to the proposal, and where it would refer on: the edges its nearest
    neighbours have today."""
    g = graph.day_graph(day)
    found: dict[tuple[str, str, EdgeKind], tuple[float, list[str]]] = {}

    def add(source: str, target: str, kinds: Iterable[EdgeKind], via: ServiceOverlap) -> None:
        if source == target:
            return
        for kind in kinds:
            weight, because = found.get((source, target, kind), (0.0, []))
            found[(source, target, kind)] = (weight + via.score, [*because, via.service_id])

    near = [o for o in overlaps if o.score >= EDGE_MIN_OVERLAP][:EDGE_SOURCES]
    for o in near:
        if o.service_id not in g:
            continue
        for source, _, data in g.in_edges(o.service_id, data=True):
            if source != proposal:
                add(source, proposal, data["kinds"], o)
        for _, target, data in g.out_edges(o.service_id, data=True):
            if target != proposal:
                add(proposal, target, data["kinds"], o)
    edges = [
        SuggestedEdge(source=s, target=t, kind=k, because=because, weight=round(w, 3))
        for (s, t, k), (w, because) in found.items()
    ]
    edges.sort(key=lambda e: (-e.weight, e.source, e.target, e.kind.value))
    return edges


def what_if(
    *,
    map: Map,
    index: AreaIndex,
    graph: ReferralGraph,
    proposal: Service,
    as_of: dt.date,
    limit: int = 50,
) -> WhatIfResult:
    """What a proposed service would duplicate and add on `as_of`; nothing is stored.

    The proposal is taken as running that day whatever its own dates (its rules' dates still
    apply). A proposal with an existing id stands in for that service: it is not compared
    with itself. Gaps filled: for each of its needs at each of its levels, the ward x band
    cells no service covers today and the proposal would (eligible, or subject to the checks
    listed).
    """
    validate_proposal(map, proposal)
    running = proposal.model_copy(update={"valid_from": None, "valid_to": None})
    others = [s for s in map.services if s.id != proposal.id]
    replaces = proposal.id if len(others) < len(map.services) else None

    scorer = _Scorer(map=map, index=index, day=as_of)
    profile = _profiles(scorer, [running])[0]
    overlaps = []
    for p in _profiles(scorer, (s for s in others if s.active_on(as_of))):
        if not p.needs & profile.needs:
            continue
        d = scorer.details(profile, p)
        for sid in p.members:
            s = map.services_by_id[sid]
            overlaps.append(ServiceOverlap(service_id=sid, name=s.name, **d.fields()))
    overlaps.sort(key=lambda o: (-o.score, o.service_id))
    overlaps = overlaps[:limit]

    # The proposal's cells first (one service: quick), then whether any existing service
    # covers those, stopping at the first it finds.
    solo = map.model_copy(update={"services": [running]})
    existing = map.active_services(as_of)
    filled = []
    for need in dict.fromkeys(running.needs):
        for level in sorted(set(running.levels), key=lambda lv: lv.rank):
            mine = _grid(
                map=map,
                index=index,
                need=need,
                level=level,
                day=as_of,
                services=[running],
                signatures=solo.eligibility_signatures,
            )
            taken = {c for c, answers in mine.items() if answers}
            if not taken:
                continue
            covered = _grid(
                map=map,
                index=index,
                need=need,
                level=level,
                day=as_of,
                services=existing,
                signatures=map.eligibility_signatures,
                cells=taken,
                first_only=True,
            )
            for w in index.wards:
                for band in BAND_MONTHS:
                    if (w.code, band) in taken and not covered.get((w.code, band)):
                        filled.append(
                            FilledGap(
                                need=need,
                                level=level,
                                ward_code=w.code,
                                ward=w.name,
                                age_band=band,
                                checks=list(mine[(w.code, band)][running.id].checks),
                            )
                        )

    ring, leanings = derive_ring(map=map, needs=running.needs, as_of=as_of, exclude=running.id)
    if ring is None:
        ring = running.ring
        reason = "No service active that day shares its needs: keeping the ring it was given"
    else:
        ring_name = {"core": "core", "grey": "grey circle", "outer": "outer circle"}[ring.value]
        labels = {n.code: n.label for n in map.needs}
        reason = f"Services with its needs sit mostly in the {ring_name}: " + "; ".join(
            f"{labels.get(lean.need, lean.need)}, {round(lean.shares[ring] * 100)}% of "
            f"{lean.services} services"
            for lean in leanings
            if lean.services
        )
    return WhatIfResult(
        as_of=as_of,
        service_id=running.id,
        replaces=replaces,
        overlaps=overlaps,
        gaps_filled=filled,
        ring=ring,
        declared_ring=running.ring,
        ring_reason=reason,
        ring_leanings=leanings,
        suggested_edges=_suggest_edges(
            graph=graph, proposal=running.id, overlaps=overlaps, day=as_of
        ),
    )


# ---------------------------------------------------------------------------------------------
# The referral network
# ---------------------------------------------------------------------------------------------


class NetworkNode(BaseModel):
    service_id: str
    name: str
    ring: Ring
    in_degree: int = Field(description="Services with an edge to this one (any kind)")
    out_degree: int = Field(description="Services this one has an edge to")
    betweenness: float = Field(description="Share of shortest routes passing through it")
    reachable_from_universal: bool
    self_referral: bool = Field(description="Families can also go to it directly")
    articulation_point: bool = Field(description="Removing it splits the network")


class NetworkResult(BaseModel):
    as_of: dt.date
    universal: list[str] = Field(description="The universal services routes start from")
    services: list[NetworkNode]
    unreachable: list[str] = Field(description="Services no route from a universal one reaches")
    articulation_points: list[str] = Field(description="Single points of failure")
    betweenness_sample: int | None = Field(
        description="Sources sampled to estimate betweenness on a large map; None when exact"
    )


def network(
    *,
    map: Map,
    graph: ReferralGraph,
    as_of: dt.date,
    universal: Sequence[str] | None = None,
) -> NetworkResult:
    """Degrees, betweenness, reach from the universal services, and single points of failure
    of the referral graph of `as_of` (refers, consults and signposts edges alike).

    `universal` defaults to the policy's universal services; ids given must exist.
    """
    import networkx as nx  # lazily, as in navigator.core.graph: start-up stays fast

    if universal is None:
        universal = map.policy.analytics.universal_services
    for i, sid in enumerate(universal):
        if map.service(sid) is None:
            raise UnknownService(f"{sid!r} is not a known service id", loc=("universal", i))
    g = graph.day_graph(as_of)
    starts = [sid for sid in dict.fromkeys(universal) if sid in g]
    reached: set[str] = set(starts)
    for sid in starts:
        reached |= nx.descendants(g, sid)
    n = g.number_of_nodes()
    sample = BETWEENNESS_SAMPLE if n > EXACT_BETWEENNESS_MAX else None
    between: dict[str, float] = nx.betweenness_centrality(g, k=sample, seed=0 if sample else None)
    cut = set(nx.articulation_points(nx.Graph(g)))
    nodes = []
    for s in map.active_services(as_of):
        nodes.append(
            NetworkNode(
                service_id=s.id,
                name=s.name,
                ring=s.ring,
                in_degree=g.in_degree(s.id),
                out_degree=g.out_degree(s.id),
                betweenness=round(between.get(s.id, 0.0), 4),
                reachable_from_universal=s.id in reached,
                self_referral=s.self_referral,
                articulation_point=s.id in cut,
            )
        )
    nodes.sort(key=lambda x: (-x.betweenness, x.service_id))
    return NetworkResult(
        as_of=as_of,
        universal=starts,
        services=nodes,
        unreachable=sorted(x.service_id for x in nodes if not x.reachable_from_universal),
        articulation_points=sorted(cut),
        betweenness_sample=sample,
    )

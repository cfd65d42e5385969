"""Overlap: every pair of services active on a day, scored for how far their remits coincide."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator

from pydantic import BaseModel, Field

from navigator.core.analytics.areas import AreaIndex, bit_list
from navigator.core.analytics.scoring import (
    APART_FACTOR,
    OVERLAP_WEIGHTS,
    OverlapParts,
    Profile,
    Relation,
    Scorer,
    Shared,
    age_part,
    profiles,
    score_key,
)
from navigator.core.models import Level, Map


class OverlapPair(BaseModel):
    a: str
    b: str
    score: float = Field(ge=0, le=1)
    relation: Relation = Field(
        description="overlap; different_places (catchments never meet: the same offer for "
        "different places); different_ages; catchment_unknown (one records no catchment)"
    )
    shared_needs: list[str]
    shared_levels: list[Level]
    shared_age_months: tuple[int, int] | None = Field(
        description="[from, to) in months, pregnancy negative; open ends read as -9 and 216"
    )
    shared_areas: list[str] = Field(description="Areas in which both can serve every postcode")
    shared_postcodes: int = Field(
        description="Unit postcodes (of the universe) both can serve; 0 when a catchment is unknown"
    )
    parts: OverlapParts


class OverlapResult(BaseModel):
    as_of: dt.date
    services: int = Field(description="Services active that day")
    pairs: list[OverlapPair]


def _cross(p: list[str], q: list[str]) -> Iterator[tuple[str, str]]:
    """Every (a, b) with a < b, one from each sorted, disjoint list, in order."""
    in_p = set(p)
    for x in heapq.merge(p, q):
        partners = q if x in in_p else p
        for y in partners[bisect_right(partners, x) :]:
            yield x, y


def _pairs_of(profiles: list[Profile], i: int, j: int) -> Iterator[tuple[str, str]]:
    if i == j:
        return itertools.combinations(profiles[i].members, 2)
    return _cross(profiles[i].members, profiles[j].members)


def _tagged(pairs: Iterator[tuple[str, str]], tag: int) -> Iterator[tuple[str, str, int]]:
    for a, b in pairs:
        yield a, b, tag


def _weight(profiles: list[Profile], i: int, j: int) -> int:
    """How many pairs of services a pair of profiles stands for."""
    n = len(profiles[i].members)
    return n * (n - 1) // 2 if i == j else n * len(profiles[j].members)


class _Ranking:
    """Profile pairs (coded i * n + j) in buckets by score in thousandths.

    Profiles are grouped by levels and footprint (few distinct values however many services):
    a pair's score is at most what it would be with identical needs and ages, so that best
    case bounds every pair of a group pair.
    """

    def __init__(self, scorer: Scorer, profiles: list[Profile], require_shared_need: bool):
        self.scorer = scorer
        self.profiles = profiles
        self.require_shared_need = require_shared_need
        self.needs = [p.needs for p in profiles]
        self.sizes = [p.n_needs for p in profiles]
        self.los = [p.lo for p in profiles]
        self.his = [p.hi for p in profiles]
        self.bits = [bit_list(p.needs) for p in profiles]
        group_of: dict[tuple[int, int], int] = {}
        self.by_group: list[list[int]] = []
        self.group_mask: list[int] = []
        # Per group, per need: the group's profiles with that need.
        self.in_group: list[dict[int, list[int]]] = []
        self.need_groups: dict[int, set[int]] = defaultdict(set)
        for i, p in enumerate(profiles):
            g = group_of.setdefault((p.levels, p.served), len(self.by_group))
            if g == len(self.by_group):
                self.by_group.append([])
                self.group_mask.append(0)
                self.in_group.append(defaultdict(list))
            self.by_group[g].append(i)
            self.group_mask[g] |= p.needs
            for b in self.bits[i]:
                self.in_group[g][b].append(i)
                self.need_groups[b].add(g)
        self.keys = list(group_of)
        self.buckets: dict[int, list[int]] = defaultdict(list)
        self.counts = [0] * 1001

    def bounds(self, floor: int) -> dict[int, list[tuple[int, int]]]:
        """Group pairs (g1 <= g2) by their best case, leaving out those below `floor`."""
        by_bound: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for g1, (l1, s1) in enumerate(self.keys):
            if self.require_shared_need:
                near: Iterable[int] = {
                    g2
                    for b in bit_list(self.group_mask[g1])
                    for g2 in self.need_groups[b]
                    if g2 >= g1
                }
            else:
                near = range(g1, len(self.keys))
            for g2 in near:
                l2, s2 = self.keys[g2]
                fixed, area = self.scorer.fixed(l1, s1, l2, s2)
                bound = score_key(1.0, fixed, 1.0, area)
                if bound >= floor:
                    by_bound[bound].append((g1, g2))
        return by_bound

    def score(self, g1: int, g2: int, cut: int) -> None:
        """Bucket every profile pair of groups g1 and g2 scoring at least `cut`."""
        profiles, needs, sizes, los, his = self.profiles, self.needs, self.sizes, self.los, self.his
        buckets, counts, n = self.buckets, self.counts, len(profiles)
        w_needs, w_age = OVERLAP_WEIGHTS["needs"], OVERLAP_WEIGHTS["age"]
        l1, s1 = self.keys[g1]
        l2, s2 = self.keys[g2]
        fixed, area = self.scorer.fixed(l1, s1, l2, s2)
        others = self.in_group[g2]
        for i in self.by_group[g1]:
            mi, si, lo_i, hi_i = needs[i], sizes[i], los[i], his[i]
            if g1 == g2 and len(profiles[i].members) > 1:
                # Services with one profile: every pair of them scores alike.
                key = score_key(1.0, fixed, age_part(lo_i, hi_i, lo_i, hi_i), area)
                if key >= cut:
                    buckets[key].append(i * n + i)
                    counts[key] += _weight(profiles, i, i)
            if self.require_shared_need:
                cand: Iterable[int] = {j for b in self.bits[i] for j in others.get(b, ())}
            else:
                cand = self.by_group[g2]
            for j in cand:
                if g1 == g2 and j <= i:
                    continue
                k = (mi & needs[j]).bit_count()
                lo_j, hi_j = los[j], his[j]
                inter = (hi_i if hi_i < hi_j else hi_j) - (lo_i if lo_i > lo_j else lo_j)
                # score_key and age_part inlined: calling them made overlap 1.2-1.9x slower at
                # 10,000 services (bench/bench_analytics.py); keep the two the same, to the bit.
                if inter > 0:
                    age = inter / (hi_i - lo_i + hi_j - lo_j - inter)
                    raw = w_needs * (k / (si + sizes[j] - k)) + fixed + w_age * age
                    key = round(raw * 1000) if area else round(APART_FACTOR * raw * 1000)
                else:
                    age = age_part(lo_i, hi_i, lo_j, hi_j)
                    key = score_key(k / (si + sizes[j] - k), fixed, age, area)
                if key >= cut:
                    buckets[key].append(i * n + j)
                    counts[key] += _weight(profiles, i, j)

    def cut_for(self, limit: int, cut: int) -> int:
        """The highest score at which the pairs bucketed so far reach `limit`, or `cut`."""
        total = 0
        for key in range(1000, cut - 1, -1):
            total += self.counts[key]
            if total >= limit:
                return key
        return cut


def _score_pairs(
    scorer: Scorer,
    profiles: list[Profile],
    min_score: float,
    limit: int | None,
    require_shared_need: bool,
) -> dict[int, list[int]]:
    """Profile pairs (coded i * n + j) by score in thousandths, enough for the top `limit`.

    Group pairs are taken best case first; once `limit` pairs score at least `cut`, a group
    pair whose best case is below it is skipped, and so is any pair scoring below it.
    """
    ranking = _Ranking(scorer, profiles, require_shared_need)
    floor = round(min_score * 1000)
    by_bound = ranking.bounds(floor)
    # Scores rounded to 3 places, so a bucket per thousandth orders them exactly.
    cut = floor
    for bound in sorted(by_bound, reverse=True):
        if bound < cut:
            break
        for g1, g2 in by_bound[bound]:
            ranking.score(g1, g2, cut)
        if limit is not None:
            cut = ranking.cut_for(limit, cut)
    return ranking.buckets


def _top_pairs(
    scorer: Scorer, profiles: list[Profile], buckets: dict[int, list[int]], wanted: int
) -> list[OverlapPair]:
    """The first `wanted` pairs of services, highest score first, then by ids."""
    n = len(profiles)
    pairs: list[OverlapPair] = []
    details: dict[int, Shared] = {}
    for key in sorted(buckets, reverse=True):
        if len(pairs) >= wanted:
            break
        singles: list[tuple[str, str, int]] = []
        streams: list[Iterator[tuple[str, str, int]]] = []
        for c in buckets[key]:
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
    return pairs


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
    halved (APART_FACTOR) when ages or footprints never meet. A service with no area rule that
    day records no catchment: its area part is unknown, counts 0 and never halves the score,
    and the pair's `relation` says so. Pairs sharing no need are left
    out unless `require_shared_need` is False: their score is at most 0.6 and they are not what
    "overlap" means to a commissioner. Highest score first, then by ids; each pair once, a < b.
    """
    services = map.active_services(as_of)
    scorer = Scorer(map=map, index=index, day=as_of)
    found = profiles(scorer, services)
    buckets = _score_pairs(scorer, found, min_score, limit, require_shared_need)
    n = len(found)
    wanted = (
        limit
        if limit is not None
        else sum(_weight(found, *divmod(c, n)) for b in buckets.values() for c in b)
    )
    pairs = _top_pairs(scorer, found, buckets, wanted)
    return OverlapResult(as_of=as_of, services=len(services), pairs=pairs)

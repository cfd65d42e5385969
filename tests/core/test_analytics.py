"""Commissioners' analytics: overlap, gaps, what-if and the referral network."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from navigator.core import analytics
from navigator.core.analytics import AgeBand, AreaIndex
from navigator.core.errors import UnknownArea, UnknownGpList, UnknownNeed, UnknownService
from navigator.core.geography import PostcodeTable, district, in_area
from navigator.core.graph import ReferralGraph
from navigator.core.models import (
    MAX_AGE_MONTHS,
    MIN_AGE_MONTHS,
    Area,
    Edge,
    EdgeKind,
    Level,
    Map,
    Ring,
    Rule,
    RuleKind,
    Service,
)
from tests.conftest import MINI_SEED

BSB_WARDS = {"E05001345", "E05001346", "E05001358"}
BRADFORD_MOOR = "E05001346"
KEIGHLEY_CENTRAL = "E05001355"
CITY = "E05001347"
LMM = "little-minds-matter"


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def service(**kw: Any) -> Service:
    data: dict[str, Any] = {
        "name": kw.get("id", "x").replace("-", " ").title(),
        "provider": "Test",
        "ring": "grey",
        "remit": "Test.",
        "levels": ["universal_plus"],
        "sources": [{"title": "Test", "status": "inferred"}],
        "last_verified": "2026-11-01",
    } | kw
    return Service.model_validate(data)


@pytest.fixture(scope="module")
def mini_index(mini_map: Map, postcodes: PostcodeTable) -> AreaIndex:
    return AreaIndex.build(map=mini_map, postcodes=postcodes)


@pytest.fixture(scope="module")
def seed_index(seed_map: Map, postcodes: PostcodeTable) -> AreaIndex:
    return AreaIndex.build(map=seed_map, postcodes=postcodes)


def cell(result: analytics.GapsResult, ward: str, band: AgeBand) -> analytics.GapCell:
    (found,) = [c for c in result.cells if c.ward_code == ward and c.age_band is band]
    return found


# --- the area index ---------------------------------------------------------------------------


def test_index_holds_bradfords_thirty_pre_2026_wards(
    seed_index: AreaIndex, postcodes: PostcodeTable
) -> None:
    bradford = {w for lad, w in postcodes.units.values() if lad == "E08000032"}
    assert {w.code for w in seed_index.wards} == bradford
    assert len(seed_index.wards) == 30
    assert {w.code for w in seed_index.wards if "bsb" in w.areas} == BSB_WARDS
    moor = next(w for w in seed_index.wards if w.code == BRADFORD_MOOR)
    assert moor.name == "Bradford Moor"
    assert moor.count == sum(1 for _, w in postcodes.units.values() if w == BRADFORD_MOOR)
    # Only the two maternity catchments, drawn by postcode district (issue #13), split a ward.
    split = {a for w in seed_index.wards for a in w.partial_areas}
    assert split <= {"bradford-maternity", "airedale-maternity"}


def test_universe_is_bradford_and_craven_postcodes(
    seed_map: Map, seed_index: AreaIndex, postcodes: PostcodeTable
) -> None:
    areas = [a for a in seed_map.areas if a.id in ("bradford-district", "bdc-nhs")]
    expected = sum(
        1
        for pc, (lad, ward) in postcodes.units.items()
        if lad
        and any(
            in_area(a, lad_code=lad, ward_code=ward, postcode_district=district(pc)) for a in areas
        )
    )
    assert seed_index.size == expected
    assert seed_index.universe.bit_count() == expected
    # Leeds postcodes are outside it; Skipton (old Craven) is inside.
    assert seed_index.areas["bdc-nhs"].bit_count() == expected
    assert seed_index.areas["bradford-district"].bit_count() < expected


# --- overlap ----------------------------------------------------------------------------------


def test_overlap_on_the_mini_map_by_hand(mini_map: Map, mini_index: AreaIndex) -> None:
    # The refuge without its area rule: a catchment not recorded (the seed validator now refuses
    # such a service, but a proposal or an older map may still have one).
    services = [
        s.model_copy(update={"rules": []}) if s.id == "refuge" else s for s in mini_map.services
    ]
    m = mini_map.model_copy(update={"services": services})
    result = analytics.overlap(map=m, index=mini_index, as_of=day("2024-01-01"))
    assert [(p.a, p.b) for p in result.pairs] == [
        ("housing", "refuge"),
        ("health-visiting", LMM),
    ]
    housing, hv = result.pairs
    # housing/refuge: same need; levels {universal, targeted} vs {targeted}; both open ages;
    # refuge has no area rule: its catchment is unknown, so the area part counts nothing (not
    # 1, as if it served where housing does) and the pair says why.
    assert housing.score == pytest.approx(0.4 * 1 + 0.2 * 0.5 + 0.2 * 1 + 0.2 * 0, abs=1e-3)
    assert housing.relation is analytics.Relation.catchment_unknown
    assert housing.parts.area_known is False
    assert housing.parts.area == 0
    assert housing.shared_postcodes == 0
    assert housing.shared_areas == []
    assert housing.shared_levels == [Level.targeted]
    assert housing.shared_age_months == (MIN_AGE_MONTHS, MAX_AGE_MONTHS)
    # health visiting (-9..60) and LMM (-9..24), both district-wide from April 2023.
    age = (24 + 9) / (60 + 9)
    assert hv.score == pytest.approx(0.4 * 0.5 + 0.2 * 0.5 + 0.2 * age + 0.2 * 1, abs=1e-3)
    assert hv.shared_needs == ["parent_infant_relationship"]
    assert hv.shared_levels == [Level.universal_plus, Level.targeted]
    assert hv.shared_age_months == (-9, 24)
    assert hv.shared_areas == ["bsb", "bradford-district"]
    assert hv.parts.needs == 0.5
    assert hv.relation is analytics.Relation.overlap
    assert hv.parts.area_known is True


def test_overlap_follows_the_rules_of_the_day(mini_map: Map, mini_index: AreaIndex) -> None:
    early = analytics.overlap(map=mini_map, index=mini_index, as_of=day("2019-01-01"))
    (hv,) = [p for p in early.pairs if p.b == LMM]
    bsb, whole = mini_index.areas["bsb"].bit_count(), mini_index.universe.bit_count()
    assert hv.shared_areas == ["bsb"]
    assert hv.shared_postcodes == bsb
    assert hv.parts.area == pytest.approx(bsb / whole, abs=1e-3)
    # Before LMM began there is no such pair; after the refuge closed, no housing pair.
    assert not any(
        LMM in (p.a, p.b)
        for p in analytics.overlap(map=mini_map, index=mini_index, as_of=day("2018-01-01")).pairs
    )
    late = analytics.overlap(map=mini_map, index=mini_index, as_of=day("2025-01-01"))
    assert [(p.a, p.b) for p in late.pairs] == [("health-visiting", LMM)]


def test_services_apart_in_age_or_place_score_half(mini_map: Map, mini_index: AreaIndex) -> None:
    where = [{"kind": "area", "area": "bradford-district"}]
    babies = service(
        id="babies", needs=["housing"], levels=["targeted"], max_age_months=12, rules=where
    )
    older = service(id="older", needs=["housing"], levels=["targeted"], min_age_months=60)
    m = mini_map.model_copy(update={"services": [babies, older.model_copy(update={"rules": []})]})
    (pair,) = analytics.overlap(map=m, index=mini_index, as_of=day("2024-01-01")).pairs
    assert pair.shared_age_months is None
    assert pair.parts.age == 0
    assert pair.relation is analytics.Relation.different_ages
    # Older records no catchment: its area part is unknown and counts nothing.
    assert pair.score == pytest.approx(0.5 * (0.4 + 0.2 + 0.0), abs=1e-3)
    m = mini_map.model_copy(
        update={"services": [babies, older.model_copy(update={"rules": [Rule(**where[0])]})]}
    )
    (pair,) = analytics.overlap(map=m, index=mini_index, as_of=day("2024-01-01")).pairs
    assert pair.score == pytest.approx(0.5 * (0.4 + 0.2 + 0.2), abs=1e-3)


def test_the_same_offer_for_different_places_is_no_duplicate(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    keighley = Area.model_validate(
        {"id": "keighley", "name": "Keighley", "any_of": [{"ward_codes": [KEIGHLEY_CENTRAL]}]}
    )

    def unit(sid: str, area: str | None) -> Service:
        rules = [{"kind": "area", "area": area}] if area else []
        return service(id=sid, needs=["housing"], levels=["targeted"], rules=rules)

    def pair(a: str | None, b: str | None) -> analytics.OverlapPair:
        m = mini_map.model_copy(
            update={"areas": [*mini_map.areas, keighley], "services": [unit("a", a), unit("b", b)]}
        )
        index = AreaIndex.build(map=m, postcodes=postcodes)
        (found,) = analytics.overlap(map=m, index=index, as_of=day("2024-01-01")).pairs
        return found

    apart = pair("bsb", "keighley")
    assert apart.relation is analytics.Relation.different_places
    assert apart.parts.area == 0
    assert apart.parts.area_known is True
    assert apart.shared_postcodes == 0
    assert apart.score == pytest.approx(0.5 * 0.8, abs=1e-3)
    same = pair("bsb", "bsb")
    assert same.relation is analytics.Relation.overlap
    assert same.score == 1.0
    # Neither records a catchment: not 1.0, and not "apart" either.
    unknown = pair(None, None)
    assert unknown.relation is analytics.Relation.catchment_unknown
    assert unknown.score == pytest.approx(0.8, abs=1e-3)
    assert pair("bsb", None).relation is analytics.Relation.catchment_unknown


@pytest.fixture(scope="module")
def seed_postcode_sets(
    seed_map: Map, postcodes: PostcodeTable
) -> tuple[set[str], dict[str, set[str]]]:
    """The universe and each area as plain sets of postcode strings."""
    universe_areas = [a for a in seed_map.areas if a.id in seed_map.policy.analytics.universe_areas]

    def inside(a: Area, pc: str) -> bool:
        lad, ward = postcodes.units[pc]
        return in_area(a, lad_code=lad, ward_code=ward, postcode_district=district(pc))

    universe = {
        pc
        for pc, (lad, _) in postcodes.units.items()
        if lad and any(inside(a, pc) for a in universe_areas)
    }
    return universe, {a.id: {pc for pc in universe if inside(a, pc)} for a in seed_map.areas}


def _naive_overlap(
    m: Map, sets: tuple[set[str], dict[str, set[str]]], on: dt.date
) -> dict[tuple[str, str], tuple[float, set[str], int]]:
    """The overlap score of every pair sharing a need, the slow and obvious way: sets of codes,
    sets of postcodes, no bitsets, no grouping."""
    universe, area_sets = sets

    def rule_set(r: Rule) -> set[str]:
        if r.kind is RuleKind.area:
            return area_sets[r.area or ""]
        if r.kind is RuleKind.any_of:
            return set().union(*(rule_set(x) for x in r.rules))
        return universe

    def window(s: Service) -> tuple[int, int]:
        lo = MIN_AGE_MONTHS if s.min_age_months is None else s.min_age_months
        hi = MAX_AGE_MONTHS if s.max_age_months is None else min(s.max_age_months, MAX_AGE_MONTHS)
        return lo, hi

    def jac(a: set[Any], b: set[Any]) -> float:
        return len(a & b) / len(a | b) if a | b else 0.0

    def has_area(rules: list[Rule]) -> bool:
        return any(r.kind is RuleKind.area or has_area(r.rules) for r in rules)

    active = m.active_services(on)

    def works(s: Service) -> list[str]:
        return s.catchment.areas if s.catchment is not None else []

    known = {
        s.id: has_area([r for r in s.rules if r.active_on(on)]) or bool(works(s)) for s in active
    }
    served: dict[str, frozenset[str]] = {}
    canonical: dict[frozenset[str], frozenset[str]] = {}
    memo: dict[tuple[int, int], tuple[float, int]] = {}
    for s in active:
        out = set(universe)
        for r in s.rules:
            if r.active_on(on):
                out &= rule_set(r)
        if works(s):
            # Where it normally works, when its catchment names areas (issue #13).
            out &= set().union(*(area_sets[a] for a in works(s)))
        served[s.id] = canonical.setdefault(frozenset(out), frozenset(out))
    scores = {}
    for s, t in itertools.combinations(sorted(active, key=lambda x: x.id), 2):
        if not set(s.needs) & set(t.needs):
            continue
        (lo1, hi1), (lo2, hi2) = window(s), window(t)
        age = max(0, min(hi1, hi2) - max(lo1, lo2)) / (max(hi1, hi2) - min(lo1, lo2))
        a, b = served[s.id], served[t.id]
        if (id(a), id(b)) not in memo:
            memo[(id(a), id(b))] = (jac(set(a), set(b)), len(a & b))
        area, shared = memo[(id(a), id(b))]
        # A catchment not recorded adds nothing, and is not "apart" either.
        both_known = known[s.id] and known[t.id]
        if not both_known:
            area, shared = 0.0, 0
        raw = (
            0.4 * jac(set(s.needs), set(t.needs))
            + 0.2 * jac(set(s.levels), set(t.levels))
            + 0.2 * age
            + 0.2 * area
        )
        apart = not age or (both_known and not area)
        scores[(s.id, t.id)] = (
            raw * (0.5 if apart else 1),
            set(s.needs) & set(t.needs),
            shared,
        )
    return scores


@pytest.mark.parametrize("on", ["2017-06-01", "2021-06-01", "2024-06-01"])
def test_overlap_matches_a_naive_computation_on_the_seed(
    seed_map: Map,
    seed_index: AreaIndex,
    seed_postcode_sets: tuple[set[str], dict[str, set[str]]],
    on: str,
) -> None:
    expected = _naive_overlap(seed_map, seed_postcode_sets, day(on))
    result = analytics.overlap(map=seed_map, index=seed_index, as_of=day(on), limit=None)
    got = {(p.a, p.b): p for p in result.pairs}
    assert got.keys() == expected.keys()
    for pair, (score, needs, postcodes_shared) in expected.items():
        assert got[pair].score == pytest.approx(score, abs=6e-4), pair
        assert set(got[pair].shared_needs) == needs, pair
        assert got[pair].shared_postcodes == postcodes_shared, pair


def test_overlap_is_symmetric_sorted_and_in_range(seed_map: Map, seed_index: AreaIndex) -> None:
    on = day("2021-06-01")
    result = analytics.overlap(map=seed_map, index=seed_index, as_of=on, limit=None)
    keys = [(-p.score, p.a, p.b) for p in result.pairs]
    assert keys == sorted(keys)
    assert all(p.a < p.b for p in result.pairs)
    assert len({frozenset((p.a, p.b)) for p in result.pairs}) == len(result.pairs)
    assert all(0 <= p.score <= 1 for p in result.pairs)
    # The same answer whatever order the map lists its services in.
    shuffled = seed_map.model_copy(update={"services": list(reversed(seed_map.services))})
    again = analytics.overlap(map=shuffled, index=seed_index, as_of=on, limit=None)
    assert [p.model_dump() for p in again.pairs] == [p.model_dump() for p in result.pairs]


def test_overlap_limit_and_min_score(seed_map: Map, seed_index: AreaIndex) -> None:
    on = day("2024-06-01")
    every = analytics.overlap(map=seed_map, index=seed_index, as_of=on, limit=None).pairs
    top = analytics.overlap(map=seed_map, index=seed_index, as_of=on, limit=7).pairs
    assert [p.model_dump() for p in top] == [p.model_dump() for p in every[:7]]
    high = analytics.overlap(map=seed_map, index=seed_index, as_of=on, min_score=0.6).pairs
    assert high == [p for p in every if p.score >= 0.6]
    assert 0 < len(high) < len(every)
    wide = analytics.overlap(
        map=seed_map, index=seed_index, as_of=on, limit=None, require_shared_need=False
    ).pairs
    active = len(seed_map.active_services(on))
    assert len(wide) == active * (active - 1) // 2


@pytest.fixture(scope="module")
def crowded_map(seed_map: Map) -> Map:
    """The seed plus 400 copies of its services, each with three needs drawn at random: many
    services alike in all but their needs, where overlap prunes most pairs unseen."""
    rng = random.Random(5)
    codes = [n.code for n in seed_map.needs]
    copies = [
        s.model_copy(update={"id": f"{s.id}-{i}", "needs": rng.sample(codes, 3)})
        for i, s in enumerate(rng.choices(seed_map.services, k=400))
    ]
    return seed_map.model_copy(update={"services": [*seed_map.services, *copies]})


@pytest.fixture(scope="module")
def crowded_ranking(
    crowded_map: Map,
    seed_index: AreaIndex,
    seed_postcode_sets: tuple[set[str], dict[str, set[str]]],
) -> list[analytics.OverlapPair]:
    """Every pair of the crowded map, checked against the naive computation."""
    on = day("2024-06-01")
    every = analytics.overlap(map=crowded_map, index=seed_index, as_of=on, limit=None).pairs
    expected = _naive_overlap(crowded_map, seed_postcode_sets, on)
    assert len(every) == len(expected)
    assert all(p.score == pytest.approx(expected[(p.a, p.b)][0], abs=6e-4) for p in every)
    return every


@pytest.mark.parametrize(("limit", "min_score"), [(1, 0.0), (50, 0.0), (300, 0.0), (40, 0.9)])
def test_the_top_pairs_are_the_top_of_the_full_ranking(
    crowded_map: Map,
    seed_index: AreaIndex,
    crowded_ranking: list[analytics.OverlapPair],
    limit: int,
    min_score: float,
) -> None:
    top = analytics.overlap(
        map=crowded_map,
        index=seed_index,
        as_of=day("2024-06-01"),
        limit=limit,
        min_score=min_score,
    ).pairs
    want = [p for p in crowded_ranking if p.score >= min_score][:limit]
    assert [(p.a, p.b, p.score, p.shared_needs) for p in top] == [
        (p.a, p.b, p.score, p.shared_needs) for p in want
    ]


def test_clones_pair_with_each_other_in_id_order(mini_map: Map, mini_index: AreaIndex) -> None:
    base = mini_map.services_by_id["housing"]
    clones = [base.model_copy(update={"id": f"housing-{i}"}) for i in (3, 1, 2)]
    m = mini_map.model_copy(update={"services": [*mini_map.services, *clones]})
    pairs = analytics.overlap(map=m, index=mini_index, as_of=day("2025-01-01")).pairs
    top = [(p.a, p.b) for p in pairs if p.score == 1.0]
    assert top == [
        ("housing", "housing-1"),
        ("housing", "housing-2"),
        ("housing", "housing-3"),
        ("housing-1", "housing-2"),
        ("housing-1", "housing-3"),
        ("housing-2", "housing-3"),
    ]


# --- gaps -------------------------------------------------------------------------------------


def pir_targeted(m: Map, index: AreaIndex, on: str) -> analytics.GapsResult:
    return analytics.gaps(
        map=m, index=index, need="parent_infant_relationship", level=Level.targeted, as_of=day(on)
    )


def test_gaps_cover_every_ward_and_band(seed_map: Map, seed_index: AreaIndex) -> None:
    result = pir_targeted(seed_map, seed_index, "2024-06-01")
    assert len(result.cells) == 30 * 4
    assert {(c.ward_code, c.age_band) for c in result.cells} == {
        (w.code, b) for w in seed_index.wards for b in AgeBand
    }
    assert all(c.gap == (not c.services) for c in result.cells)
    assert all(set(c.checks) <= set(c.services) for c in result.cells)


def test_the_baby_blind_spot_closes_in_the_bsb_wards_first(
    seed_map: Map, seed_index: AreaIndex
) -> None:
    before = pir_targeted(seed_map, seed_index, "2017-06-01")
    assert LMM not in cell(before, BRADFORD_MOOR, AgeBand.months_0_11).services
    during = pir_targeted(seed_map, seed_index, "2019-06-01")
    for ward in BSB_WARDS:
        for band in (AgeBand.months_0_11, AgeBand.months_12_23):
            assert LMM in cell(during, ward, band).services
            assert LMM not in cell(during, ward, band).checks
    assert LMM not in cell(during, KEIGHLEY_CENTRAL, AgeBand.months_0_11).services
    # LMM works until the second birthday.
    assert LMM not in cell(during, BRADFORD_MOOR, AgeBand.months_24_59).services
    later = pir_targeted(seed_map, seed_index, "2024-06-01")
    assert LMM in cell(later, KEIGHLEY_CENTRAL, AgeBand.months_0_11).services
    assert LMM not in cell(later, KEIGHLEY_CENTRAL, AgeBand.months_0_11).checks


def test_a_gp_list_rule_shows_as_a_check(seed_map: Map, seed_index: AreaIndex) -> None:
    result = pir_targeted(seed_map, seed_index, "2021-06-01")
    keighley = cell(result, KEIGHLEY_CENTRAL, AgeBand.months_0_11)
    assert LMM in keighley.services
    assert any("RIC GP practice" in c for c in keighley.checks[LMM])
    moor = cell(result, BRADFORD_MOOR, AgeBand.months_0_11)
    assert LMM in moor.services
    assert LMM not in moor.checks


def test_a_service_counts_at_any_age_in_the_band(mini_map: Map, mini_index: AreaIndex) -> None:
    # Three to six months: neither end of the 0-11 band is inside its window.
    short = service(id="short", needs=["housing"], min_age_months=3, max_age_months=6)
    m = mini_map.model_copy(update={"services": [short]})
    result = analytics.gaps(
        map=m, index=mini_index, need="housing", level=Level.universal_plus, as_of=day("2025-01-01")
    )
    ward = mini_index.wards[0].code
    assert cell(result, ward, AgeBand.months_0_11).services == ["short"]
    assert cell(result, ward, AgeBand.months_12_23).gap
    assert cell(result, ward, AgeBand.pregnancy).gap


def test_gaps_count_only_services_at_the_level(mini_map: Map, mini_index: AreaIndex) -> None:
    def ids(level: Level) -> list[str]:
        result = analytics.gaps(
            map=mini_map, index=mini_index, need="housing", level=level, as_of=day("2024-01-01")
        )
        return cell(result, BRADFORD_MOOR, AgeBand.months_0_11).services

    assert ids(Level.targeted) == ["housing", "refuge"]
    assert ids(Level.universal) == ["housing"]
    assert ids(Level.specialist) == []


def test_a_ward_split_by_an_area_is_a_check(mini_map: Map, postcodes: PostcodeTable) -> None:
    bd1 = Area.model_validate(
        {"id": "bd1", "name": "BD1", "any_of": [{"postcode_districts": ["BD1"]}]}
    )
    m = mini_map.model_copy(
        update={
            "areas": [*mini_map.areas, bd1],
            "services": [
                service(id="centre", needs=["housing"], rules=[{"kind": "area", "area": "bd1"}])
            ],
        }
    )
    index = AreaIndex.build(map=m, postcodes=postcodes)
    city = next(w for w in index.wards if w.code == CITY)
    assert "bd1" in city.partial_areas
    result = analytics.gaps(map=m, index=index, need="housing", as_of=day("2025-01-01"))
    got = cell(result, CITY, AgeBand.months_0_11)
    assert got.services == ["centre"]
    assert any("Only some postcodes" in c for c in got.checks["centre"])
    assert cell(result, BRADFORD_MOOR, AgeBand.months_0_11).gap


def test_gaps_reject_an_unknown_need(mini_map: Map, mini_index: AreaIndex) -> None:
    with pytest.raises(UnknownNeed) as exc:
        analytics.gaps(map=mini_map, index=mini_index, need="nope", as_of=day("2024-01-01"))
    assert exc.value.loc == ("need",)


# --- what if ----------------------------------------------------------------------------------


def test_a_clone_of_lmm_overlaps_lmm_most(seed_map: Map, seed_index: AreaIndex) -> None:
    lmm = seed_map.services_by_id[LMM]
    clone = lmm.model_copy(update={"id": "lmm-clone", "name": "LMM again"})
    before = list(seed_map.services)
    result = analytics.what_if(
        map=seed_map,
        index=seed_index,
        graph=ReferralGraph(seed_map),
        proposal=clone,
        as_of=day("2024-06-01"),
    )
    assert result.overlaps[0].service_id == LMM
    assert result.overlaps[0].score >= 0.5
    assert result.replaces is None
    assert result.ring is Ring.core
    assert seed_map.services == before
    assert seed_map.service("lmm-clone") is None
    # Who refers to LMM today would refer to the clone; where LMM refers on, so would it.
    suggested = {(e.source, e.target, e.kind) for e in result.suggested_edges}
    assert ("health-visiting", "lmm-clone", EdgeKind.consults) in suggested
    assert ("lmm-clone", "talking-therapies", EdgeKind.refers) in suggested
    # Its scores are overlap's scores.
    pairs = analytics.overlap(
        map=seed_map.model_copy(update={"services": [*seed_map.services, clone]}),
        index=seed_index,
        as_of=day("2024-06-01"),
        limit=None,
    ).pairs
    pair_scores = {
        p.a if p.b == "lmm-clone" else p.b: p.score for p in pairs if "lmm-clone" in (p.a, p.b)
    }
    assert {o.service_id: o.score for o in result.overlaps} == pair_scores


def test_what_if_finds_the_gaps_a_proposal_fills(mini_map: Map, mini_index: AreaIndex) -> None:
    # Nobody in the mini map works with the relationship at specialist level after 24 months.
    proposal = service(
        id="older-relationships",
        ring="core",
        needs=["parent_infant_relationship"],
        levels=["specialist"],
        min_age_months=24,
        max_age_months=60,
        rules=[{"kind": "area", "area": "bsb"}],
    )
    result = analytics.what_if(
        map=mini_map,
        index=mini_index,
        graph=ReferralGraph(mini_map),
        proposal=proposal,
        as_of=day("2024-06-01"),
    )
    assert {(g.ward_code, g.age_band, g.level) for g in result.gaps_filled} == {
        (w, AgeBand.months_24_59, Level.specialist) for w in BSB_WARDS
    }
    assert all(g.checks == [] for g in result.gaps_filled)


def test_what_if_with_an_existing_id_stands_in_for_it(mini_map: Map, mini_index: AreaIndex) -> None:
    # LMM district-wide from birth to five: it no longer overlaps itself.
    lmm = mini_map.services_by_id[LMM].model_copy(update={"max_age_months": 60})
    result = analytics.what_if(
        map=mini_map,
        index=mini_index,
        graph=ReferralGraph(mini_map),
        proposal=lmm,
        as_of=day("2024-06-01"),
    )
    assert result.replaces == LMM
    assert [o.service_id for o in result.overlaps] == ["health-visiting"]
    filled = {(g.level, g.age_band) for g in result.gaps_filled}
    assert (Level.specialist, AgeBand.months_24_59) in filled


def test_ring_leans_on_the_map(mini_map: Map, mini_index: AreaIndex) -> None:
    shelter = service(id="shelter", ring="core", needs=["housing"])
    result = analytics.what_if(
        map=mini_map,
        index=mini_index,
        graph=ReferralGraph(mini_map),
        proposal=shelter,
        as_of=day("2024-01-01"),
    )
    assert result.ring is Ring.outer
    assert result.declared_ring is Ring.core
    assert result.ring_leanings[0].shares[Ring.outer] == 1.0
    ring, _ = analytics.derive_ring(
        map=mini_map, needs=["parent_infant_relationship"], as_of=day("2024-01-01")
    )
    assert ring is Ring.core


@pytest.mark.parametrize(
    ("change", "exc", "loc"),
    [
        ({"needs": ["housing", "nope"]}, UnknownNeed, ("needs", 1)),
        ({"rules": [{"kind": "area", "area": "leeds"}]}, UnknownArea, ("rules", 0, "area")),
        (
            {
                "rules": [
                    {"kind": "area", "area": "bsb"},
                    {
                        "kind": "any_of",
                        "rules": [
                            {"kind": "area", "area": "bsb"},
                            {"kind": "gp_list", "gp_list": "x"},
                        ],
                    },
                ]
            },
            UnknownGpList,
            ("rules", 1, "rules", 1, "gp_list"),
        ),
    ],
)
def test_what_if_names_what_the_map_does_not_know(
    mini_map: Map,
    mini_index: AreaIndex,
    change: dict[str, Any],
    exc: type[Exception],
    loc: tuple[object, ...],
) -> None:
    proposal = service(**({"id": "new", "needs": ["housing"]} | change))
    with pytest.raises(exc) as raised:
        analytics.what_if(
            map=mini_map,
            index=mini_index,
            graph=ReferralGraph(mini_map),
            proposal=proposal,
            as_of=day("2024-01-01"),
        )
    assert getattr(raised.value, "loc", None) == loc


def test_a_proposal_takes_every_field_of_a_service() -> None:
    assert set(Service.model_fields) <= set(analytics.Proposal.model_fields)


def test_a_whole_service_is_proposed_as_it_is(mini_map: Map, mini_index: AreaIndex) -> None:
    lmm = mini_map.services_by_id[LMM]
    judged = analytics.propose(
        map=mini_map, index=mini_index, proposal=lmm, as_of=day("2024-06-01")
    )
    assert judged.service == lmm
    assert judged.map is mini_map
    assert judged.index is mini_index


def test_a_minimal_proposal_is_filled_in(mini_map: Map, mini_index: AreaIndex) -> None:
    proposal = analytics.Proposal(
        name="Little Minds Matter", needs=["parent_infant_relationship"], levels=["specialist"]
    )
    on = day("2024-06-01")
    service = analytics.propose(map=mini_map, index=mini_index, proposal=proposal, as_of=on).service
    # A new id, never the existing service's: it stands in for one only when its id says so.
    assert service.id == "little-minds-matter-2"
    assert service.ring is Ring.core
    assert service.provider == "Proposed"
    assert service.last_verified == on
    assert [s.title for s in service.sources] == ["Commissioner's proposal"]
    assert service.rules == []
    two = proposal.model_copy(update={"areas": ["bsb", "bradford-district"]})
    (rule,) = analytics.propose(
        map=mini_map, index=mini_index, proposal=two, as_of=on
    ).service.rules
    assert rule.kind is RuleKind.any_of
    assert [r.area for r in rule.rules] == ["bsb", "bradford-district"]


def test_a_proposals_wards_are_an_area_as_if_built_with_it(
    mini_map: Map, mini_index: AreaIndex, postcodes: PostcodeTable
) -> None:
    proposal = analytics.Proposal(
        name="Two wards",
        needs=["housing"],
        levels=["targeted"],
        ward_codes=[BRADFORD_MOOR, KEIGHLEY_CENTRAL],
    )
    judged = analytics.propose(
        map=mini_map, index=mini_index, proposal=proposal, as_of=day("2024-06-01")
    )
    (rule,) = judged.service.rules
    (area,) = [a for a in judged.map.areas if a.id == rule.area]
    assert area.any_of[0].ward_codes == [BRADFORD_MOOR, KEIGHLEY_CENTRAL]
    built = AreaIndex.build(map=judged.map, postcodes=postcodes)
    assert judged.index.areas == built.areas
    assert judged.index.wards == built.wards
    assert {w.code for w in built.wards if area.id in w.areas} == {BRADFORD_MOOR, KEIGHLEY_CENTRAL}
    # The map and index asked about are left as they were.
    assert area.id not in mini_index.areas
    assert all(a.id != area.id for a in mini_map.areas)


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"ward_codes": [BRADFORD_MOOR, "E05000001"]}, ("ward_codes", 1)),
        ({"areas": ["leeds"]}, ("areas", 0)),
        ({"needs": ["housing", "nope"]}, ("needs", 1)),
    ],
)
def test_a_proposal_names_what_the_map_does_not_know(
    mini_map: Map, mini_index: AreaIndex, change: dict[str, Any], loc: tuple[object, ...]
) -> None:
    proposal = analytics.Proposal.model_validate(
        {"name": "New", "needs": ["housing"], "levels": ["targeted"]} | change
    )
    with pytest.raises((UnknownArea, UnknownNeed)) as raised:
        analytics.propose(
            map=mini_map, index=mini_index, proposal=proposal, as_of=day("2024-01-01")
        )
    assert raised.value.loc == loc


# --- network ----------------------------------------------------------------------------------


def test_network_on_a_hand_built_map(mini_map: Map) -> None:
    island = service(id="island", needs=["housing"])
    m = mini_map.model_copy(
        update={
            "services": [*mini_map.services, island],
            "edges": [
                *mini_map.edges,
                Edge(source="island", target="housing", kind=EdgeKind.signposts),
            ],
        }
    )
    result = analytics.network(map=m, graph=ReferralGraph(m), as_of=day("2025-01-01"))
    assert result.universal == ["health-visiting"]
    assert result.unreachable == ["island"]
    nodes = {n.service_id: n for n in result.services}
    assert (nodes["health-visiting"].out_degree, nodes["health-visiting"].in_degree) == (2, 0)
    assert (nodes["housing"].in_degree, nodes[LMM].in_degree) == (2, 1)
    assert nodes["island"].reachable_from_universal is False
    # health visiting and housing hold the three others together.
    assert result.articulation_points == ["health-visiting", "housing"]
    # Only health visiting -> housing lies on a route between two others (hv -> ... none):
    # nothing passes through a service with no way on, so only those with both ends score.
    assert nodes[LMM].betweenness == 0
    assert result.betweenness_sample is None


def test_network_starts_from_the_services_asked(mini_map: Map) -> None:
    result = analytics.network(
        map=mini_map, graph=ReferralGraph(mini_map), as_of=day("2025-01-01"), universal=[LMM]
    )
    assert result.unreachable == ["health-visiting", "housing"]
    with pytest.raises(UnknownService) as exc:
        analytics.network(
            map=mini_map,
            graph=ReferralGraph(mini_map),
            as_of=day("2025-01-01"),
            universal=[LMM, "x"],
        )
    assert exc.value.loc == ("universal", 1)


def test_better_place_is_unreachable_in_the_seed(seed_map: Map) -> None:
    result = analytics.network(map=seed_map, graph=ReferralGraph(seed_map), as_of=day("2024-06-01"))
    assert "better-place" in result.unreachable
    assert "health-visiting" not in result.unreachable
    assert LMM not in result.unreachable
    assert all(0 <= n.betweenness <= 1 for n in result.services)
    top = max(result.services, key=lambda n: n.betweenness)
    assert top.betweenness > 0


def test_analytics_loads_no_web_or_database() -> None:
    code = (
        "import sys, navigator.core.analytics; "
        "bad = [m for m in ('fastapi', 'starlette', 'sqlmodel', 'sqlalchemy') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def mini_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from navigator.settings import get_settings

    monkeypatch.setenv("NAVIGATOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NAVIGATOR_SEED_FILE", str(MINI_SEED))
    monkeypatch.delenv("NAVIGATOR_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_cli_writes_gaps_overlap_and_network_as_csv(mini_data_dir: Path) -> None:
    from typer.testing import CliRunner

    from navigator.cli import app

    runner = CliRunner()
    got = runner.invoke(
        app,
        [
            "analytics",
            "gaps",
            "--need",
            "housing",
            "--level",
            "targeted",
            "--as-of",
            "2024-01-01",
            "--csv",
        ],
    )
    assert got.exit_code == 0, got.output
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert len(rows) == 30 * 4
    # Plain words: service names, ages in words, no codes but the ward's own.
    moor = next(
        r for r in rows if r["Ward code"] == BRADFORD_MOOR and r["Age"] == "Birth to 1st birthday"
    )
    assert moor["Services"] == "Housing Options; Refuge"
    assert moor["Gap"] == ""

    got = runner.invoke(app, ["analytics", "overlap", "--as-of", "2024-01-01", "--csv"])
    assert got.exit_code == 0, got.output
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert [(r["Service"], r["And service"]) for r in rows] == [
        ("Housing Options", "Refuge"),
        ("Health visiting", "Little Minds Matter"),
    ]
    housing, hv = rows
    # Both serve Bradford district (the refuge's catchment is recorded): a real overlap.
    assert housing["What it means"].startswith("Overlap")
    assert "area unknown" not in housing["Parts of the score"]
    assert hv["Shared ages"] == "pregnancy to the second birthday"
    assert hv["Both serve all of"] == "Better Start Bradford area, Bradford district"
    assert "little-minds-matter" not in got.stdout

    got = runner.invoke(app, ["analytics", "network", "--as-of", "2025-01-01"])
    assert got.exit_code == 0, got.output
    assert "Single points of failure: Health visiting" in got.stdout

    bad = runner.invoke(app, ["analytics", "gaps", "--need", "nope"])
    assert bad.exit_code == 2
    bad = runner.invoke(app, ["analytics", "overlap", "--as-of", "2024-13-01"])
    assert bad.exit_code == 2

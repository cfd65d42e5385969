"""Gaps: per district ward and age band, the services that would take a family with a need.

Who a service takes is decided by `navigator.core.eligibility`, never re-implemented here.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, Field

from navigator.core.analytics.areas import AreaIndex, Ward
from navigator.core.eligibility import Context, decide
from navigator.core.family import Family
from navigator.core.geography import Location
from navigator.core.models import Eligibility, Level, Map, Rule, RuleKind, Service, Stage
from navigator.core.search import require_need


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

_STATUS_RANK = {Eligibility.not_eligible: 0, Eligibility.check: 1, Eligibility.eligible: 2}

Cell = tuple[str, AgeBand]


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
class Answer:
    """A service's best answer for a cell: eligible, or subject to the checks listed."""

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


def _better(old: Answer | None, new: Answer) -> Answer:
    if old is None or _STATUS_RANK[new.status] > _STATUS_RANK[old.status]:
        return new
    if new.status is old.status is Eligibility.check:
        return Answer(old.status, tuple(dict.fromkeys(old.checks + new.checks)))
    return old


def grid(
    *,
    map: Map,
    index: AreaIndex,
    need: str,
    level: Level,
    day: dt.date,
    services: Sequence[Service],
    signatures: dict[str, tuple[object, ...]],
    cells: set[Cell] | None = None,
    first_only: bool = False,
) -> dict[Cell, dict[str, Answer]]:
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

    out: dict[Cell, dict[str, Answer]] = {}
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


def _location(ward: Ward, areas: tuple[str, ...]) -> Location:
    """Where a family of the ward lives, in `areas`."""
    return Location(
        postcode=ward.sample_postcode,
        known=True,
        local_authority=ward.local_authority,
        local_authority_code=ward.local_authority_code,
        ward=ward.name,
        ward_code=ward.code,
        areas=list(areas),
    )


def _answers(
    *,
    map: Map,
    by_sig: dict[tuple[object, ...], list[Service]],
    families: list[Family],
    ward: Ward,
    partial: tuple[str, ...],
    day: dt.date,
    first_only: bool,
) -> dict[tuple[object, ...], Answer]:
    """Each signature's best answer for these families living in `ward`, at any of their ages."""
    answers: dict[tuple[object, ...], Answer] = {}
    # With areas that cover only part of the ward, ask twice: as a family outside them (then
    # a service takes everyone in the ward) and inside them (then only some).
    variants = [(ward.areas, False)] + ([(ward.areas + partial, True)] if partial else [])
    for in_areas, only_some in variants:
        firm = set(answers) if only_some else set()
        location = _location(ward, in_areas)
        for family in families:
            ctx = Context.build(map=map, family=family, location=location, day=day)
            for sig, group in by_sig.items():
                if sig in firm:
                    continue  # already takes families in the rest of the ward
                d = decide(group[0], ctx, sig)
                if d.status is Eligibility.not_eligible:
                    continue
                answer = Answer(d.status, d.checks)
                if only_some:
                    note = (
                        f"Only some postcodes of the ward are in the "
                        f"{', '.join(partial)} area: check the family's postcode"
                    )
                    answer = Answer(Eligibility.check, (*d.checks, note))
                answers[sig] = _better(answers.get(sig), answer)
                if first_only:
                    return answers
    return answers


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
    require_need(need, map.need_codes(), loc=("need",))
    found = grid(
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
            answers = found.get((w.code, band), {})
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

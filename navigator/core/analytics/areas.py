"""Postcodes as bitsets: the analytics' universe, each area and each district ward.

Geography is counted in unit postcodes, never guessed from a district. The universe is the
postcodes of the areas the map's analytics policy names (for Bradford, `bradford-district` and
`bdc-nhs`: Bradford plus the old Craven district): the table also holds neighbouring
authorities, and counting those would make every service of the district look like it covers
a sliver of its footprint. The wards are those of the policy's district area.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from navigator.core.geography import PostcodeTable, district, in_area
from navigator.core.models import Area, Map, Rule, RuleKind
from navigator.core.service_index import bits


def bit_list(value: int) -> list[int]:
    """The positions of a bitset's set bits, lowest first."""
    out = []
    while value:
        low = value & -value
        out.append(low.bit_length() - 1)
        value ^= low
    return out


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


@dataclass
class _Positions:
    """Bit positions gathered while walking the postcode table."""

    size: int = 0
    areas: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    wards: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Per ward, its first postcode and local authority.
    samples: dict[str, tuple[str, str]] = field(default_factory=dict)


def _positions(*, map: Map, postcodes: PostcodeTable) -> _Positions:
    """Each universe postcode a bit position; the areas and district wards it lies in."""
    areas = map.areas
    district_area = map.policy.analytics.district_area
    by_id = {a.id: a for a in areas}
    bounds = [by_id[a] for a in map.policy.analytics.universe_areas if a in by_id]
    memo: dict[tuple[str, str, str], tuple[str, ...]] = {}
    out = _Positions()
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
            out.areas[area_id].append(out.size)
        if district_area in member and ward:
            out.wards[ward].append(out.size)
            out.samples.setdefault(ward, (postcode, lad))
        out.size += 1
    return out


def _ward(
    code: str, where: list[int], found: _Positions, area_bits: dict[str, int], t: PostcodeTable
) -> Ward:
    ward_bits = bits(where, found.size)
    count = len(where)
    shared = {a: (ward_bits & b).bit_count() for a, b in area_bits.items()}
    sample, lad = found.samples[code]
    return Ward(
        code=code,
        name=t.ward_names.get(code, code),
        local_authority=t.lad_names.get(lad),
        local_authority_code=lad,
        sample_postcode=sample,
        postcodes=ward_bits,
        count=count,
        areas=tuple(a for a, n in shared.items() if n == count),
        partial_areas=tuple(a for a, n in shared.items() if 0 < n < count),
    )


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
    def build(cls, *, map: Map, postcodes: PostcodeTable) -> AreaIndex:
        """Over the areas the map's analytics policy names as the universe and the district."""
        found = _positions(map=map, postcodes=postcodes)
        size = found.size
        area_bits = {a.id: bits(found.areas.get(a.id, ()), size) for a in map.areas}
        wards = [
            _ward(code, where, found, area_bits, postcodes) for code, where in found.wards.items()
        ]
        wards.sort(key=lambda w: (w.name, w.code))
        return cls(universe=(1 << size) - 1, size=size, areas=area_bits, wards=tuple(wards))

    def ward(self, code: str) -> Ward | None:
        return next((w for w in self.wards if w.code == code), None)

    def with_wards(self, area: Area, ward_codes: Sequence[str]) -> AreaIndex:
        """This index plus `area`, made of whole district wards (`ward_codes`, all known).

        Exactly what building with the area would give, without walking the table again: a
        district ward's postcodes are those the index holds for it.
        """
        chosen = set(ward_codes)
        footprint = 0
        for w in self.wards:
            if w.code in chosen:
                footprint |= w.postcodes
        wards = tuple(
            dataclasses.replace(w, areas=(*w.areas, area.id)) if w.code in chosen else w
            for w in self.wards
        )
        areas = self.areas | {area.id: footprint}
        return AreaIndex(universe=self.universe, size=self.size, areas=areas, wards=wards)

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

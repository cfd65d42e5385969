"""Place names for search: the postcode table's wards and the seed's towns, each as the set of
(local authority, ward, postcode district) it covers, so "does this service work in Keighley?"
is decided like any area rule: per unit postcode, never guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from navigator.core.geography import PostcodeTable, district, in_area
from navigator.core.models import Area, Map, Rule, RuleKind, Service

Cell = tuple[str, str, str]  # local authority code, ward code, postcode district


@dataclass(frozen=True)
class Place:
    name: str
    kind: str  # "town" or "ward"
    cells: frozenset[Cell]


@dataclass(frozen=True)
class PlaceIndex:
    places: tuple[Place, ...]

    @classmethod
    def build(cls, *, map: Map, postcodes: PostcodeTable) -> PlaceIndex:
        by_ward: dict[str, set[Cell]] = {}
        for postcode, (lad, ward) in postcodes.units.items():
            if lad and ward:
                by_ward.setdefault(ward, set()).add((lad, ward, district(postcode)))
        every = {c for cells in by_ward.values() for c in cells}
        towns = []
        for p in map.vocabulary.places:
            shape = Area(id="place", name=p.name, any_of=p.any_of)
            cells = frozenset(
                c
                for c in every
                if in_area(shape, lad_code=c[0], ward_code=c[1], postcode_district=c[2])
            )
            towns.append(Place(p.name, "town", cells))
        wards = [
            Place(postcodes.ward_names.get(code, code), "ward", frozenset(cells))
            for code, cells in sorted(by_ward.items())
        ]
        return cls(tuple(towns + wards))


def covers(area: Area, cells: frozenset[Cell]) -> int:
    """How many of a place's cells lie in `area`."""
    return sum(in_area(area, lad_code=c[0], ward_code=c[1], postcode_district=c[2]) for c in cells)


def serves(service: Service, place: Place, areas: dict[str, Area], day: dt.date) -> str | None:
    """'all', 'part' or None: whether the service's area rules in force take families there."""
    shares: list[float] = []

    def share(rule: Rule) -> float | None:
        """Share of the place a rule allows; None when it does not depend on where they live."""
        if rule.kind is RuleKind.area:
            area = areas.get(rule.area or "")
            return covers(area, place.cells) / len(place.cells) if area and place.cells else 0.0
        if rule.kind is RuleKind.any_of:
            parts = [share(r) for r in rule.rules if r.active_on(day)]
            known = [p for p in parts if p is not None]
            return None if len(known) < len(parts) else max(known, default=0.0)
        return None

    for rule in service.rules:
        if rule.active_on(day) and (s := share(rule)) is not None:
            shares.append(s)
    lowest = min(shares, default=1.0)
    if lowest == 0:
        return None
    return "all" if lowest == 1 else "part"

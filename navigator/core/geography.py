"""Unit postcodes: normalise, look up in O(1), and decide area membership per unit postcode.

Membership is never guessed from a postcode's district or sector: several sectors are split
between Better Start Bradford wards and others, and several districts between local authorities.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from navigator.core.errors import InvalidPostcode
from navigator.core.models import COUNTRY_CODES, Area

# The Royal Mail pattern: outward code (area, district, optional letter) + inward code.
_POSTCODE = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$")


def normalise(raw: str) -> str:
    """'bd39ab' or ' BD3  9AB ' -> 'BD3 9AB'; raises InvalidPostcode when not well-formed."""
    compact = re.sub(r"\s+", "", raw).upper()
    if not _POSTCODE.match(compact):
        raise InvalidPostcode(
            f"{raw.strip()!r} is not a UK postcode: expected something like BD3 9AB",
            loc=("postcode",),
        )
    return f"{compact[:-3]} {compact[-3:]}"


def district(postcode: str) -> str:
    """The outward code of a normalised postcode: 'BD3 9AB' -> 'BD3'."""
    return postcode.split(" ", 1)[0]


class Location(BaseModel):
    postcode: str
    known: bool
    local_authority: str | None = None
    local_authority_code: str | None = None
    ward: str | None = None
    ward_code: str | None = None
    areas: list[str] = []


@dataclass(frozen=True, slots=True)
class PostcodeTable:
    """Unit postcode -> (local authority code, ward code), with names for the codes."""

    units: dict[str, tuple[str, str]]
    lad_names: dict[str, str]
    ward_names: dict[str, str]

    @classmethod
    def load(cls, folder: Path) -> PostcodeTable:
        def names(file: str, key: str) -> dict[str, str]:
            with (folder / file).open(newline="", encoding="utf-8") as fh:
                return {row[key]: row["name"] for row in csv.DictReader(fh)}

        units: dict[str, tuple[str, str]] = {}
        interned: dict[str, str] = {}
        with (folder / "postcodes.csv").open(newline="", encoding="utf-8") as fh:
            rows = csv.reader(fh)
            next(rows)
            for postcode, lad, ward in rows:
                units[postcode] = (
                    interned.setdefault(lad, lad),
                    interned.setdefault(ward, ward),
                )
        return cls(units, names("lads.csv", "lad_code"), names("wards.csv", "ward_code"))

    def __len__(self) -> int:
        return len(self.units)

    def postcodes_in_ward(self, ward_code: str) -> list[str]:
        return [p for p, (_, w) in self.units.items() if w == ward_code]


def country_of(lad_code: str) -> str | None:
    """The GSS country code of a local authority code: 'E08000032' -> 'E92000001'."""
    return COUNTRY_CODES.get(lad_code[:1]) if lad_code else None


def in_area(area: Area, *, lad_code: str, ward_code: str, postcode_district: str) -> bool:
    return any(
        (not c.lad_codes or lad_code in c.lad_codes)
        and (not c.ward_codes or ward_code in c.ward_codes)
        and (not c.postcode_districts or postcode_district in c.postcode_districts)
        and (not c.countries or country_of(lad_code) in c.countries)
        for c in area.any_of
    )


def locate(raw: str, *, table: PostcodeTable, areas: list[Area]) -> Location:
    """Where a postcode is; `known: false` (and no areas) when it is not in the table."""
    postcode = normalise(raw)
    unit = table.units.get(postcode)
    if unit is None or not unit[0]:
        # Not in the table, or no geography recorded (PO boxes, terminated codes): never guess.
        return Location(postcode=postcode, known=False)
    lad, ward = unit
    return Location(
        postcode=postcode,
        known=True,
        local_authority=table.lad_names.get(lad),
        local_authority_code=lad,
        ward=table.ward_names.get(ward),
        ward_code=ward or None,
        areas=[
            a.id
            for a in areas
            if in_area(a, lad_code=lad, ward_code=ward, postcode_district=district(postcode))
        ],
    )

from __future__ import annotations

import pytest

from navigator.core.errors import InvalidPostcode
from navigator.core.geography import PostcodeTable, locate, normalise
from navigator.core.models import Map


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BD3 9AB", "BD3 9AB"),
        ("bd39ab", "BD3 9AB"),
        ("  bd3   9ab ", "BD3 9AB"),
        ("ls299aa", "LS29 9AA"),
    ],
)
def test_normalise_accepts_any_spacing_or_case(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize("raw", ["", "BD3", "BD3 9A", "12345", "BD3 9AB X", "B<3 9AB", "BD3 9CB"])
def test_normalise_rejects_malformed(raw: str) -> None:
    with pytest.raises(InvalidPostcode) as info:
        normalise(raw)
    assert info.value.field == "postcode"


def areas_of(code: str, table: PostcodeTable, seed_map: Map) -> list[str]:
    return locate(code, table=table, areas=seed_map.areas).areas


def test_table_holds_every_unit_postcode(postcodes: PostcodeTable) -> None:
    assert len(postcodes) == 74_856


@pytest.mark.parametrize(
    ("inside", "outside"),
    [("BD5 0AU", "BD5 0AA"), ("BD4 9HS", "BD4 9AA"), ("BD1 4AA", "BD1 4AB")],
)
def test_split_sector_resolves_both_ways(
    inside: str, outside: str, postcodes: PostcodeTable, seed_map: Map
) -> None:
    assert "bsb" in areas_of(inside, postcodes, seed_map)
    out = areas_of(outside, postcodes, seed_map)
    assert "bsb" not in out
    assert "bradford-district" in out


def test_bsb_location_names_ward(postcodes: PostcodeTable, seed_map: Map) -> None:
    loc = locate("bd3 9ab", table=postcodes, areas=seed_map.areas)
    assert loc.known
    assert loc.postcode == "BD3 9AB"
    assert loc.local_authority == "Bradford"
    assert loc.ward == "Bowling and Barkerend"
    assert set(loc.areas) >= {"bsb", "bradford-district", "bdc-nhs"}


def test_ilkley_is_in_the_district(postcodes: PostcodeTable, seed_map: Map) -> None:
    assert {"bradford-district", "bdc-nhs"} <= set(areas_of("LS29 8AA", postcodes, seed_map))


@pytest.mark.parametrize("code", ["BD23 1AA", "BD20 7AA", "BD24 9AA"])
def test_craven_is_nhs_footprint_not_district(
    code: str, postcodes: PostcodeTable, seed_map: Map
) -> None:
    found = areas_of(code, postcodes, seed_map)
    assert "bdc-nhs" in found
    assert "bradford-district" not in found


def test_bd20_bradford_half_is_in_district(postcodes: PostcodeTable, seed_map: Map) -> None:
    assert "bradford-district" in areas_of("BD20 7AG", postcodes, seed_map)


@pytest.mark.parametrize("code", ["LS1 1AA", "BD11 2AA"])
def test_leeds_and_kirklees_are_in_neither(
    code: str, postcodes: PostcodeTable, seed_map: Map
) -> None:
    found = areas_of(code, postcodes, seed_map)
    assert "bradford-district" not in found
    assert "bdc-nhs" not in found


@pytest.mark.parametrize("code", ["BD3 9ZZ", "SW1A 1AA", "BD5 5AA"])
def test_unknown_or_unplaced_postcode_is_not_guessed(
    code: str, postcodes: PostcodeTable, seed_map: Map
) -> None:
    loc = locate(code, table=postcodes, areas=seed_map.areas)
    assert loc.known is False
    assert loc.areas == []
    assert loc.ward is None

"""Search finds what people type, on the real seed: needs in their own words, typos, LMM's
interventions and place names; each hit says what it matched."""

from __future__ import annotations

import pytest

from navigator.core.geography import PostcodeTable
from navigator.core.models import Map
from navigator.core.places import PlaceIndex
from navigator.core.search import Hit, ServiceQuery, find_hits, term_score


@pytest.fixture(scope="module")
def places(seed_map: Map, postcodes: PostcodeTable) -> PlaceIndex:
    return PlaceIndex.build(map=seed_map, postcodes=postcodes)


def hits(m: Map, places: PlaceIndex, text: str) -> dict[str, Hit]:
    return {h.service.id: h for h in find_hits(m, ServiceQuery(text=text, places=places))}


@pytest.mark.parametrize(
    ("text", "finds", "matched"),
    [
        ("depression", "talking-therapies", "works with “depression”: Perinatal mental health"),
        ("PND", "talking-therapies", "works with “PND”: Perinatal mental health"),
        ("postnatal depresion", "perinatal-support-service", "“postnatal depression”"),
        ("baby blues", "health-visiting", "“baby blues”"),
        ("bonding", "little-minds-matter", "works with “bonding”: Parent–infant relationship"),
        (
            "attachment",
            "little-minds-matter",
            "works with “attachment”: Parent–infant relationship",
        ),
        ("attachment", "seads", "name"),
        ("domestic violence", "domestic-abuse", "works with “domestic violence”: Domestic abuse"),
        ("DV", "domestic-abuse", "works with “DV”: Domestic abuse"),
        ("circle of security", "little-minds-matter", "offers Circle of Security"),
        ("Keighley", "maternity-airedale", "its remit mentions “keighley”"),
        ("Keighley", "family-hubs", "works in Keighley"),
        ("Keighly", "health-visiting", "works in Keighley"),
        ("Bowling and Barkerend", "baby-steps", "works in Bowling and Barkerend ward"),
        ("Skipton", "first-response", "works in Skipton"),
        ("Start for Life", "little-minds-matter", "part of Start for Life"),
        ("litle minds mater", "little-minds-matter", "name"),
        ("IAPT", "talking-therapies", "formerly “IAPT”"),
    ],
)
def test_finds_what_people_type_and_says_what_matched(
    seed_map: Map, places: PlaceIndex, text: str, finds: str, matched: str
) -> None:
    found = hits(seed_map, places, text)
    assert finds in found, sorted(found)
    assert matched in found[finds].matched


def test_a_place_finds_only_services_working_there(seed_map: Map, places: PlaceIndex) -> None:
    keighley = hits(seed_map, places, "Keighley")
    assert "baby-steps" not in keighley  # a Better Start Bradford project: not in Keighley
    assert "little-minds-matter" in keighley
    skipton = hits(seed_map, places, "Skipton")
    assert "family-hubs" not in skipton  # Bradford district only
    assert "talking-therapies" in skipton  # the NHS footprint reaches Craven


def test_a_name_still_beats_what_a_service_does(seed_map: Map, places: PlaceIndex) -> None:
    found = find_hits(seed_map, ServiceQuery(text="Little Minds Matter", places=places))
    assert found[0].service.id == "little-minds-matter"
    assert found[0].matched == "name"


def test_no_noise_from_partial_names(seed_map: Map, places: PlaceIndex) -> None:
    # "baby blues" is a mood, not the Specialist Mother and Baby service or Baby Steps by name.
    found = hits(seed_map, places, "baby blues")
    assert all(not h.matched.startswith(("name", "also known")) for h in found.values())
    assert hits(seed_map, places, "zzzz") == {}


@pytest.mark.parametrize(
    ("typed", "term", "matches"),
    [
        ("PND", "PND", True),
        ("pnd", "PND", True),
        ("PN", "PND", False),
        ("DV", "IDVA", False),
        ("domestic violence support", "domestic violence", True),
        ("postnatal depresion", "postnatal depression", True),
        ("housing", "homelessness", False),
    ],
)
def test_terms_match_exactly_when_short_and_with_a_typo_when_long(
    typed: str, term: str, matches: bool
) -> None:
    assert (term_score(typed, term) >= 85) is matches

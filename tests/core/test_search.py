"""The one service query, used by the API list, the directory, ORUK and FHIR."""

from __future__ import annotations

import datetime as dt

import pytest

from navigator.core.errors import UnknownNeed
from navigator.core.models import Level, Map, Ring
from navigator.core.search import ServiceQuery, find_services


def ids(m: Map, **query: object) -> list[str]:
    return [s.id for s in find_services(m, ServiceQuery(**query))]  # type: ignore[arg-type]


def test_no_filter_is_every_service_in_map_order(mini_map: Map) -> None:
    assert ids(mini_map) == [s.id for s in mini_map.services]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"need": "housing"}, ["housing", "refuge"]),
        ({"ring": Ring.core}, ["health-visiting", "little-minds-matter"]),
        ({"level": Level.specialist}, ["little-minds-matter"]),
        ({"as_of": dt.date(2024, 6, 1)}, ["health-visiting", "little-minds-matter", "housing"]),
        ({"as_of": dt.date(2018, 6, 11)}, ["health-visiting", "housing", "refuge"]),
        ({"name_contains": "HOUS"}, ["housing"]),
        ({"need": "housing", "ring": Ring.outer, "level": Level.targeted}, ["housing", "refuge"]),
        ({"order": "name"}, ["health-visiting", "housing", "little-minds-matter", "refuge"]),
    ],
)
def test_filters(mini_map: Map, query: dict[str, object], expected: list[str]) -> None:
    assert ids(mini_map, **query) == expected


def test_active_on_finds_running_or_ended_services(mini_map: Map) -> None:
    day = dt.date(2024, 6, 1)
    assert ids(mini_map, active_on=(day, False)) == ["refuge"]
    assert "refuge" not in ids(mini_map, active_on=(day, True))


def test_text_finds_typos_aliases_and_former_names_best_first(mini_map: Map) -> None:
    assert ids(mini_map, text="LMM") == ["little-minds-matter"]
    assert ids(mini_map, text="Homelessness Unit") == ["housing"]
    assert ids(mini_map, text="litle minds mater")[0] == "little-minds-matter"
    assert ids(mini_map, text="zzzz") == []


def test_stale_services_come_oldest_first(seed_map: Map) -> None:
    found = find_services(seed_map, ServiceQuery(stale_before=dt.date(2100, 1, 1)))
    assert len(found) == len(seed_map.services)
    days = [s.last_verified for s in found]
    assert days == sorted(days)
    assert ids(seed_map, stale_before=min(days)) == []


def test_an_unknown_need_is_refused_naming_the_field(mini_map: Map) -> None:
    with pytest.raises(UnknownNeed) as caught:
        find_services(mini_map, ServiceQuery(need="nope", need_field="taxonomy_term_id"))
    assert caught.value.loc == ("taxonomy_term_id",)
    assert "nope" in caught.value.message


def test_a_feed_s_own_filter_applies(mini_map: Map) -> None:
    query = ServiceQuery(where=(lambda s: s.confidential_address,))
    assert [s.id for s in find_services(mini_map, query)] == ["refuge"]

"""A snapshot: one map version and what is derived from it; ETags over what is published."""

from __future__ import annotations

import datetime as dt

import pytest

from navigator.core.family import Family
from navigator.core.geography import PostcodeTable
from navigator.core.models import Map
from navigator.core.snapshot import Snapshot, etag_of, service_etag


def test_etags_are_stable_and_change_with_content(mini_map: Map) -> None:
    housing = mini_map.service("housing")
    assert housing is not None
    assert service_etag(housing) == service_etag(housing.model_copy())
    renamed = housing.model_copy(update={"name": "Housing Options Team"})
    assert service_etag(renamed) != service_etag(housing)
    assert etag_of({"a": 1, "b": 2}) == etag_of({"b": 2, "a": 1})
    assert etag_of({"a": 1}).startswith('"')


def test_a_snapshot_derives_once_and_answers(mini_map: Map, postcodes: PostcodeTable) -> None:
    snap = Snapshot(map=mini_map, version=7, postcodes=postcodes)
    assert snap.graph is snap.graph  # built once, then shared
    housing = mini_map.service("housing")
    assert housing is not None
    assert snap.etag("housing") == service_etag(housing) == snap.etag("housing")
    with pytest.raises(KeyError):
        snap.etag("no-such-service")
    assert snap.locate("bd3 9ab").ward == "Bowling and Barkerend"
    family = Family(postcode="BD3 9AB", stage="postnatal", child_age_months=7, needs=["housing"])
    result = snap.navigate(family, dt.date(2024, 6, 1))
    assert [r.service_id for r in result.recommendations] == ["housing"]

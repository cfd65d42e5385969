"""The three-ring map as pyvis draws it: positions, styles, offline output and its cache."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

import pytest
from pyvis.network import Network

from navigator.core.models import EdgeKind, Map, Ring
from web.mapview import (
    EDGE_STYLE,
    RING_COLOUR,
    RING_RADIUS,
    MapCache,
    assets,
    build,
    positions,
    split,
)

DAY = dt.date(2026, 11, 1)


def data(network_html: str, name: str) -> list[dict[str, Any]]:
    found = re.search(rf"{name} = new vis\.DataSet\((\[.*?\])\);", network_html)
    assert found, name
    parsed: list[dict[str, Any]] = json.loads(found.group(1))
    return parsed


def test_services_sit_on_their_rings_circle(seed_map: Map) -> None:
    services = seed_map.active_services(DAY)
    where = positions(services)
    assert set(where) == {s.id for s in services}
    for s in services:
        x, y = where[s.id]
        assert math.hypot(x, y) == pytest.approx(RING_RADIUS[s.ring], abs=0.5)
    assert len(set(where.values())) == len(where)
    assert RING_RADIUS[Ring.core] < RING_RADIUS[Ring.grey] < RING_RADIUS[Ring.outer]


def test_fixed_positions_colours_and_edge_styles(seed_map: Map) -> None:
    view = build(seed_map, need=None, day=DAY)
    nodes = data(view.network, "nodes")
    edges = data(view.network, "edges")
    active = {s.id: s for s in seed_map.active_services(DAY)}
    where = positions(list(active.values()))
    assert {n["id"] for n in nodes} == set(active)
    assert view.node_count == len(nodes) >= 30
    for n in nodes:
        assert n["physics"] is False
        assert n["color"] == RING_COLOUR[active[n["id"]].ring]
        assert (n["x"], n["y"]) == where[n["id"]]  # fixed: physics never moves them
    assert '"physics": {"enabled": false}' in view.network
    kinds = {(e.source, e.target, e.kind) for e in seed_map.active_edges(DAY)}
    assert len(edges) == len(kinds) == view.edge_count

    def styled(kind: EdgeKind) -> list[dict[str, Any]]:
        return [e for e in edges if e["dashes"] == EDGE_STYLE[kind]["dashes"]]

    refers, consults, signposts = (styled(k) for k in EdgeKind)
    assert len(refers) + len(consults) + len(signposts) == len(edges)
    assert all(e["dashes"] is False and e["arrows"] == "to" for e in refers)  # solid arrows
    assert consults
    assert all(e["dashes"] == [8, 5] for e in consults)  # dashed
    assert signposts
    assert all(e["dashes"] == [2, 5] for e in signposts)  # dotted
    assert all(e["width"] < refers[0]["width"] for e in signposts)  # and lighter
    assert {e["color"] for e in signposts} == {"#aeb7bd"}


def test_need_filter_keeps_only_its_services_and_their_links(seed_map: Map) -> None:
    view = build(seed_map, need="infant_feeding", day=DAY)
    ids = {n["id"] for n in data(view.network, "nodes")}
    assert ids
    assert all("infant_feeding" in s.needs for s in seed_map.services if s.id in ids)
    for e in data(view.network, "edges"):
        assert e["from"] in ids
        assert e["to"] in ids


def test_tooltips_say_remit_and_eligibility_in_words(seed_map: Map) -> None:
    view = build(seed_map, need=None, day=DAY)
    lmm = next(n for n in data(view.network, "nodes") if n["id"] == "little-minds-matter")
    assert "Bradford&#x27;s infant mental health service" in lmm["title"]
    assert "Lives in the Bradford district" in lmm["title"]
    assert "Pregnancy to the second birthday" in lmm["title"]


def test_pyvis_output_is_stripped_of_every_outside_url() -> None:
    page = Network(cdn_resources="in_line").generate_html()
    assert "cdn.jsdelivr.net" in page  # what pyvis adds, so stripping it is tested for real
    library, body = split(page)
    for part in (body, library["style"]):
        assert "://" not in part
    assert "cdn.jsdelivr.net" not in library["script"]
    assert 'id="mynetwork"' in body
    assert "vis-network" in library["script"]
    assert len(library["script"]) > 400_000  # the library itself, inlined by pyvis
    assert set(assets()) == {"vis-network.js", "vis-network.css"}


def test_network_html_has_no_url(seed_map: Map) -> None:
    view = build(seed_map, need=None, day=DAY)
    assert "://" not in view.network
    assert "<link" not in view.network


def test_cache_builds_once_per_snapshot_need_and_day(mini_map: Map) -> None:
    cache = MapCache(size=2)
    first, second = object(), object()
    a = cache.get(first, mini_map, need=None, day=DAY)
    assert cache.get(first, mini_map, need=None, day=DAY) is a
    assert cache.builds == 1
    cache.get(first, mini_map, need="housing", day=DAY)
    assert cache.builds == 2
    # A new snapshot (an edit to the map) starts afresh.
    assert cache.get(second, mini_map, need=None, day=DAY) is not a
    assert cache.builds == 3
    # Bounded: the least recently used entry goes.
    cache.get(second, mini_map, need="housing", day=DAY)
    cache.get(second, mini_map, need=None, day=DAY + dt.timedelta(days=1))
    cache.get(second, mini_map, need=None, day=DAY)
    assert cache.builds == 6

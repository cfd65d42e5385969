"""The referral graph: dated edges, cheapest pathways, consult-or-refer on each hop."""

from __future__ import annotations

import datetime as dt

import pytest

from navigator.core.graph import ReferralGraph, Step
from navigator.core.models import Edge, EdgeKind, Map

DAY = dt.date(2024, 6, 1)


def _with_edges(m: Map, *edges: Edge) -> Map:
    return m.model_copy(update={"edges": list(edges)})


def _edge(source: str, target: str, kind: EdgeKind, **dates: dt.date) -> Edge:
    return Edge(source=source, target=target, kind=kind, **dates)


@pytest.mark.parametrize(
    ("consult_first", "kind"), [(True, "consults"), (False, "refers")], ids=["low", "high"]
)
def test_a_hop_with_both_kinds_consults_or_refers_as_asked(
    mini_map: Map, consult_first: bool, kind: str
) -> None:
    path = ReferralGraph(mini_map).pathway(
        "health-visiting", "little-minds-matter", day=DAY, self_referral=False,
        consult_first=consult_first,
    )  # fmt: skip
    assert path is not None
    assert path.services == ["health-visiting", "little-minds-matter"]
    assert path.steps == (Step("health-visiting", "little-minds-matter", kind),)


def test_signposting_costs_more_than_two_firm_hops(mini_map: Map) -> None:
    m = _with_edges(
        mini_map,
        _edge("health-visiting", "housing", EdgeKind.signposts),
        _edge("health-visiting", "little-minds-matter", EdgeKind.refers),
        _edge("little-minds-matter", "housing", EdgeKind.refers),
    )
    # Direct signpost costs 1.6; two referrals cost 2.0: the signpost still wins, and a
    # signpost costing more than one firm hop is what the weights say.
    path = ReferralGraph(m).pathway("health-visiting", "housing", day=DAY, self_referral=False)
    assert path is not None
    assert path.steps == (Step("health-visiting", "housing", "signposts"),)
    m2 = _with_edges(
        m,
        _edge("health-visiting", "housing", EdgeKind.signposts),
        _edge("health-visiting", "housing", EdgeKind.refers),
    )
    firm = ReferralGraph(m2).pathway("health-visiting", "housing", day=DAY, self_referral=False)
    assert firm is not None
    assert firm.steps[0].kind == "refers"


def test_edges_count_only_on_their_own_days(mini_map: Map) -> None:
    edge = _edge(
        "health-visiting",
        "housing",
        EdgeKind.refers,
        valid_from=dt.date(2024, 6, 1),
        valid_to=dt.date(2024, 6, 30),
    )
    graph = ReferralGraph(_with_edges(mini_map, edge))
    for day, expected in (
        (dt.date(2024, 5, 31), None),
        (dt.date(2024, 6, 1), ["health-visiting", "housing"]),
        (dt.date(2024, 6, 30), ["health-visiting", "housing"]),
        (dt.date(2024, 7, 1), None),
    ):
        path = graph.pathway("health-visiting", "housing", day=day, self_referral=False)
        assert (path.services if path else None) == expected, day


def test_a_closed_service_is_never_on_a_route(mini_map: Map) -> None:
    m = _with_edges(
        mini_map,
        _edge("health-visiting", "refuge", EdgeKind.refers),
        _edge("refuge", "housing", EdgeKind.refers),
    )
    graph = ReferralGraph(m)
    before = graph.pathway(
        "health-visiting", "housing", day=dt.date(2024, 5, 1), self_referral=False
    )
    assert before is not None
    assert before.services == ["health-visiting", "refuge", "housing"]
    # The refuge closed on 31 May 2024: from June there is no route through it.
    assert graph.pathway("health-visiting", "housing", day=DAY, self_referral=False) is None


def test_self_referral_is_the_route_when_no_edge_reaches(mini_map: Map) -> None:
    graph = ReferralGraph(_with_edges(mini_map))
    assert graph.pathway("health-visiting", "housing", day=DAY, self_referral=False) is None
    path = graph.pathway("health-visiting", "housing", day=DAY, self_referral=True)
    assert path is not None
    assert path.steps == (Step("health-visiting", "housing", "self_referral"),)

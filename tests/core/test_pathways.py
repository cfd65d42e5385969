"""Pathways through the referral graph on small hand-built maps: firm edges before signposts,
never through a closed service or edge, the fewest services on a practical route."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from navigator.core.graph import Pathway, ReferralGraph, Step
from navigator.core.models import Edge, Map

from .build import DAY, edge, service, with_map

A, B, C, D, E, F, T = "a", "b", "c", "d", "e", "f", "t"
CLOSED = {"valid_to": "2024-05-31"}  # before DAY
LATER = {"valid_from": "2024-06-02"}  # after DAY


def graph_of(
    *edges: Edge, closed: tuple[str, ...] = (), later: tuple[str, ...] = ()
) -> ReferralGraph:
    ids = sorted({x for e in edges for x in (e.source, e.target)} | {A, T} | set(closed))
    services = [service(i, **(CLOSED if i in closed else LATER if i in later else {})) for i in ids]
    return ReferralGraph(with_map(*services, edges=list(edges), keep_lmm=False))


def route(
    g: ReferralGraph,
    *,
    practical: bool = False,
    consult_first: bool = True,
    self_referral: bool = False,
    avoid: tuple[str, ...] = (),
    day: dt.date = DAY,
) -> list[tuple[str, str, str]] | None:
    p = g.pathway(
        A, T, day=day, self_referral=self_referral, consult_first=consult_first,
        avoid=avoid, practical=practical,
    )  # fmt: skip
    if p is None:
        return None
    assert p.services == [A, *(s.target for s in p.steps)]
    return [(s.source, s.target, s.kind) for s in p.steps]


# --- the cheapest route: consult or refer before signposting ------------------------------------


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        # A signpost (1.6) is cheaper than two firm hops (2.0) ...
        (
            [edge(A, T, "signposts"), edge(A, B, "refers"), edge(B, T, "refers")],
            [(A, T, "signposts")],
        ),
        # ... but a firm hop beats a signpost on the same way, and on another way of one hop.
        ([edge(A, T, "signposts"), edge(A, T, "refers")], [(A, T, "refers")]),
        ([edge(A, T, "refers"), edge(A, T, "signposts")], [(A, T, "refers")]),
        (
            [
                edge(A, B, "signposts"),
                edge(B, T, "signposts"),
                edge(A, C, "refers"),
                edge(C, T, "consults"),
            ],
            [(A, C, "refers"), (C, T, "consults")],
        ),
        # Two firm hops (2.0) beat a firm and a signpost (2.6), whichever comes first.
        (
            [
                edge(A, B, "refers"),
                edge(B, T, "signposts"),
                edge(A, C, "consults"),
                edge(C, T, "refers"),
            ],
            [(A, C, "consults"), (C, T, "refers")],
        ),
        # A way signposted and then also referred costs what a referral does (2.6 < 3.0 < 3.2).
        (
            [
                edge(A, B, "signposts"),
                edge(A, B, "refers"),
                edge(B, T, "signposts"),
                edge(A, C, "refers"),
                edge(C, D, "refers"),
                edge(D, T, "refers"),
            ],
            [(A, B, "refers"), (B, T, "signposts")],
        ),
        # The cheapest, not the shortest: three referrals (3.0) before two signposts (3.2).
        (
            [
                edge(A, B, "signposts"),
                edge(B, T, "signposts"),
                edge(A, C, "refers"),
                edge(C, D, "refers"),
                edge(D, T, "refers"),
            ],
            [(A, C, "refers"), (C, D, "refers"), (D, T, "refers")],
        ),
        ([edge(T, A, "refers")], None),
        ([], None),
    ],
)
def test_cheapest_route_prefers_consult_and_refer(
    edges: list[Edge], expected: list[tuple[str, str, str]] | None
) -> None:
    assert route(graph_of(*edges)) == expected


@pytest.mark.parametrize(
    ("consult_first", "kind"), [(True, "consults"), (False, "refers")], ids=["consult", "refer"]
)
@pytest.mark.parametrize("practical", [False, True])
def test_a_hop_that_both_consults_and_refers_does_as_the_level_says(
    consult_first: bool, kind: str, practical: bool
) -> None:
    g = graph_of(
        edge(A, B, "refers"),
        edge(A, B, "consults"),
        edge(B, T, "consults"),
        edge(B, T, "refers"),
        edge(B, T, "signposts"),
    )
    assert route(g, consult_first=consult_first, practical=practical) == [
        (A, B, kind),
        (B, T, kind),
    ]


@pytest.mark.parametrize("consult_first", [True, False])
def test_a_signpost_only_when_nothing_firmer_is_on_that_hop(consult_first: bool) -> None:
    g = graph_of(edge(A, T, "signposts"))
    assert route(g, consult_first=consult_first) == [(A, T, "signposts")]
    assert route(
        graph_of(edge(A, T, "signposts"), edge(A, T, "consults")), consult_first=False
    ) == [(A, T, "consults")]
    assert route(graph_of(edge(A, T, "signposts"), edge(A, T, "refers")), consult_first=True) == [
        (A, T, "refers")
    ]


# --- closed services and edges are never on a route ---------------------------------------------


@pytest.mark.parametrize("practical", [False, True])
@pytest.mark.parametrize(
    ("case", "edges", "closed", "later"),
    [
        ("closed between", [edge(A, B, "refers"), edge(B, T, "refers")], (B,), ()),
        ("opens later between", [edge(A, B, "refers"), edge(B, T, "refers")], (), (B,)),
        ("closed target", [edge(A, T, "refers")], (T,), ()),
        ("closed source", [edge(A, T, "refers")], (A,), ()),
        ("closed edge", [edge(A, T, "refers", valid_to="2024-05-31")], (), ()),
        ("edge opens later", [edge(A, T, "refers", valid_from="2024-06-02")], (), ()),
    ],
)
def test_nothing_closed_on_the_day_is_on_a_route(
    practical: bool, case: str, edges: list[Edge], closed: tuple[str, ...], later: tuple[str, ...]
) -> None:
    assert route(graph_of(*edges, closed=closed, later=later), practical=practical) is None, case


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2024, 5, 31), None),
        (dt.date(2024, 6, 1), [(A, T, "refers")]),
        (dt.date(2024, 6, 30), [(A, T, "refers")]),
        (dt.date(2024, 7, 1), None),
    ],
)
@pytest.mark.parametrize("practical", [False, True])
def test_an_edge_counts_from_its_first_day_to_its_last(
    day: dt.date, expected: list[tuple[str, str, str]] | None, practical: bool
) -> None:
    g = graph_of(edge(A, T, "refers", valid_from="2024-06-01", valid_to="2024-06-30"))
    assert route(g, day=day, practical=practical) == expected


def test_the_day_graph_holds_only_what_is_open_that_day() -> None:
    g = graph_of(
        edge(A, B, "refers"),
        edge(B, T, "refers", valid_to="2024-05-31"),
        edge(A, C, "refers"),
        closed=(C,),
    )
    assert route(g, day=dt.date(2024, 5, 1)) == [(A, B, "refers"), (B, T, "refers")]
    assert route(g) is None
    assert sorted(g.edges_on(DAY)) == [(A, B, "refers"), (A, C, "refers")]
    assert sorted(g.edges_on(dt.date(2024, 5, 1))) == [
        (A, B, "refers"),
        (A, C, "refers"),
        (B, T, "refers"),
    ]


def test_the_first_of_two_alike_edges_is_the_one_in_force() -> None:
    first = edge(A, T, "refers", note="Use the form.")
    g = graph_of(first, edge(A, T, "refers", note="Phone first."))
    assert g.edges_on(DAY) == {(A, T, "refers"): first}


# --- the family going themselves -----------------------------------------------------------------


@pytest.mark.parametrize("practical", [False, True])
def test_self_referral_when_no_edge_reaches(practical: bool) -> None:
    g = graph_of(edge(T, A, "refers"))
    assert route(g, practical=practical) is None
    assert route(g, practical=practical, self_referral=True) == [(A, T, "self_referral")]


def test_an_edge_beats_the_family_going_themselves() -> None:
    g = graph_of(edge(A, B, "refers"), edge(B, T, "refers"))
    assert route(g, self_referral=True) == [(A, B, "refers"), (B, T, "refers")]
    # A practical route: straight there, else the family goes themselves, else via others.
    assert route(g, self_referral=True, practical=True) == [(A, T, "self_referral")]
    assert route(g, self_referral=False, practical=True) == [(A, B, "refers"), (B, T, "refers")]
    direct = graph_of(edge(A, T, "signposts"))
    assert route(direct, self_referral=True, practical=True) == [(A, T, "signposts")]


def test_from_a_service_closed_that_day_only_the_family_can_go() -> None:
    g = graph_of(edge(A, T, "refers"), closed=(A,))
    assert route(g, self_referral=True) == [(A, T, "self_referral")]
    assert route(g, self_referral=True, practical=True) == [(A, T, "self_referral")]


# --- practical routes: fewest services on the way, never one the family cannot use ---------------


@pytest.mark.parametrize(
    ("edges", "avoid", "expected"),
    [
        # Fewer services on the way beat cheaper edges ...
        (
            [
                edge(A, B, "signposts"),
                edge(B, T, "signposts"),
                edge(A, C, "refers"),
                edge(C, D, "refers"),
                edge(D, T, "refers"),
            ],
            (),
            [(A, B, "signposts"), (B, T, "signposts")],
        ),
        # ... and among as few, firm edges win.
        (
            [
                edge(A, B, "signposts"),
                edge(B, T, "refers"),
                edge(A, C, "refers"),
                edge(C, T, "refers"),
            ],
            (),
            [(A, C, "refers"), (C, T, "refers")],
        ),
        # Never through a service the family cannot use: the longer way round instead ...
        (
            [
                edge(A, B, "refers"),
                edge(B, T, "refers"),
                edge(A, C, "refers"),
                edge(C, D, "refers"),
                edge(D, T, "refers"),
            ],
            (B,),
            [(A, C, "refers"), (C, D, "refers"), (D, T, "refers")],
        ),
        # ... or no route at all; the practitioner's own service is never avoided.
        ([edge(A, B, "refers"), edge(B, T, "refers")], (B,), None),
        ([edge(A, B, "refers"), edge(B, T, "refers")], (A,), [(A, B, "refers"), (B, T, "refers")]),
        ([edge(A, B, "refers"), edge(B, T, "refers")], (T,), None),
    ],
)
def test_practical_routes(
    edges: list[Edge], avoid: tuple[str, ...], expected: list[tuple[str, str, str]] | None
) -> None:
    assert route(graph_of(*edges), practical=True, avoid=avoid) == expected


def test_a_way_both_signposted_and_referred_counts_as_referred_on_a_practical_route() -> None:
    # Three hops each way: two ways referred as well as signposted (33.0) beat a way with one
    # signpost (33.6), which beats the same two ways signposted only (34.2).
    g = graph_of(
        edge(A, B, "signposts"),
        edge(A, B, "refers"),
        edge(B, C, "signposts"),
        edge(B, C, "refers"),
        edge(C, T, "refers"),
        edge(A, D, "refers"),
        edge(D, E, "refers"),
        edge(E, T, "signposts"),
    )
    assert route(g, practical=True) == [(A, B, "refers"), (B, C, "refers"), (C, T, "refers")]


@pytest.mark.parametrize(
    ("steps", "long"),
    [(1, False), (2, False), (3, True), (4, True)],
)
def test_a_route_of_three_steps_or_more_is_long(steps: int, long: bool) -> None:
    chain = [A, *[B, C, D][: steps - 1], T]
    edges = [edge(u, v, "refers") for u, v in itertools.pairwise(chain)]
    p = graph_of(*edges).pathway(A, T, day=DAY, self_referral=False)
    assert p is not None
    assert (len(p.steps), p.long) == (steps, long)


def test_a_pathway_lists_its_services_and_steps() -> None:
    g = graph_of(edge(A, B, "consults"), edge(B, T, "signposts"))
    assert g.pathway(A, T, day=DAY, self_referral=False) == Pathway(
        services=[A, B, T], steps=(Step(A, B, "consults"), Step(B, T, "signposts"))
    )


# --- what a graph remembers ----------------------------------------------------------------------


def test_remember_builds_once_per_key_and_forgets_the_least_recently_used() -> None:
    g = ReferralGraph(with_map())
    built: list[str] = []

    def build(key: str) -> str:
        built.append(key)
        return key.upper()

    def ask(key: str) -> str:
        return g.remember(key, lambda: build(key), size=2)

    assert [ask("x"), ask("y"), ask("x")] == ["X", "Y", "X"]
    assert built == ["x", "y"]
    ask("z")  # over the size: y, the least recently used, is forgotten
    assert built == ["x", "y", "z"]
    assert [ask("x"), ask("z")] == ["X", "Z"]
    assert built == ["x", "y", "z"]
    ask("y")
    assert built == ["x", "y", "z", "y"]


def test_no_route_from_a_service_the_map_does_not_hold_on_the_day() -> None:
    m: Map = with_map(service(A), service(T), keep_lmm=False)
    g = ReferralGraph(m)
    assert g.pathway(A, T, day=DAY, self_referral=False, practical=True) is None
    assert g.paths_from("nowhere", DAY) == {}
    assert g.practical_paths("nowhere", DAY, frozenset()) == {}


def test_a_pathway_consults_first_unless_told_otherwise() -> None:
    g = graph_of(edge(A, T, "refers"), edge(A, T, "consults"))
    for practical in (False, True):
        p = g.pathway(A, T, day=DAY, self_referral=False, practical=practical)
        assert p is not None
        assert p.steps == (Step(A, T, "consults"),)

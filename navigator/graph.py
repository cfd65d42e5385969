"""The referral graph: typed, dated edges between services, and pathways through them."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from navigator.models import EdgeKind, Map

# Consultation and formal referral are the routes practitioners act on; a signpost leaves the
# family to make the call, so it costs more and is taken only when nothing firmer exists.
EDGE_COST = {EdgeKind.consults: 1.0, EdgeKind.refers: 1.0, EdgeKind.signposts: 1.6}


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    kind: str  # an EdgeKind, or "self_referral" when the family goes to the service directly


@dataclass(frozen=True)
class Pathway:
    services: list[str]
    steps: list[Step]


def build_graph(m: Map) -> Any:
    """Every edge ever recorded (a MultiDiGraph); dates are filtered when a path is sought."""
    g = nx.MultiDiGraph()
    for s in m.services:
        g.add_node(s.id, valid_from=s.valid_from, valid_to=s.valid_to)
    for e in m.edges:
        g.add_edge(
            e.source, e.target, key=e.kind.value, valid_from=e.valid_from, valid_to=e.valid_to
        )
    return g


def _active(attrs: dict[str, Any], day: dt.date) -> bool:
    start, end = attrs.get("valid_from"), attrs.get("valid_to")
    return (start is None or start <= day) and (end is None or day <= end)


def edge_cost(g: Any, day: dt.date) -> Callable[[str, str, dict[str, Any]], float | None]:
    """A weight function for networkx: the cheapest edge active on `day`; None hides the hop."""

    def cost(u: str, v: str, edges: dict[str, Any]) -> float | None:
        if not (_active(g.nodes[u], day) and _active(g.nodes[v], day)):
            return None
        costs = [EDGE_COST[EdgeKind(k)] for k, attrs in edges.items() if _active(attrs, day)]
        return min(costs) if costs else None

    return cost


def paths_from(g: Any, source: str, day: dt.date) -> dict[str, list[str]]:
    """Cheapest path from `source` to every service it reaches on `day`."""
    if source not in g or not _active(g.nodes[source], day):
        return {}
    _, paths = nx.single_source_dijkstra(g, source, weight=edge_cost(g, day))
    return dict(paths)


def steps_of(g: Any, path: list[str], day: dt.date, *, consult_first: bool) -> list[Step]:
    """The kind of each hop; where both exist, consult or refer as `consult_first` says."""
    ties = [EdgeKind.consults, EdgeKind.refers] if consult_first else [EdgeKind.refers]
    steps = []
    for u, v in itertools.pairwise(path):
        active = [EdgeKind(k) for k, a in g[u][v].items() if _active(a, day)]
        kind = min(
            active, key=lambda k: (EDGE_COST[k], k not in ties, ties.index(k) if k in ties else 0)
        )
        steps.append(Step(u, v, kind.value))
    return steps


def pathway(
    g: Any,
    paths: dict[str, list[str]],
    target: str,
    *,
    source: str,
    self_referral: bool,
    day: dt.date,
    consult_first: bool = True,
) -> Pathway | None:
    """The route from the practitioner's service to `target`, or None when there is none."""
    path = paths.get(target)
    if path is not None:
        return Pathway(services=path, steps=steps_of(g, path, day, consult_first=consult_first))
    if self_referral:
        return Pathway(services=[source, target], steps=[Step(source, target, "self_referral")])
    return None

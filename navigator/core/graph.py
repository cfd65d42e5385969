"""The referral graph: typed, dated edges between services, and pathways through them."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from navigator.core.models import EdgeKind, Map

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
    steps: tuple[Step, ...]


class ReferralGraph:
    """All edges of one map version; the graph of a day and paths from a service are cached.

    Practitioners ask from a few dozen services, mostly about today, so after the first
    request for a (day, service) a pathway costs a dictionary lookup.
    """

    def __init__(self, m: Map) -> None:
        self.map = m
        self.day_graph = lru_cache(maxsize=32)(self._day_graph)
        self.paths_from = lru_cache(maxsize=512)(self._paths_from)
        self.steps = lru_cache(maxsize=65536)(self._steps)

    def _day_graph(self, day: dt.date) -> Any:
        """Edges active on `day` between services active on `day`; each edge keeps its kinds."""
        import networkx as nx  # here, not at the top: ~0.4 s the server need not pay to start

        g = nx.DiGraph()
        active = {s.id for s in self.map.services if s.active_on(day)}
        g.add_nodes_from(active)
        for e in self.map.edges:
            if e.source in active and e.target in active and e.active_on(day):
                if g.has_edge(e.source, e.target):
                    attrs = g[e.source][e.target]
                    attrs["kinds"] = attrs["kinds"] | {e.kind}
                    attrs["cost"] = min(attrs["cost"], EDGE_COST[e.kind])
                else:
                    g.add_edge(
                        e.source, e.target, kinds=frozenset({e.kind}), cost=EDGE_COST[e.kind]
                    )
        return g

    def _paths_from(self, source: str, day: dt.date) -> dict[str, list[str]]:
        """Cheapest path from `source` to every service it reaches on `day`."""
        import networkx as nx

        g = self.day_graph(day)
        if source not in g:
            return {}
        return dict(nx.single_source_dijkstra_path(g, source, weight="cost"))

    def _steps(self, path: tuple[str, ...], day: dt.date, consult_first: bool) -> tuple[Step, ...]:
        """The kind of each hop; where both exist, consult or refer as `consult_first` says."""
        order = (
            [EdgeKind.consults, EdgeKind.refers, EdgeKind.signposts]
            if consult_first
            else [EdgeKind.refers, EdgeKind.consults, EdgeKind.signposts]
        )
        g = self.day_graph(day)
        out = []
        for u, v in itertools.pairwise(path):
            kinds = g[u][v]["kinds"]
            out.append(Step(u, v, next(k.value for k in order if k in kinds)))
        return tuple(out)

    def pathway(
        self,
        source: str,
        target: str,
        *,
        day: dt.date,
        self_referral: bool,
        consult_first: bool = True,
    ) -> Pathway | None:
        """The route from the practitioner's service to `target`, or None when there is none."""
        path = self.paths_from(source, day).get(target)
        if path is not None:
            return Pathway(services=path, steps=self.steps(tuple(path), day, consult_first))
        if self_referral:
            return Pathway(
                services=[source, target], steps=(Step(source, target, "self_referral"),)
            )
        return None

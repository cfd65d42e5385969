"""The referral graph: typed, dated edges between services, and pathways through them."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from navigator.core.models import Edge, EdgeKind, Map

T = TypeVar("T")

# Consultation and formal referral are the routes practitioners act on; a signpost leaves the
# family to make the call, so it costs more and is taken only when nothing firmer exists.
EDGE_COST = {EdgeKind.consults: 1.0, EdgeKind.refers: 1.0, EdgeKind.signposts: 1.6}
# A practical route counts hops first: each hop costs this much more than any edge's own cost,
# so a route with fewer services on the way always wins, and firm edges break ties.
HOP = 10.0
# From this many steps a route is a smell: shown only when no shorter one exists, and said so.
LONG_ROUTE = 3
# How many values `remember` keeps by default.
REMEMBER = 256


def _hop(u: str, v: str, attrs: dict[str, Any]) -> float:
    """A practical route's weight of an edge: a hop, then its own cost."""
    return HOP + float(attrs["cost"])


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    kind: str  # an EdgeKind, or "self_referral" when the family goes to the service directly


@dataclass(frozen=True)
class Pathway:
    services: list[str]
    steps: tuple[Step, ...]

    @property
    def long(self) -> bool:
        return len(self.steps) >= LONG_ROUTE


class ReferralGraph:
    """All edges of one map version; the graph of a day and paths from a service are cached.

    Practitioners ask from a few dozen services, mostly about today, so after the first
    request for a (day, service) a pathway costs a dictionary lookup.
    """

    def __init__(self, m: Map) -> None:
        self.map = m
        # Tables, not functools.lru_cache around bound methods: such a wrapper refers back to
        # the graph, a reference cycle that only the cyclic collector frees. Without cycles a
        # replaced map is freed by reference counting alone, so the map holder never needs a
        # full collection (which paused every worker at each edit).
        self._tables: dict[str, OrderedDict[Hashable, Any]] = {}
        self._lock = threading.Lock()  # the pages answer from a thread pool

    def remember(
        self,
        key: Hashable,
        build: Callable[[], T],
        *,
        size: int = REMEMBER,
        table: str = "remembered",  # pragma: no mutate (a name)
    ) -> T:
        """A value derived from this map version, built once per `key` (least recently used
        ones forgotten, `size` kept per `table`): such as which services a kind of family
        cannot use on a day."""
        return self._cached(table, key, build, size)  # pragma: no mutate (a name, as below)

    def _cached(self, table: str, key: Hashable, build: Callable[[], T], size: int) -> T:
        with self._lock:
            values = self._tables.setdefault(table, OrderedDict())
            if key in values:
                values.move_to_end(key)
                return values[key]  # type: ignore[no-any-return]
        value = build()  # outside the lock: two threads may both build, and agree
        with self._lock:
            values[key] = value
            if len(values) > size:
                values.popitem(last=False)  # pragma: no mutate (last=None is False too)
        return value

    # Below, a table's name and size are marked `no mutate`: another name (apart from the
    # others) or size gives the same answers, only cached differently.

    def edges_on(self, day: dt.date) -> dict[tuple[str, str, str], Edge]:
        return self._cached(
            "edges_on",  # pragma: no mutate
            day,
            lambda: self._edges_on(day),
            32,  # pragma: no mutate
        )

    def day_graph(self, day: dt.date) -> Any:
        return self._cached(
            "day_graph",  # pragma: no mutate
            day,
            lambda: self._day_graph(day),
            32,  # pragma: no mutate
        )

    def paths_from(self, source: str, day: dt.date) -> dict[str, list[str]]:
        return self._cached(
            "paths_from",  # pragma: no mutate
            (source, day),
            lambda: self._paths_from(source, day),
            512,  # pragma: no mutate
        )

    def practical_paths(
        self, source: str, day: dt.date, avoid: frozenset[str]
    ) -> dict[str, list[str]]:
        return self._cached(
            "practical_paths",  # pragma: no mutate
            (source, day, avoid),
            lambda: self._practical_paths(source, day, avoid),
            256,  # pragma: no mutate
        )

    def steps(self, path: tuple[str, ...], day: dt.date, consult_first: bool) -> tuple[Step, ...]:
        return self._cached(
            "steps",  # pragma: no mutate
            (path, day, consult_first),
            lambda: self._steps(path, day, consult_first),
            65536,  # pragma: no mutate
        )

    def _edges_on(self, day: dt.date) -> dict[tuple[str, str, str], Edge]:
        """The edges in force on `day`, by (source, target, kind)."""
        out: dict[tuple[str, str, str], Edge] = {}
        for e in self.map.edges:
            if e.active_on(day):
                out.setdefault((e.source, e.target, e.kind.value), e)
        return out

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

    def _practical_paths(
        self, source: str, day: dt.date, avoid: frozenset[str]
    ) -> dict[str, list[str]]:
        """Fewest-hop paths from `source` (firm edges breaking ties) that stop at no service in
        `avoid`: a family is never sent through a service it cannot use (nor to one)."""
        import networkx as nx

        g = self.day_graph(day)
        if source not in g:
            return {}
        view = nx.restricted_view(g, [n for n in avoid if n != source], [])
        paths: dict[str, list[str]] = dict(
            nx.single_source_dijkstra_path(view, source, weight=_hop)
        )
        return paths

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
        avoid: Collection[str] = (),
        practical: bool = False,
    ) -> Pathway | None:
        """The route from the practitioner's service to `target`, or None when there is none.

        The cheapest route by default. `practical` asks for the one a practitioner would take:
        contact the service directly (an edge from `source`), else the family refers itself,
        else the fewest services on the way, never one in `avoid` (services the family cannot
        use); a route of LONG_ROUTE steps or more only when nothing shorter exists.
        """
        if practical:
            return self._practical(
                source, target, day=day, self_referral=self_referral,
                consult_first=consult_first, avoid=frozenset(avoid),
            )  # fmt: skip
        path = self.paths_from(source, day).get(target)
        if path is not None:
            return Pathway(services=path, steps=self.steps(tuple(path), day, consult_first))
        if self_referral:
            return Pathway(
                services=[source, target], steps=(Step(source, target, "self_referral"),)
            )
        return None

    def _practical(
        self,
        source: str,
        target: str,
        *,
        day: dt.date,
        self_referral: bool,
        consult_first: bool,
        avoid: frozenset[str],
    ) -> Pathway | None:
        g = self.day_graph(day)
        if source in g and g.has_edge(source, target):
            path = [source, target]
        elif self_referral:
            return Pathway(
                services=[source, target], steps=(Step(source, target, "self_referral"),)
            )
        else:
            found = self.practical_paths(source, day, avoid).get(target)
            if found is None:
                return None
            path = found
        return Pathway(services=path, steps=self.steps(tuple(path), day, consult_first))

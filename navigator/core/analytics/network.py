"""The referral network: degrees, betweenness, reach from the universal services and single
points of failure, as of any date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pydantic import BaseModel, Field

from navigator.core.errors import UnknownService
from navigator.core.graph import ReferralGraph
from navigator.core.models import Map, Ring

# Exact betweenness is O(nodes x edges): above this many services, estimate it from a sample.
EXACT_BETWEENNESS_MAX = 500
BETWEENNESS_SAMPLE = 64


class NetworkNode(BaseModel):
    service_id: str
    name: str
    ring: Ring
    in_degree: int = Field(description="Services with an edge to this one (any kind)")
    out_degree: int = Field(description="Services this one has an edge to")
    betweenness: float = Field(description="Share of shortest routes passing through it")
    reachable_from_universal: bool
    self_referral: bool = Field(description="Families can also go to it directly")
    articulation_point: bool = Field(description="Removing it splits the network")


class NetworkResult(BaseModel):
    as_of: dt.date
    universal: list[str] = Field(description="The universal services routes start from")
    services: list[NetworkNode]
    unreachable: list[str] = Field(description="Services no route from a universal one reaches")
    articulation_points: list[str] = Field(description="Single points of failure")
    betweenness_sample: int | None = Field(
        description="Sources sampled to estimate betweenness on a large map; None when exact"
    )


def network(
    *,
    map: Map,
    graph: ReferralGraph,
    as_of: dt.date,
    universal: Sequence[str] | None = None,
) -> NetworkResult:
    """Degrees, betweenness, reach from the universal services, and single points of failure
    of the referral graph of `as_of` (refers, consults and signposts edges alike).

    `universal` defaults to the policy's universal services; ids given must exist.
    """
    import networkx as nx  # lazily, as in navigator.core.graph: start-up stays fast

    if universal is None:
        universal = map.policy.analytics.universal_services
    for i, sid in enumerate(universal):
        if map.service(sid) is None:
            raise UnknownService(f"{sid!r} is not a known service id", loc=("universal", i))
    g = graph.day_graph(as_of)
    starts = [sid for sid in dict.fromkeys(universal) if sid in g]
    reached: set[str] = set(starts)
    for sid in starts:
        reached |= nx.descendants(g, sid)
    n = g.number_of_nodes()
    sample = BETWEENNESS_SAMPLE if n > EXACT_BETWEENNESS_MAX else None
    between: dict[str, float] = nx.betweenness_centrality(g, k=sample, seed=0 if sample else None)
    cut = set(nx.articulation_points(nx.Graph(g)))
    nodes = []
    for s in map.active_services(as_of):
        nodes.append(
            NetworkNode(
                service_id=s.id,
                name=s.name,
                ring=s.ring,
                in_degree=g.in_degree(s.id),
                out_degree=g.out_degree(s.id),
                betweenness=round(between.get(s.id, 0.0), 4),
                reachable_from_universal=s.id in reached,
                self_referral=s.self_referral,
                articulation_point=s.id in cut,
            )
        )
    nodes.sort(key=lambda x: (-x.betweenness, x.service_id))
    return NetworkResult(
        as_of=as_of,
        universal=starts,
        services=nodes,
        unreachable=sorted(x.service_id for x in nodes if not x.reachable_from_universal),
        articulation_points=sorted(cut),
        betweenness_sample=sample,
    )

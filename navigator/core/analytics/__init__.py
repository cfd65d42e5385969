"""For commissioners: where remits overlap, where the gaps are, what a proposed service would add
or duplicate, and which services hold the referral network together, as of any date.

Plain objects in, pydantic results out. Who a service takes is decided by
`navigator.core.eligibility`, never re-implemented here. One module per feature:

- `areas`: the universe's unit postcodes as bitsets, per area and district ward (AreaIndex);
- `scoring`: the overlap score of two services, shared by overlap and what-if;
- `overlap`, `gaps`, `what_if`, `network`: the four analyses and their result models;
- `ring`: where Figure 1 would put a (proposed) service, for what-if.

The package's `overlap`, `gaps`, `what_if` and `network` are the functions, which shadow the
modules of the same names: import from a module as `from navigator.core.analytics.overlap
import OverlapPair`.
"""

from __future__ import annotations

from navigator.core.analytics.areas import AreaIndex, Ward
from navigator.core.analytics.gaps import (
    BAND_MONTHS,
    AgeBand,
    GapCell,
    GapsResult,
    gaps,
)
from navigator.core.analytics.network import (
    BETWEENNESS_SAMPLE,
    EXACT_BETWEENNESS_MAX,
    NetworkNode,
    NetworkResult,
    network,
)
from navigator.core.analytics.overlap import OverlapPair, OverlapResult, overlap
from navigator.core.analytics.ring import RingLeaning, derive_ring
from navigator.core.analytics.scoring import (
    APART_FACTOR,
    OVERLAP_WEIGHTS,
    OverlapParts,
    Relation,
    records_catchment,
)
from navigator.core.analytics.what_if import (
    EDGE_MIN_OVERLAP,
    EDGE_SOURCES,
    FilledGap,
    Proposal,
    Proposed,
    ServiceOverlap,
    SuggestedEdge,
    WhatIfResult,
    propose,
    validate_proposal,
    what_if,
)

__all__ = [
    "APART_FACTOR",
    "BAND_MONTHS",
    "BETWEENNESS_SAMPLE",
    "EDGE_MIN_OVERLAP",
    "EDGE_SOURCES",
    "EXACT_BETWEENNESS_MAX",
    "OVERLAP_WEIGHTS",
    "AgeBand",
    "AreaIndex",
    "FilledGap",
    "GapCell",
    "GapsResult",
    "NetworkNode",
    "NetworkResult",
    "OverlapPair",
    "OverlapParts",
    "OverlapResult",
    "Proposal",
    "Proposed",
    "Relation",
    "RingLeaning",
    "ServiceOverlap",
    "SuggestedEdge",
    "Ward",
    "WhatIfResult",
    "derive_ring",
    "gaps",
    "network",
    "overlap",
    "propose",
    "records_catchment",
    "validate_proposal",
    "what_if",
]

"""Where Figure 1 would put a service, judged by the rings of the services sharing its needs."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from navigator.core.models import Map, Ring, Service

_RING_ORDER = list(Ring)
_RING_NAMES = {Ring.core: "core", Ring.grey: "grey circle", Ring.outer: "outer circle"}


class RingLeaning(BaseModel):
    need: str
    services: int = Field(description="Services with this need active that day")
    shares: dict[Ring, float] = Field(description="Share of those services in each ring")


def derive_ring(
    *, map: Map, needs: Sequence[str], as_of: dt.date, exclude: str | None = None
) -> tuple[Ring | None, list[RingLeaning]]:
    """Where Figure 1 would put a service with these needs, judged by the map itself.

    Each need leans toward the rings its services sit in (shares of that need's services);
    the ring with the highest mean share over the needs wins, ties going to the ring nearer
    the relationship. None when no service shares any of the needs.
    """
    active = [s for s in map.active_services(as_of) if s.id != exclude]
    leanings = []
    totals: Counter[Ring] = Counter()
    for code in needs:
        counts = Counter(s.ring for s in active if code in s.needs)
        n = sum(counts.values())
        shares = {r: round(counts[r] / n, 3) if n else 0.0 for r in _RING_ORDER}
        leanings.append(RingLeaning(need=code, services=n, shares=shares))
        if n:
            totals.update({r: counts[r] / n for r in _RING_ORDER})
    if not totals:
        return None, leanings
    return max(_RING_ORDER, key=lambda r: (totals[r], -_RING_ORDER.index(r))), leanings


def _reason(map: Map, ring: Ring, leanings: list[RingLeaning]) -> str:
    labels = {n.code: n.label for n in map.needs}
    return f"Services with its needs sit mostly in the {_RING_NAMES[ring]}: " + "; ".join(
        f"{labels.get(lean.need, lean.need)}, {round(lean.shares[ring] * 100)}% of "
        f"{lean.services} services"
        for lean in leanings
        if lean.services
    )


def place(*, map: Map, service: Service, as_of: dt.date) -> tuple[Ring, str, list[RingLeaning]]:
    """The ring a service's needs lean to on `as_of` (besides itself), why, and the leanings;
    the ring it was given when no other service shares its needs."""
    ring, leanings = derive_ring(map=map, needs=service.needs, as_of=as_of, exclude=service.id)
    if ring is None:
        reason = "No service active that day shares its needs: keeping the ring it was given"
        return service.ring, reason, leanings
    return ring, _reason(map, ring, leanings), leanings

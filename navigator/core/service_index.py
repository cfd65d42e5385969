"""A map's services as bitsets, for deciding and ranking thousands of services at once.

Each service has a bit position, in the order of its name (then its place in the map), so a set
of services is one Python int and its lowest bits come first by name. The index is built once
per map (`Map.service_index`) and never changes: what a request adds (its day, its family) is
combined with these sets in a few big-int operations instead of a loop over services.

`walk` gives a set in the order of a list of partitions, lazily: navigate reads only the part of
a long answer it sends, and `ranking.Standing.key` is the order its partitions follow.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from navigator.core.models import Level, Map, Ring, RouteKind, Service
from navigator.core.ranking import RING_ORDER, Lead, leads_for

# A class that takes every service: the last class of a partition, "all the rest".
REST = -1


def bits(positions: Iterable[int], size: int) -> int:
    """A set of small integers as one Python int: built via bytes, as setting bits one at a
    time would copy the growing int each time."""
    buf = bytearray((size + 7) // 8)
    for p in positions:
        buf[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(buf, "little")


def positions(value: int) -> Iterator[int]:
    """The positions of a bitset's set bits, lowest first, lazily."""
    while value:
        low = value & -value
        yield low.bit_length() - 1
        value ^= low


def walk(members: int, partitions: Sequence[Sequence[int]]) -> Iterator[int]:
    """`members` in buckets of equal rank, best first: each partition is a list of classes in
    order (a member belongs to the first class holding it; end with REST), and a later
    partition orders only what every earlier one left equal. Only the buckets read are made."""
    depth = len(partitions)

    def split(b: int, level: int) -> Iterator[int]:
        if level == depth or not b & (b - 1):  # fully ordered, or a single member
            yield b
            return
        for cls in partitions[level]:
            sub = b & cls
            if sub:
                yield from split(sub, level + 1)
                b ^= sub
                if not b:
                    return

    if members:
        yield from split(members, 0)


@dataclass(frozen=True, eq=False)
class ServiceIndex:
    """Sets of services by what decides and ranks them, as bitsets over `services`."""

    services: tuple[Service, ...]  # by bit position: by name, then by place in the map
    position: dict[str, int]
    map_order: tuple[int, ...]  # each position's place in Map.services
    by_need: dict[str, int]
    first_need: dict[str, int]  # services whose first need (the one they are mainly for) it is
    windows: tuple[tuple[dt.date | None, dt.date | None, int], ...]  # by valid_from, valid_to
    signatures: tuple[tuple[Service, int], ...]  # one of each eligibility signature, and all
    signature_of: tuple[int, ...]  # each position's entry in `signatures`
    level_gaps: dict[Level, tuple[int, ...]]  # by the gap to a level asked: 0, 1, 2, 3
    rings: tuple[int, ...]  # in RING_ORDER
    need_counts: tuple[int, ...]  # by how many needs a service lists, fewest first
    route_ease: tuple[int, ...]  # ranking.Ease without a practitioner's service: direct, family
    self_referral: int
    leads: dict[str, tuple[tuple[Lead, int], ...]]  # per need: who leads for it, and how
    shared_names: int  # services whose name another service has too

    @classmethod
    def build(cls, m: Map) -> ServiceIndex:
        order = sorted(range(len(m.services)), key=lambda i: (m.services[i].name, i))
        services = tuple(m.services[i] for i in order)
        size = len(services)
        numbered = list(enumerate(services))
        sig_groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
        for p, s in numbered:
            sig_groups[m.eligibility_signatures[s.id]].append(p)
        sig_number = [0] * size
        for k, group in enumerate(sig_groups.values()):
            for p in group:
                sig_number[p] = k
        # A service's lead for a need depends on its ring alone unless a lead names it.
        named = {sid for lead in m.navigation.leads for sid in lead.services}
        by_ring: dict[tuple[str, Ring], Lead | None] = {}

        def lead_of(s: Service, code: str) -> Lead | None:
            if s.id in named:
                return leads_for(m, s, [code])
            if (code, s.ring) not in by_ring:
                by_ring[code, s.ring] = leads_for(m, s, [code])
            return by_ring[code, s.ring]

        leads: dict[str, list[tuple[Lead, int]]] = defaultdict(list)
        by_lead = _grouped(
            (
                ((code, lead), p)
                for p, s in numbered
                for code in set(s.needs)
                if (lead := lead_of(s, code)) is not None
            ),
            size,
        )
        for (code, lead), members in by_lead.items():
            leads[code].append((lead, members))
        names = Counter(s.name for s in services)
        kinds = [{r.kind for r in s.routes} for s in services]
        direct = bits(
            (p for p, k in enumerate(kinds) if k & {RouteKind.referral, RouteKind.consultation}),
            size,
        )
        self_referral = bits((p for p, k in enumerate(kinds) if RouteKind.self_referral in k), size)
        counts = _grouped(((len(s.needs), p) for p, s in numbered), size)
        rings = _grouped(((RING_ORDER[s.ring], p) for p, s in numbered), size)
        levels = _grouped(((tuple(s.levels), p) for p, s in numbered), size)
        return cls(
            services=services,
            position={s.id: p for p, s in numbered},
            map_order=tuple(order),
            by_need=_grouped(((code, p) for p, s in numbered for code in s.needs), size),
            first_need=_grouped(((s.needs[0], p) for p, s in numbered), size),
            windows=tuple(
                (*window, members)
                for window, members in _grouped(
                    (((s.valid_from, s.valid_to), p) for p, s in numbered), size
                ).items()
            ),
            signatures=tuple((services[g[0]], bits(g, size)) for g in sig_groups.values()),
            signature_of=tuple(sig_number),
            level_gaps={level: _gaps(levels, level) for level in Level},
            rings=_by_number(rings, len(RING_ORDER)),
            need_counts=tuple(counts[k] for k in sorted(counts)),
            route_ease=(direct, self_referral & ~direct),
            self_referral=self_referral,
            leads={code: tuple(each) for code, each in leads.items()},
            shared_names=bits((p for p, s in numbered if names[s.name] > 1), size),
        )

    def active(self, day: dt.date) -> int:
        """The services in force on `day`."""
        out = 0
        for start, end, members in self.windows:
            if (start is None or start <= day) and (end is None or day <= end):
                out |= members
        return out

    def needing(self, codes: Iterable[str]) -> int:
        """The services meeting any of these needs."""
        out = 0
        for code in codes:
            out |= self.by_need.get(code, 0)
        return out

    def of(self, service_ids: Iterable[str]) -> int:
        return bits((self.position[i] for i in service_ids if i in self.position), len(self))

    def by_signature(self, members: int) -> Iterator[tuple[Service, int]]:
        """`members` grouped by eligibility signature, with a service of each signature."""
        if len(self.signatures) <= members.bit_count():
            for service, group in self.signatures:
                if mine := group & members:
                    yield service, mine
            return
        found: dict[int, int] = {}  # few members: look up each one's signature
        for p in positions(members):
            k = self.signature_of[p]
            found[k] = found.get(k, 0) | 1 << p
        for k, mine in found.items():
            yield self.signatures[k][0], mine

    def ids(self, members: int) -> list[str]:
        return [self.services[p].id for p in positions(members)]

    def __len__(self) -> int:
        return len(self.services)


K = TypeVar("K", bound=Hashable)


def _grouped(pairs: Iterable[tuple[K, int]], size: int) -> dict[K, int]:
    """Positions grouped by a key, each group a bitset; keys in order of first appearance."""
    groups: dict[K, list[int]] = defaultdict(list)
    for key, p in pairs:
        groups[key].append(p)
    return {key: bits(found, size) for key, found in groups.items()}


def _by_number(groups: dict[int, int], count: int) -> tuple[int, ...]:
    return tuple(groups.get(k, 0) for k in range(count))


def _gaps(levels: dict[tuple[Level, ...], int], asked: Level) -> tuple[int, ...]:
    """Services by how far the nearest level they work at is from the one asked: 0, 1, 2, 3."""
    out = [0] * len(Level)
    for works, members in levels.items():
        out[min(abs(lv.rank - asked.rank) for lv in works)] |= members
    return tuple(out)

"""One version of the map with everything derived from it, built once and shared read-only."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from navigator.core.analytics import AreaIndex
from navigator.core.family import Family
from navigator.core.geography import Location, PostcodeTable, locate
from navigator.core.graph import ReferralGraph
from navigator.core.models import Edge, Map, RuleKind, Service, dump, public
from navigator.core.navigate import NavigateResult, navigate
from navigator.core.places import PlaceIndex


def _canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()


def etag_of(data: Any) -> str:
    """A strong ETag: a hash of the canonical JSON of what is served."""
    return '"' + hashlib.sha256(_canonical(data)).hexdigest()[:32] + '"'


def service_etag(service: Service, key: bytes = b"") -> str:
    """Over the whole stored service, a confidential address included, so that changing only
    the address changes the ETag (and a second editor holding the old one gets 412).

    Keyed (HMAC with the database's `etag_key`): an unkeyed hash of a record whose other fields
    are public would let anyone test guesses at a refuge's address. Without a key (a map that
    was never stored) it covers the published service only.
    """
    if not key:
        return etag_of(dump(public(service)))
    return '"' + hmac.new(key, _canonical(dump(service)), hashlib.sha256).hexdigest()[:32] + '"'


def _gp_lists(service: Service) -> set[str]:
    found: set[str] = set()
    stack = list(service.rules)
    while stack:
        rule = stack.pop()
        if rule.kind is RuleKind.gp_list and rule.gp_list:
            found.add(rule.gp_list)
        stack.extend(rule.rules)
    return found


def modified_times(
    m: Map,
    *,
    base: dt.datetime,
    changes: Mapping[tuple[str, str], dt.datetime],
    edges: Mapping[str, Edge],
) -> dict[str, dt.datetime]:
    """When each service, or anything published with it, last really changed.

    `base` is when the whole map was last replaced (seeded); `changes` the newest audit time per
    (entity, id); `edges` the stored edges by id. A service changes with its own edits, with an
    edge from or to it, with a GP list its rules name, and with its organisation.
    """
    out = {s.id: max(base, changes.get(("service", s.id), base)) for s in m.services}

    def touch(service_id: str, at: dt.datetime) -> None:
        if service_id in out and at > out[service_id]:
            out[service_id] = at

    for (entity, ident), at in changes.items():
        if entity == "edge" and ident in edges:
            touch(edges[ident].source, at)
            touch(edges[ident].target, at)
        elif entity == "gp_list":
            for s in m.services:
                if ident in _gp_lists(s):
                    touch(s.id, at)
        elif entity == "organisation":
            for s in m.services:
                if s.organisation_id == ident:
                    touch(s.id, at)
    return out


@dataclass(frozen=True)
class Snapshot:
    map: Map
    version: int
    postcodes: PostcodeTable
    built_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    # When each service last really changed (from the audit trail); see `last_modified`.
    modified: Mapping[str, dt.datetime] = field(default_factory=dict)

    def last_modified(self, service_id: str) -> dt.datetime:
        """The time of the service's last real change; the snapshot's build time if unknown."""
        return self.modified.get(service_id, self.built_at)

    etag_key: bytes = field(default=b"", repr=False)
    _etags: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def locate(self, postcode: str) -> Location:
        return locate(postcode, table=self.postcodes, areas=self.map.areas)

    @cached_property
    def graph(self) -> ReferralGraph:
        return ReferralGraph(self.map)

    @cached_property
    def places(self) -> PlaceIndex:
        """Towns and wards by name, for search."""
        return PlaceIndex.build(map=self.map, postcodes=self.postcodes)

    @cached_property
    def area_index(self) -> AreaIndex:
        """Postcode bitsets per area and per district ward, for the commissioners' analytics."""
        return AreaIndex.build(map=self.map, postcodes=self.postcodes)

    def navigate(
        self, family: Family, as_of: dt.date, *, limit: int | None = None, offset: int = 0
    ) -> NavigateResult:
        return navigate(
            map=self.map,
            graph=self.graph,
            location=self.locate(family.postcode),
            family=family,
            as_of=as_of,
            limit=limit,
            offset=offset,
        )

    def etag(self, service_id: str) -> str:
        """The service's ETag, made on first asking: hashing all 10,000 services of a big map
        at once took over a second, paid by the first request for any one of them."""
        found = self._etags.get(service_id)
        if found is None:
            service = self.map.service(service_id)
            if service is None:
                raise KeyError(service_id)
            # Two threads may both make it, and agree.
            found = self._etags[service_id] = service_etag(service, self.etag_key)
        return found

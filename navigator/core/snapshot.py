"""One version of the map with everything derived from it, built once and shared read-only."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from navigator.core.analytics import AreaIndex
from navigator.core.family import Family
from navigator.core.geography import Location, PostcodeTable, locate
from navigator.core.graph import ReferralGraph
from navigator.core.models import Map, Service, dump, public
from navigator.core.navigate import NavigateResult, navigate


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


@dataclass(frozen=True)
class Snapshot:
    map: Map
    version: int
    postcodes: PostcodeTable
    built_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    etag_key: bytes = field(default=b"", repr=False)

    def locate(self, postcode: str) -> Location:
        return locate(postcode, table=self.postcodes, areas=self.map.areas)

    @cached_property
    def graph(self) -> ReferralGraph:
        return ReferralGraph(self.map)

    @cached_property
    def area_index(self) -> AreaIndex:
        """Postcode bitsets per area and per district ward, for the commissioners' analytics."""
        return AreaIndex.build(map=self.map, postcodes=self.postcodes)

    def navigate(self, family: Family, as_of: dt.date) -> NavigateResult:
        return navigate(
            map=self.map,
            graph=self.graph,
            location=self.locate(family.postcode),
            family=family,
            as_of=as_of,
        )

    @cached_property
    def etags(self) -> dict[str, str]:
        return {s.id: service_etag(s, self.etag_key) for s in self.map.services}

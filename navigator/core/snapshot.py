"""One version of the map with everything derived from it, built once and shared read-only."""

from __future__ import annotations

import datetime as dt
import hashlib
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
from navigator.core.places import PlaceIndex


def etag_of(data: Any) -> str:
    """A strong ETag: a hash of the canonical JSON of what is served."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def service_etag(service: Service) -> str:
    """Over the service as published: a confidential address never feeds it."""
    return etag_of(dump(public(service)))


@dataclass(frozen=True)
class Snapshot:
    map: Map
    version: int
    postcodes: PostcodeTable
    built_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

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
        self, family: Family, as_of: dt.date, *, limit: int | None = None
    ) -> NavigateResult:
        return navigate(
            map=self.map,
            graph=self.graph,
            location=self.locate(family.postcode),
            family=family,
            as_of=as_of,
            limit=limit,
        )

    @cached_property
    def etags(self) -> dict[str, str]:
        return {s.id: service_etag(s) for s in self.map.services}

"""The analytics in plain words: age bands, ages, areas, levels, needs and what a score means.

Shared by the pages, their CSV downloads and the command line, so all three say the same."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from navigator.core.analytics.gaps import AgeBand
from navigator.core.analytics.scoring import Relation
from navigator.core.models import Level, Map
from navigator.core.wording import describe_window

BAND_WORDS = {
    AgeBand.pregnancy: "Pregnancy",
    AgeBand.months_0_11: "Birth to 1st birthday",
    AgeBand.months_12_23: "1st to 2nd birthday",
    AgeBand.months_24_59: "2nd to 5th birthday",
}

RELATION_WORDS = {
    Relation.overlap: "Overlap: both could see the same families",
    Relation.different_places: "The same offer for different places",
    Relation.different_ages: "Different ages: never the same child",
    Relation.catchment_unknown: "Catchment not recorded: overlap in place unknown",
}


def ages(window: tuple[int, int] | None) -> str:
    """[from, to) in months as words: (-9, 216) is 'pregnancy to the 18th birthday'."""
    if window is None:
        return "No ages in common"
    return describe_window(*window)


@dataclass(frozen=True)
class Words:
    """A map's names for its codes; an unknown code is shown as it is."""

    map: Map

    @cached_property
    def _services(self) -> dict[str, str]:
        return {s.id: s.name for s in self.map.services}

    @cached_property
    def _areas(self) -> dict[str, str]:
        return {a.id: a.name for a in self.map.areas}

    @cached_property
    def _needs(self) -> dict[str, str]:
        return {n.code: n.label for n in self.map.needs}

    @cached_property
    def _levels(self) -> dict[str, str]:
        return {lv.id.value: lv.label for lv in self.map.levels}

    @cached_property
    def _rings(self) -> dict[str, str]:
        return {r.id.value: r.label for r in self.map.rings}

    def service(self, sid: str) -> str:
        return self._services.get(sid, sid)

    def area(self, area_id: str) -> str:
        return self._areas.get(area_id, area_id)

    def need(self, code: str) -> str:
        return self._needs.get(code, code)

    def level(self, level: Level | str) -> str:
        value = level.value if isinstance(level, Level) else level
        return self._levels.get(value, value)

    def ring(self, ring: str) -> str:
        return self._rings.get(ring, ring)

    def services(self, ids: Iterable[str]) -> str:
        return ", ".join(self.service(i) for i in ids)

    def areas(self, ids: Iterable[str]) -> str:
        return ", ".join(self.area(i) for i in ids) or "None"

    def needs(self, codes: Iterable[str]) -> str:
        return ", ".join(self.need(c) for c in codes)

    def levels(self, levels: Iterable[Level | str]) -> str:
        return ", ".join(self.level(lv) for lv in levels)

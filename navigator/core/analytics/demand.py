"""Demand: how many navigate questions asked about each need, per ward and month (opt-in).

Only these counts exist: no postcode, age, time finer than a month or request id is ever
kept. Any count below SUPPRESS_BELOW is withheld on every output, so no small group of
families can be picked out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

SUPPRESS_BELOW = 10
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def month_of(day: dt.date) -> str:
    """'2026-12': the only time a count keeps."""
    return f"{day.year:04d}-{day.month:02d}"


class DemandCell(BaseModel):
    need: str
    ward_code: str
    month: str = Field(description="YYYY-MM")
    count: int | None = Field(description=f"None when below {SUPPRESS_BELOW} (suppressed)")
    suppressed: bool = False


class DemandResult(BaseModel):
    start: str = Field(description="First month counted, YYYY-MM")
    end: str = Field(description="Last month counted, YYYY-MM")
    suppress_below: int = SUPPRESS_BELOW
    cells: list[DemandCell]


def shown(count: int) -> int | None:
    """A count as it may be published: None below SUPPRESS_BELOW."""
    return count if count >= SUPPRESS_BELOW else None


def cells(rows: Iterable[tuple[str, str, str, int]]) -> list[DemandCell]:
    """Stored (need, ward_code, month, count) rows as published cells, each small count
    suppressed, in order."""
    out = []
    for need, ward, month, count in sorted(rows):
        value = shown(count)
        out.append(
            DemandCell(
                need=need, ward_code=ward, month=month, count=value, suppressed=value is None
            )
        )
    return out


def by_ward(rows: Iterable[tuple[str, str, str, int]], need: str) -> dict[str, int | None]:
    """One need's questions per ward over all the months given, suppressed after adding up
    (a total of 10 or more from several small months is no small group)."""
    totals: dict[str, int] = defaultdict(int)
    for n, ward, _, count in rows:
        if n == need:
            totals[ward] += count
    return {ward: shown(total) for ward, total in totals.items()}

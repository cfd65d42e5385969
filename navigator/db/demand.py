"""Demand counts: the one place they are written and read.

A navigate question adds one per need to the count of its ward and month, when
NAVIGATOR_DEMAND_COUNTS is true; nothing else about the question reaches the database. An
upsert, so replicas counting at once never lose a question. Not a map change: no audit entry,
no version bump, no write lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from navigator.core.analytics.demand import month_of
from navigator.db.tables import DemandCountRow

Row = tuple[str, str, str, int]


def record(engine: Engine, *, needs: Iterable[str], ward_code: str, day: dt.date) -> None:
    """Add one to (need, ward, month) for each need asked about."""
    month = month_of(day)
    values = [
        {"need": n, "ward_code": ward_code, "month": month, "count": 1}
        for n in dict.fromkeys(needs)
    ]
    if not values or not ward_code:
        return
    table = DemandCountRow.__table__  # type: ignore[attr-defined]
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["need", "ward_code", "month"],
        set_={"count": table.c.count + 1},
    )
    with engine.begin() as conn:
        conn.execute(statement)


def read(engine: Engine, *, start: str, end: str) -> list[Row]:
    """Stored counts of the months from `start` to `end` (YYYY-MM, both included), unsuppressed:
    callers publish them only through navigator.core.analytics.demand."""
    with Session(engine) as session:
        found = session.exec(
            select(  # type: ignore[call-overload]
                DemandCountRow.need,
                DemandCountRow.ward_code,
                DemandCountRow.month,
                DemandCountRow.count,
            ).where(DemandCountRow.month >= start, DemandCountRow.month <= end)
        ).all()
    return [(n, w, m, c) for n, w, m, c in found]

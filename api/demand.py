"""The demand counter's hook: after a navigate answer, one more question per need for the
family's ward and this month, when NAVIGATOR_DEMAND_COUNTS is true. Nothing else of the
question is passed on: not the postcode, age, stage, level, services or time of day."""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import BackgroundTasks, Request
from sqlalchemy import Engine

from navigator.core.family import Family
from navigator.core.snapshot import Snapshot
from navigator.db import demand
from navigator.settings import Settings

log = logging.getLogger("navigator.demand")


def _record(engine: Engine, needs: list[str], ward_code: str, day: dt.date) -> None:
    try:
        demand.record(engine, needs=needs, ward_code=ward_code, day=day)
    except Exception:  # a count lost is no reason to trouble anyone: the answer was sent
        log.warning("a demand count was not recorded", exc_info=False)


def count_question(
    request: Request, background: BackgroundTasks, snap: Snapshot, family: Family
) -> None:
    """Queue the count, to run after the answer is sent; nothing when counting is off or the
    postcode has no ward."""
    settings: Settings = request.app.state.settings
    if not settings.demand_counts:
        return
    ward = snap.locate(family.postcode).ward_code
    if ward:
        background.add_task(
            _record, request.app.state.engine, list(family.needs), ward, dt.date.today()
        )

"""Properties of eligibility that examples cannot cover: for any service window and any family.
Derandomised, so every run (and every mutant) sees the same examples."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from navigator.core.family import Family
from navigator.core.models import Eligibility

from .build import born, decision, pregnant, service

SETTINGS = settings(max_examples=150, derandomize=True, database=None, deadline=None)
BETTER = {Eligibility.not_eligible: 0, Eligibility.check: 1, Eligibility.eligible: 2}

DAYS = st.dates(dt.date(2015, 1, 1), dt.date(2035, 12, 31))
FAMILIES = st.one_of(
    st.integers(0, 216).map(born),
    st.one_of(st.none(), st.integers(4, 42)).map(pregnant),
)
LIMITS = st.one_of(st.none(), st.integers(-9, 216))


@st.composite
def windows(draw: st.DrawFn) -> tuple[int | None, int | None]:
    lo, hi = draw(LIMITS), draw(LIMITS)
    if lo is not None and hi is not None and hi < lo:
        lo, hi = hi, lo
    return lo, hi


@SETTINGS
@given(start=DAYS, length=st.integers(0, 3000), day=DAYS, family=FAMILIES)
def test_a_day_outside_a_services_dates_is_never_eligible(
    start: dt.date, length: int, day: dt.date, family: Family
) -> None:
    end = start + dt.timedelta(days=length)
    status = decision(service(valid_from=start, valid_to=end), family, day=day).status
    inside = start <= day <= end
    assert (status is Eligibility.not_eligible) is not inside


@st.composite
def narrowed(
    draw: st.DrawFn,
) -> tuple[tuple[int | None, int | None], tuple[int | None, int | None]]:
    """A window, and one inside it: a later start or an earlier end (or both)."""
    lo, hi = draw(windows())
    new_lo = draw(st.integers(-9 if lo is None else lo, 216)) if draw(st.booleans()) else lo
    top = 216 if hi is None else hi
    floor = -9 if new_lo is None else new_lo
    new_hi = draw(st.integers(floor, max(floor, top))) if draw(st.booleans()) else hi
    if new_hi is not None and new_lo is not None and new_hi < new_lo:
        new_hi = new_lo
    return (lo, hi), (new_lo, new_hi)


@SETTINGS
@given(pair=narrowed(), family=FAMILIES)
def test_narrowing_an_age_window_never_makes_a_family_more_eligible(
    pair: tuple[tuple[int | None, int | None], tuple[int | None, int | None]], family: Family
) -> None:
    (lo, hi), (new_lo, new_hi) = pair
    wide = decision(service(min_age_months=lo, max_age_months=hi), family).status
    narrow = decision(service(min_age_months=new_lo, max_age_months=new_hi), family).status
    assert BETTER[narrow] <= BETTER[wide], (wide, narrow)

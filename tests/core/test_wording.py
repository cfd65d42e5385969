"""The sentences a practitioner reads to a family: dates, ages, windows and rules, whole."""

from __future__ import annotations

import datetime as dt

import pytest

from navigator.core.models import Rule, Service
from navigator.core.wording import (
    age_end,
    age_start,
    describe_rule,
    describe_window,
    eligibility_in_words,
    lower_first,
    months,
    ordinal,
    period,
    rule_text,
    when,
    window_span,
    within_window,
)

from .build import MINI, RIC_LOADED, rule, service, with_map


@pytest.mark.parametrize(
    ("day", "words"),
    [(dt.date(2018, 6, 12), "12 June 2018"), (dt.date(2024, 1, 1), "1 January 2024")],
)
def test_when(day: dt.date, words: str) -> None:
    assert when(day) == words


@pytest.mark.parametrize(("n", "words"), [(0, "0 months"), (1, "1 month"), (2, "2 months")])
def test_months(n: int, words: str) -> None:
    assert months(n) == words


@pytest.mark.parametrize(
    ("lo", "words"),
    [
        (None, "pregnancy"),
        (-9, "pregnancy"),
        (-8, "the last 8 months of pregnancy"),
        (-1, "the last 1 month of pregnancy"),
        (0, "birth"),
        (1, "1 month"),
        (30, "30 months"),
    ],
)
def test_age_start(lo: int | None, words: str) -> None:
    assert age_start(lo) == words


@pytest.mark.parametrize(
    ("hi", "words"),
    [
        (-2, "2 months before the birth"),
        (-1, "1 month before the birth"),
        (0, "the birth"),
        (1, "1 month"),
        (11, "11 months"),
        (12, "the first birthday"),
        (13, "13 months"),
        (24, "the second birthday"),
        (60, "the fifth birthday"),
        (72, "the 6th birthday"),
        (132, "the 11th birthday"),
        (252, "the 21st birthday"),
        (264, "the 22nd birthday"),
        (276, "the 23rd birthday"),
        (288, "the 24th birthday"),
    ],
)
def test_age_end(hi: int, words: str) -> None:
    assert age_end(hi) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (1, "first"),
        (5, "fifth"),
        (6, "6th"),
        (10, "10th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (20, "20th"),
        (21, "21st"),
        (22, "22nd"),
        (23, "23rd"),
        (24, "24th"),
        (101, "101st"),
        (111, "111th"),
        (112, "112th"),
        (120, "120th"),
        (121, "121st"),
    ],
)
def test_ordinal(n: int, words: str) -> None:
    assert ordinal(n) == words


@pytest.mark.parametrize(
    ("lo", "hi", "window", "within", "span"),
    [
        (
            -9,
            24,
            "pregnancy to the second birthday",
            "within pregnancy to the second birthday",
            "from pregnancy to the second birthday",
        ),
        (
            0,
            None,
            "from birth, with no upper age limit",
            "this service works from birth, with no upper age limit",
            "from birth, with no upper age limit",
        ),
        (
            -3,
            3,
            "the last 3 months of pregnancy to 3 months",
            "within the last 3 months of pregnancy to 3 months",
            "from the last 3 months of pregnancy to 3 months",
        ),
    ],
)
def test_windows(lo: int, hi: int | None, window: str, within: str, span: str) -> None:
    assert (describe_window(lo, hi), within_window(lo, hi), window_span(lo, hi)) == (
        window,
        within,
        span,
    )


@pytest.mark.parametrize(
    ("text", "lowered"),
    [
        ("The parent is under 20", "the parent is under 20"),
        ("BMI over 30", "BMI over 30"),
        ("already lower", "already lower"),
        ("A", "A"),
        ("", ""),
        ("Ab", "ab"),
    ],
)
def test_lower_first(text: str, lowered: str) -> None:
    assert lower_first(text) == lowered


APRIL_2020, MARCH_2023 = dt.date(2020, 4, 1), dt.date(2023, 3, 31)


@pytest.mark.parametrize(
    ("dates", "words"),
    [
        ({"valid_from": APRIL_2020, "valid_to": MARCH_2023}, "From 1 April 2020 to 31 March 2023"),
        ({"valid_from": APRIL_2020}, "From 1 April 2020"),
        ({"valid_to": MARCH_2023}, "Until 31 March 2023"),
        ({}, ""),
    ],
)
def test_period(dates: dict[str, dt.date], words: str) -> None:
    assert period(rule("area", area="bsb", **dates)) == words


LOADED = with_map(gp_lists=[RIC_LOADED])


@pytest.mark.parametrize(
    ("r", "words"),
    [
        (rule("age", min_months=0, max_months=12), "Child's age: birth to the first birthday"),
        (rule("area", area="bsb"), "Lives in the Better Start Bradford area"),
        (rule("area", area="elsewhere"), "Lives in the elsewhere"),
        (rule("gp_list", gp_list="ric"), "Registered with one of the RIC practices"),
        (rule("gp_list", gp_list="other"), "Registered with one of the other"),
        (rule("criterion", text="First baby"), "To confirm: First baby"),
        (
            rule(
                "any_of",
                rules=[{"kind": "area", "area": "bsb"}, {"kind": "gp_list", "gp_list": "ric"}],
            ),
            "One of:",
        ),
    ],
)
def test_rule_text(r: Rule, words: str) -> None:
    assert rule_text(r, LOADED) == words


BSB_THEN = rule(
    "any_of",
    valid_from=APRIL_2020,
    valid_to=MARCH_2023,
    status="inferred",
    rules=[
        {"kind": "area", "area": "bsb", "valid_to": "2021-12-31"},
        {"kind": "gp_list", "gp_list": "ric", "status": "imported"},
    ],
)


@pytest.mark.parametrize(
    ("r", "dates", "words"),
    [
        (rule("area", area="bsb"), True, "Lives in the Better Start Bradford area"),
        (
            rule("area", area="bsb", valid_from=APRIL_2020, status="inferred"),
            True,
            "Lives in the Better Start Bradford area (from 1 April 2020) (inferred)",
        ),
        (
            rule("area", area="bsb", valid_from=APRIL_2020, status="seed_report"),
            False,
            "Lives in the Better Start Bradford area",
        ),
        (
            rule("criterion", text="First baby", valid_to=MARCH_2023, status="confirmed"),
            True,
            "To confirm: First baby (until 31 March 2023)",
        ),
        # The rule's own dates and status come before its parts, each part's after it.
        (
            BSB_THEN,
            True,
            "One of (from 1 April 2020 to 31 March 2023) (inferred): "
            "Lives in the Better Start Bradford area (until 31 December 2021); "
            "or Registered with one of the RIC practices (imported)",
        ),
        (
            BSB_THEN,
            False,
            "One of (inferred): Lives in the Better Start Bradford area; "
            "or Registered with one of the RIC practices (imported)",
        ),
    ],
)
def test_describe_rule(r: Rule, dates: bool, words: str) -> None:
    assert describe_rule(r, MINI, dates=dates) == words


WITH_RULES: Service = service(
    min_age_months=-9,
    max_age_months=24,
    rules=[
        rule("area", area="bsb", valid_to="2020-03-31"),
        rule("area", area="bradford-district", valid_from="2020-04-01"),
    ],
)


@pytest.mark.parametrize(
    ("s", "day", "lines"),
    [
        (
            WITH_RULES,
            None,
            [
                "Ages: pregnancy to the second birthday",
                "Lives in the Better Start Bradford area (until 31 March 2020)",
                "Lives in the Bradford district (from 1 April 2020)",
            ],
        ),
        (
            WITH_RULES,
            dt.date(2020, 3, 31),
            ["Ages: pregnancy to the second birthday", "Lives in the Better Start Bradford area"],
        ),
        (
            WITH_RULES,
            dt.date(2020, 4, 1),
            ["Ages: pregnancy to the second birthday", "Lives in the Bradford district"],
        ),
        (service(min_age_months=6), None, ["Ages: from 6 months, with no upper age limit"]),
        (service(max_age_months=12), None, ["Ages: pregnancy to the first birthday"]),
        (service(), None, ["Open to every family: no age, area or GP rule applies"]),
        (
            service(rules=[rule("area", area="bsb", valid_to="2020-03-31")]),
            dt.date(2024, 1, 1),
            ["Open to every family: no age, area or GP rule applies"],
        ),
    ],
)
def test_eligibility_in_words(s: Service, day: dt.date | None, lines: list[str]) -> None:
    assert eligibility_in_words(s, MINI, day=day) == lines


def test_describe_rule_gives_the_dates_unless_told_not_to() -> None:
    dated = rule("area", area="bsb", valid_from=APRIL_2020)
    assert (
        describe_rule(dated, MINI) == "Lives in the Better Start Bradford area (from 1 April 2020)"
    )

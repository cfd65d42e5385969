"""Eligibility, table by table: every kind of rule at its edges, with the whole sentence the
practitioner reads to the family. Each row is one family against one small service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from navigator.core.eligibility import Context, combine, decide
from navigator.core.family import Decision, Family
from navigator.core.geography import Location
from navigator.core.models import Eligibility, Rule, Service

from .build import (
    IN_BSB,
    IN_KEIGHLEY,
    IN_LEEDS,
    MINI,
    NO_WARD,
    NOTHING_NAMED,
    RIC_LOADED,
    UNPLACED,
    born,
    decision,
    pregnant,
    rule,
    service,
    with_map,
)

OK, NO, CHECK = Eligibility.eligible, Eligibility.not_eligible, Eligibility.check
LOADED = with_map(gp_lists=[RIC_LOADED])


def windowed(lo: int | None, hi: int | None, how: str) -> Service:
    """A service with this age window: its own, or an age rule's."""
    if how == "service":
        return service(min_age_months=lo, max_age_months=hi)
    return service(rules=[rule("age", min_months=lo, max_months=hi)])


HOW = pytest.mark.parametrize("how", ["service", "rule"])


# --- the age window after the birth -----------------------------------------------------------


@HOW
@pytest.mark.parametrize(
    ("lo", "hi", "age", "status", "reason"),
    [
        (0, 12, 0, OK, "Child is 0 months: within birth to the first birthday"),
        (0, 12, 11, OK, "Child is 11 months: within birth to the first birthday"),
        (0, 12, 12, NO, "Child is 12 months: this service works until the first birthday"),
        (6, 24, 5, NO, "Child is 5 months: this service starts at 6 months"),
        (6, 24, 6, OK, "Child is 6 months: within 6 months to the second birthday"),
        (1, 24, 0, NO, "Child is 0 months: this service starts at 1 month"),
        (None, 12, 1, OK, "Child is 1 month: within pregnancy to the first birthday"),
        (None, 18, 17, OK, "Child is 17 months: within pregnancy to 18 months"),
        (None, 18, 18, NO, "Child is 18 months: this service works until 18 months"),
        (
            6,
            None,
            216,
            OK,
            "Child is 216 months: this service works from 6 months, with no upper age limit",
        ),
        (6, None, 5, NO, "Child is 5 months: this service starts at 6 months"),
        (-9, 0, 0, NO, "Child is 0 months: this service works until the birth"),
        (-3, 3, 2, OK, "Child is 2 months: within the last 3 months of pregnancy to 3 months"),
        (-3, 3, 3, NO, "Child is 3 months: this service works until 3 months"),
        (24, 156, 155, OK, "Child is 155 months: within 24 months to the 13th birthday"),
    ],
)
def test_age_after_the_birth(
    how: str, lo: int | None, hi: int | None, age: int, status: Eligibility, reason: str
) -> None:
    assert decision(windowed(lo, hi, how), born(age)) == Decision(status, (reason,))


# --- the age window in pregnancy ---------------------------------------------------------------

ASK = "Ask how many weeks pregnant she is: this service"


@HOW
@pytest.mark.parametrize(
    ("lo", "hi", "weeks", "expected"),
    [
        # A window from the birth (or later) never takes a pregnancy, whatever the weeks.
        (0, 12, None, (NO, "Pregnant: this service starts from birth, after the birth")),
        (0, 12, 40, (NO, "Pregnant: this service starts from birth, after the birth")),
        (6, None, None, (NO, "Pregnant: this service starts from 6 months, after the birth")),
        # All of pregnancy: nothing to ask.
        (-9, 12, None, (OK, "Pregnant: within pregnancy to the first birthday")),
        (None, 12, None, (OK, "Pregnant: within pregnancy to the first birthday")),
        (-9, 0, None, (OK, "Pregnant: within pregnancy to the birth")),
        (
            -9,
            None,
            None,
            (OK, "Pregnant: this service works from pregnancy, with no upper age limit"),
        ),
        (-9, 12, 4, (OK, "Pregnant, 4 weeks: within pregnancy to the first birthday")),
        (-9, 0, 42, (OK, "Pregnant, 42 weeks: within pregnancy to the birth")),
        # From the last three months (week 27).
        (
            -3,
            3,
            None,
            (
                CHECK,
                "Pregnant: this service works from the last 3 months of pregnancy to 3 months",
                f"{ASK} starts at 27 weeks (the last 3 months of pregnancy to 3 months)",
            ),
        ),
        (
            -3,
            None,
            None,
            (
                CHECK,
                "Pregnant: this service works from the last 3 months of pregnancy, "
                "with no upper age limit",
                f"{ASK} starts at 27 weeks "
                "(from the last 3 months of pregnancy, with no upper age limit)",
            ),
        ),
        (
            -3,
            3,
            26,
            (
                NO,
                "Pregnant, 26 weeks: this service starts at 27 weeks "
                "(the last 3 months of pregnancy)",
            ),
        ),
        (
            -3,
            3,
            27,
            (
                OK,
                "Pregnant, 27 weeks: within the last 3 months of pregnancy to 3 months; "
                "it starts at 27 weeks",
            ),
        ),
        (
            -8,
            12,
            4,
            (
                NO,
                "Pregnant, 4 weeks: this service starts at 5 weeks "
                "(the last 8 months of pregnancy)",
            ),
        ),
        (
            -6,
            None,
            20,
            (
                OK,
                "Pregnant, 20 weeks: this service works from the last 6 months of pregnancy, "
                "with no upper age limit; it starts at 14 weeks",
            ),
        ),
        # A window ending before the birth (week 36): without the weeks, ask.
        (
            -9,
            -1,
            None,
            (
                CHECK,
                "Pregnant: this service works from pregnancy to 1 month before the birth",
                f"{ASK} ends at 36 weeks (pregnancy to 1 month before the birth)",
            ),
        ),
        (
            None,
            -1,
            None,
            (
                CHECK,
                "Pregnant: this service works from pregnancy to 1 month before the birth",
                f"{ASK} ends at 36 weeks (pregnancy to 1 month before the birth)",
            ),
        ),
        (-9, -1, 35, (OK, "Pregnant, 35 weeks: within pregnancy to 1 month before the birth")),
        (-9, -1, 36, (NO, "Pregnant, 36 weeks: this service works until 36 weeks")),
        (
            -6,
            -2,
            None,
            (
                CHECK,
                "Pregnant: this service works from the last 6 months of pregnancy "
                "to 2 months before the birth",
                f"{ASK} starts at 14 weeks "
                "(the last 6 months of pregnancy to 2 months before the birth)",
            ),
        ),
        (-6, -2, 31, (NO, "Pregnant, 31 weeks: this service works until 31 weeks")),
    ],
)
def test_age_in_pregnancy(
    how: str, lo: int | None, hi: int | None, weeks: int | None, expected: tuple[Any, ...]
) -> None:
    status, reason, *checks = expected
    assert decision(windowed(lo, hi, how), pregnant(weeks)) == Decision(
        status, (reason,), tuple(checks)
    )


def test_no_age_window_and_no_rules_is_open_to_every_family() -> None:
    open_to_all = Decision(OK, ("Open to every family: no age, area or GP rule applies",))
    assert decision(service(), born(200)) == open_to_all
    assert decision(service(), pregnant(4)) == open_to_all


# --- first and last day of a service, and of a rule --------------------------------------------

APRIL_2020, MARCH_2023 = dt.date(2020, 4, 1), dt.date(2023, 3, 31)
OPEN = Decision(OK, ("Open to every family: no age, area or GP rule applies",))


@pytest.mark.parametrize(
    ("dates", "day", "expected"),
    [
        (
            {"valid_from": APRIL_2020, "valid_to": MARCH_2023},
            dt.date(2020, 3, 31),
            Decision(NO, ("Svc started on 1 April 2020, after 31 March 2020",)),
        ),
        ({"valid_from": APRIL_2020, "valid_to": MARCH_2023}, APRIL_2020, OPEN),
        ({"valid_from": APRIL_2020, "valid_to": MARCH_2023}, MARCH_2023, OPEN),
        (
            {"valid_from": APRIL_2020, "valid_to": MARCH_2023},
            dt.date(2023, 4, 1),
            Decision(NO, ("Svc ran from 1 April 2020 to 31 March 2023",)),
        ),
        ({"valid_to": MARCH_2023}, MARCH_2023, OPEN),
        (
            {"valid_to": MARCH_2023},
            dt.date(2023, 4, 1),
            Decision(NO, ("Svc ended on 31 March 2023",)),
        ),
        ({"valid_from": APRIL_2020}, dt.date(2099, 1, 1), OPEN),
    ],
)
def test_a_service_takes_families_from_its_first_day_to_its_last(
    dates: dict[str, dt.date], day: dt.date, expected: Decision
) -> None:
    assert decision(service(**dates), born(7), day=day) == expected


def test_a_closed_service_says_so_before_any_rule() -> None:
    closed = service(valid_to=MARCH_2023, min_age_months=24, rules=[rule("area", area="bsb")])
    assert decision(closed, born(7), where=IN_LEEDS, day=dt.date(2024, 1, 1)) == Decision(
        NO, ("Svc ended on 31 March 2023",)
    )


KEIGHLEY_OUTSIDE_BSB = (
    "Lives in Keighley Central ward (Bradford), outside the Better Start Bradford area"
)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2020, 3, 31), OPEN),
        (APRIL_2020, Decision(NO, (KEIGHLEY_OUTSIDE_BSB,))),
        (MARCH_2023, Decision(NO, (KEIGHLEY_OUTSIDE_BSB,))),
        (dt.date(2023, 4, 1), OPEN),
    ],
)
def test_a_rule_holds_from_its_first_day_to_its_last(day: dt.date, expected: Decision) -> None:
    dated = service(rules=[rule("area", area="bsb", valid_from=APRIL_2020, valid_to=MARCH_2023)])
    assert decision(dated, born(7), where=IN_KEIGHLEY, day=day) == expected


# --- where the family lives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "where", "expected"),
    [
        (
            "bsb",
            IN_BSB,
            Decision(OK, ("Lives in the Better Start Bradford area (Bowling and Barkerend ward)",)),
        ),
        ("bsb", IN_KEIGHLEY, Decision(NO, (KEIGHLEY_OUTSIDE_BSB,))),
        (
            "bradford-district",
            IN_LEEDS,
            Decision(
                NO,
                (
                    "Lives in Little London and Woodhouse ward (Leeds), "
                    "outside the Bradford district",
                ),
            ),
        ),
        # No ward recorded: the authority once, never 'Leeds (Leeds)'; nothing named: the postcode.
        (
            "bradford-district",
            NO_WARD,
            Decision(NO, ("Lives in Leeds, outside the Bradford district",)),
        ),
        (
            "bradford-district",
            NOTHING_NAMED,
            Decision(NO, ("Lives in ZZ1 1ZZ, outside the Bradford district",)),
        ),
        (
            "bsb",
            UNPLACED,
            Decision(
                CHECK,
                ("Postcode BD3 9ZZ could not be placed",),
                (
                    "Check the postcode BD3 9ZZ with the family (it is not one we can find) "
                    "and ask whether they live in the Better Start Bradford area",
                ),
            ),
        ),
        # An area the map does not list is named by its id.
        (
            "elsewhere",
            IN_BSB,
            Decision(
                NO, ("Lives in Bowling and Barkerend ward (Bradford), outside the elsewhere",)
            ),
        ),
    ],
)
def test_area_rules(area: str, where: Location, expected: Decision) -> None:
    assert decision(service(rules=[rule("area", area=area)]), born(7), where=where) == expected


# --- the family's GP practice --------------------------------------------------------------------

GP_NOT_GIVEN = Decision(
    CHECK,
    ("The family's GP practice was not given",),
    ("Check whether the family is registered with a RIC GP practice",),
)


@pytest.mark.parametrize(
    ("gp_list", "loaded", "practice", "expected"),
    [
        ("ric", False, None, GP_NOT_GIVEN),
        (
            "ric",
            True,
            None,
            Decision(CHECK, ("The family's GP practice was not given",), ("Check RIC",)),
        ),
        (
            "ric",
            False,
            "B83001",
            Decision(
                CHECK,
                ("Registered with GP practice B83001",),
                ("Ask the service whether GP practice B83001 is one of the RIC practices",),
            ),
        ),
        (
            "ric",
            True,
            "B83002",
            Decision(OK, ("Registered with GP practice B83002, on the list of RIC practices",)),
        ),
        (
            "ric",
            True,
            "B99999",
            Decision(NO, ("GP practice B99999 is not on the list of RIC practices",)),
        ),
        (
            "unknown-list",
            True,
            "B83001",
            Decision(
                CHECK, (), ("Ask which GP practice the family is registered with (unknown-list)",)
            ),
        ),
    ],
)
def test_gp_list_rules(
    gp_list: str, loaded: bool, practice: str | None, expected: Decision
) -> None:
    s = service(rules=[rule("gp_list", gp_list=gp_list)])
    family = born(7, gp_practice=practice) if practice else born(7)
    assert decision(s, family, m=LOADED if loaded else MINI) == expected


# --- criteria the practitioner confirms ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("The parent is under 20", "Ask whether the parent is under 20"),
        ("BMI over 30 at booking", "Ask whether BMI over 30 at booking"),
        ("a first baby", "Ask whether a first baby"),
    ],
)
def test_a_criterion_is_always_asked(text: str, check: str) -> None:
    s = service(rules=[rule("criterion", text=text)])
    assert decision(s, born(7)) == Decision(CHECK, (), (check,))


# --- one of several rules ------------------------------------------------------------------------

BSB_OR_RIC = rule(
    "any_of", rules=[{"kind": "area", "area": "bsb"}, {"kind": "gp_list", "gp_list": "ric"}]
)


@pytest.mark.parametrize(
    ("where", "practice", "m", "expected"),
    [
        (
            IN_BSB,
            None,
            MINI,
            Decision(OK, ("Lives in the Better Start Bradford area (Bowling and Barkerend ward)",)),
        ),
        (
            IN_KEIGHLEY,
            None,
            MINI,
            Decision(
                CHECK,
                (KEIGHLEY_OUTSIDE_BSB, "The family's GP practice was not given"),
                ("Check whether the family is registered with a RIC GP practice",),
            ),
        ),
        (
            IN_KEIGHLEY,
            "B83001",
            LOADED,
            Decision(OK, ("Registered with GP practice B83001, on the list of RIC practices",)),
        ),
        (
            IN_KEIGHLEY,
            "B99999",
            LOADED,
            Decision(
                NO,
                (
                    f"{KEIGHLEY_OUTSIDE_BSB}; and "
                    "GP practice B99999 is not on the list of RIC practices",
                ),
            ),
        ),
        (
            UNPLACED,
            None,
            MINI,
            Decision(
                CHECK,
                ("Postcode BD3 9ZZ could not be placed", "The family's GP practice was not given"),
                (
                    "Check the postcode BD3 9ZZ with the family (it is not one we can find) "
                    "and ask whether they live in the Better Start Bradford area",
                    "Check whether the family is registered with a RIC GP practice",
                ),
            ),
        ),
    ],
)
def test_any_of_takes_the_first_part_that_holds(
    where: Location, practice: str | None, m: Any, expected: Decision
) -> None:
    family = born(7, gp_practice=practice) if practice else born(7)
    assert decision(service(rules=[BSB_OR_RIC]), family, where=where, m=m) == expected


def test_any_of_counts_only_the_parts_in_force_on_the_day() -> None:
    # The BSB part ended in 2020: in 2024 a BSB family off the RIC list is not eligible.
    until_2020 = rule(
        "any_of",
        rules=[
            {"kind": "area", "area": "bsb", "valid_to": "2020-03-31"},
            {"kind": "gp_list", "gp_list": "ric"},
        ],
    )
    s = service(rules=[until_2020])
    off_list = born(7, gp_practice="B99999")
    assert decision(s, off_list, m=LOADED) == Decision(
        NO, ("GP practice B99999 is not on the list of RIC practices",)
    )
    in_2019 = decision(s, off_list, m=LOADED, day=dt.date(2019, 1, 1))
    assert in_2019.status is OK


def test_any_of_with_no_part_in_force_holds_and_says_why() -> None:
    # A judgement call: a rule none of whose parts is in force asks nothing of the family.
    s = service(
        rules=[
            rule(
                "any_of",
                rules=[
                    {"kind": "area", "area": "bsb", "valid_to": "2020-03-31"},
                    {"kind": "gp_list", "gp_list": "ric", "valid_from": "2030-01-01"},
                ],
            )
        ]
    )
    assert decision(s, born(7), where=IN_LEEDS) == Decision(
        OK, ("No part of this rule is in force on the day asked",)
    )


# --- all rules together --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "age", "where", "expected"),
    [
        (
            [rule("area", area="bsb")],
            7,
            IN_BSB,
            Decision(
                OK,
                (
                    "Child is 7 months: within birth to the first birthday",
                    "Lives in the Better Start Bradford area (Bowling and Barkerend ward)",
                ),
            ),
        ),
        (
            [rule("area", area="bsb")],
            7,
            IN_KEIGHLEY,
            Decision(NO, (KEIGHLEY_OUTSIDE_BSB,)),
        ),
        (
            [rule("area", area="bsb")],
            30,
            IN_KEIGHLEY,
            Decision(
                NO,
                (
                    "Child is 30 months: this service works until the first birthday",
                    KEIGHLEY_OUTSIDE_BSB,
                ),
            ),
        ),
        (
            [rule("criterion", text="The parent is under 20")],
            7,
            IN_BSB,
            Decision(
                CHECK,
                ("Child is 7 months: within birth to the first birthday",),
                ("Ask whether the parent is under 20",),
            ),
        ),
        (
            [rule("criterion", text="The parent is under 20"), rule("area", area="bsb")],
            7,
            IN_KEIGHLEY,
            Decision(NO, (KEIGHLEY_OUTSIDE_BSB,)),
        ),
    ],
)
def test_every_rule_must_hold(
    rules: list[Rule], age: int, where: Location, expected: Decision
) -> None:
    s = service(min_age_months=0, max_age_months=12, rules=rules)
    assert decision(s, born(age), where=where) == expected


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([Decision(OK, ("a",))], Decision(OK, ("a",))),
        ([Decision(CHECK, ("a",), ("ask",))], Decision(CHECK, ("a",), ("ask",))),
        ([Decision(OK, ("a",)), Decision(OK, ("b",))], Decision(OK, ("a", "b"))),
        (
            [
                Decision(OK, ("a",)),
                Decision(CHECK, ("b",), ("ask b",)),
                Decision(CHECK, (), ("ask c",)),
            ],
            Decision(CHECK, ("a", "b"), ("ask b", "ask c")),
        ),
        (
            [Decision(NO, ("a",)), Decision(CHECK, ("b",), ("ask",)), Decision(NO, ("c",))],
            Decision(NO, ("a", "c")),
        ),
    ],
)
def test_combine(parts: list[Decision], expected: Decision) -> None:
    assert combine(parts) == expected


def test_services_with_one_signature_share_one_decision() -> None:
    # Two services alike in what they decide on are decided once: the second gets the first's
    # answer even when (as here, to show it) its own rules would differ.
    first = service("first", rules=[rule("area", area="bsb")])
    second = service("second", rules=[rule("area", area="bradford-district")])
    ctx = Context.build(map=MINI, family=born(7), location=IN_KEIGHLEY, day=dt.date(2024, 1, 1))
    assert decide(first, ctx, ("same",)).status is NO
    assert decide(second, ctx, ("same",)).status is NO
    assert decide(second, ctx, ("own",)).status is OK
    assert decide(second, ctx).status is OK


def _family(f: Family) -> Family:  # keeps Family imported for the type of the helpers above
    return f

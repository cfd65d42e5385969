"""The rule engine on the small hand-built map: one behaviour a test."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from navigator.core.eligibility import Context, decide
from navigator.core.family import Family
from navigator.core.geography import PostcodeTable, locate
from navigator.core.models import Eligibility, GpList, Map
from navigator.core.wording import describe_window

BSB = "BD3 9AB"  # Bowling and Barkerend ward
KEIGHLEY = "BD21 1AA"  # Keighley Central ward: in the district, not BSB
LEEDS = "LS1 1AA"
UNKNOWN = "BD3 9ZZ"


def family(**kw: Any) -> Family:
    data = {"postcode": BSB, "stage": "postnatal", "child_age_months": 7}
    data |= {"needs": ["parent_infant_relationship"]} | kw
    return Family.model_validate(data)


def decide_for(
    m: Map, table: PostcodeTable, service_id: str, day: str, **kw: Any
) -> tuple[Eligibility, list[str], list[str]]:
    f = family(**kw)
    ctx = Context.build(
        map=m,
        family=f,
        location=locate(f.postcode, table=table, areas=m.areas),
        day=dt.date.fromisoformat(day),
    )
    service = m.service(service_id)
    assert service is not None
    d = decide(service, ctx)
    assert d.reasons, "every decision carries a reason"
    assert all(r.strip() for r in d.reasons + d.checks)
    return d.status, list(d.reasons), list(d.checks)


@pytest.mark.parametrize(
    ("lo", "hi", "words"),
    [
        (-9, 24, "pregnancy to the second birthday"),
        (-9, 12, "pregnancy to the first birthday"),
        (-3, 3, "the last 3 months of pregnancy to 3 months"),
        (0, None, "from birth, with no upper age limit"),
        (24, 36, "24 months to the third birthday"),
    ],
)
def test_age_windows_in_words(lo: int, hi: int | None, words: str) -> None:
    assert describe_window(lo, hi) == words


def test_bsb_baby_2019_is_eligible_naming_ward_and_age(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    status, reasons, _ = decide_for(mini_map, postcodes, "little-minds-matter", "2019-06-01")
    assert status is Eligibility.eligible
    assert "Child is 7 months: within pregnancy to the second birthday" in reasons
    assert any("Better Start Bradford area (Bowling and Barkerend ward)" in r for r in reasons)


def test_too_old_names_age_and_limit(mini_map: Map, postcodes: PostcodeTable) -> None:
    status, reasons, _ = decide_for(
        mini_map, postcodes, "little-minds-matter", "2019-06-01", child_age_months=30
    )
    assert status is Eligibility.not_eligible
    assert reasons == ["Child is 30 months: this service works until the second birthday"]


def test_antenatal_family_is_within_a_pregnancy_window(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    status, reasons, _ = decide_for(
        mini_map,
        postcodes,
        "little-minds-matter",
        "2019-06-01",
        stage="antenatal",
        child_age_months=None,
    )
    assert status is Eligibility.eligible
    assert "Pregnant: within pregnancy to the second birthday" in reasons


def test_keighley_through_lmm_history(mini_map: Map, postcodes: PostcodeTable) -> None:
    s2019, r2019, _ = decide_for(
        mini_map, postcodes, "little-minds-matter", "2019-06-01", postcode=KEIGHLEY
    )
    assert s2019 is Eligibility.not_eligible
    assert any("Keighley Central ward" in r and "Better Start Bradford" in r for r in r2019)

    s2021, _, c2021 = decide_for(
        mini_map, postcodes, "little-minds-matter", "2021-06-01", postcode=KEIGHLEY
    )
    assert s2021 is Eligibility.check
    assert c2021 == ["Check whether the family is registered with a RIC GP practice"]

    s2024, r2024, _ = decide_for(
        mini_map, postcodes, "little-minds-matter", "2024-01-01", postcode=KEIGHLEY
    )
    assert s2024 is Eligibility.eligible
    assert any("Bradford district" in r for r in r2024)


def test_before_a_service_existed(mini_map: Map, postcodes: PostcodeTable) -> None:
    status, reasons, _ = decide_for(mini_map, postcodes, "little-minds-matter", "2017-01-01")
    assert status is Eligibility.not_eligible
    assert reasons == ["Little Minds Matter started on 12 June 2018, after 1 January 2017"]


def test_after_a_service_ended(mini_map: Map, postcodes: PostcodeTable) -> None:
    status, reasons, _ = decide_for(mini_map, postcodes, "refuge", "2025-01-01")
    assert status is Eligibility.not_eligible
    assert reasons == ["Refuge ended on 31 May 2024"]


def test_outside_the_district(mini_map: Map, postcodes: PostcodeTable) -> None:
    status, reasons, _ = decide_for(mini_map, postcodes, "housing", "2024-01-01", postcode=LEEDS)
    assert status is Eligibility.not_eligible
    assert "Leeds" in reasons[0]
    assert "outside the Bradford district" in reasons[0]


def test_unknown_postcode_is_check_never_a_guess(mini_map: Map, postcodes: PostcodeTable) -> None:
    status, _, checks = decide_for(mini_map, postcodes, "housing", "2024-01-01", postcode=UNKNOWN)
    assert status is Eligibility.check
    assert "Check the postcode BD3 9ZZ with the family" in checks[0]


def test_loaded_gp_list_turns_check_into_a_decision(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    loaded = mini_map.model_copy(
        update={
            "gp_lists": [
                GpList(id="ric", name="RIC practices", check_text="Check RIC", practices=["B83001"])
            ]
        }
    )
    yes, _, _ = decide_for(
        loaded,
        postcodes,
        "little-minds-matter",
        "2021-06-01",
        postcode=KEIGHLEY,
        gp_practice="b83001",
    )
    assert yes is Eligibility.eligible
    no, reasons, _ = decide_for(
        loaded,
        postcodes,
        "little-minds-matter",
        "2021-06-01",
        postcode=KEIGHLEY,
        gp_practice="B99999",
    )
    assert no is Eligibility.not_eligible
    assert "B99999 is not on the list of RIC practices" in reasons[0]
    assert "outside the Better Start Bradford area" in reasons[0]
    unknown, _, checks = decide_for(
        loaded, postcodes, "little-minds-matter", "2021-06-01", postcode=KEIGHLEY
    )
    assert unknown is Eligibility.check
    assert checks == ["Check RIC"]


def test_no_rules_is_open_to_all_and_says_so(mini_map: Map, postcodes: PostcodeTable) -> None:
    # A seed service always names its catchment; a proposal (what-if) may name none.
    refuge = mini_map.service("refuge")
    assert refuge is not None
    bare = mini_map.model_copy(update={"services": [refuge.model_copy(update={"rules": []})]})
    status, reasons, _ = decide_for(bare, postcodes, "refuge", "2020-01-01")
    assert status is Eligibility.eligible
    assert reasons == ["Open to every family: no age, area or GP rule applies"]

"""Answers a practitioner can act on: pregnancy weeks, ranking and why, routes, catchment,
notices, uncertainty, contacts and limits (issue #12). The mini map for mechanisms, the seed
where the behaviour is Bradford's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from navigator.core.contacts import contacts_of
from navigator.core.eligibility import Context, decide
from navigator.core.family import Family
from navigator.core.geography import PostcodeTable, locate
from navigator.core.graph import ReferralGraph, Step
from navigator.core.models import Edge, EdgeKind, Eligibility, Map, RouteKind, Service
from navigator.core.navigate import NavigateResult, navigate
from navigator.core.ranking import Ease, Standing
from navigator.core.seedfile import SeedError, load_seed
from navigator.core.wording import pregnancy_week
from tests.conftest import MINI_SEED

DAY = dt.date(2026, 12, 2)


def ask(m: Map, table: PostcodeTable, day: dt.date = DAY, **kw: Any) -> NavigateResult:
    data: dict[str, Any] = {
        "postcode": "BD3 9AB",
        "stage": "postnatal",
        "child_age_months": 7,
        "needs": ["parent_infant_relationship"],
    } | kw
    data = {k: v for k, v in data.items() if v is not None}
    f = Family.model_validate(data)
    return navigate(
        map=m,
        graph=ReferralGraph(m),
        location=locate(f.postcode, table=table, areas=m.areas),
        family=f,
        as_of=day,
    )


# --- weeks pregnant --------------------------------------------------------------------------


@pytest.mark.parametrize(("months", "week"), [(-9, 1), (-4, 23), (-3, 27), (-2, 31), (-1, 36)])
def test_a_window_in_pregnancy_starts_at_a_week(months: int, week: int) -> None:
    assert pregnancy_week(months) == week


def _age_decision(m: Map, table: PostcodeTable, lo: int, hi: int, **kw: Any) -> Any:
    f = Family.model_validate(
        {"postcode": "BD3 9AB", "stage": "antenatal", "needs": ["housing"]} | kw
    )
    service = m.service("housing")
    assert service is not None
    windowed = service.model_copy(update={"min_age_months": lo, "max_age_months": hi})
    ctx = Context.build(
        map=m, family=f, location=locate(f.postcode, table=table, areas=m.areas), day=DAY
    )
    return decide(windowed, ctx)


@pytest.mark.parametrize(
    ("weeks", "status"),
    [
        (4, Eligibility.not_eligible),
        (26, Eligibility.not_eligible),
        (27, Eligibility.eligible),
        (40, Eligibility.eligible),
        (42, Eligibility.eligible),
    ],
)
def test_the_last_three_months_of_pregnancy_start_at_27_weeks(
    mini_map: Map, postcodes: PostcodeTable, weeks: int, status: Eligibility
) -> None:
    d = _age_decision(mini_map, postcodes, -3, 3, weeks_pregnant=weeks)
    assert d.status is status
    assert d.reasons[0].startswith(f"Pregnant, {weeks} weeks")
    if status is Eligibility.not_eligible:
        assert "starts at 27 weeks" in d.reasons[0]


@pytest.mark.parametrize(
    ("weeks", "status"), [(35, Eligibility.eligible), (36, Eligibility.not_eligible)]
)
def test_a_window_ending_in_pregnancy_ends_at_its_week(
    mini_map: Map, postcodes: PostcodeTable, weeks: int, status: Eligibility
) -> None:
    assert _age_decision(mini_map, postcodes, -9, -1, weeks_pregnant=weeks).status is status


def test_without_weeks_the_practitioner_is_asked(mini_map: Map, postcodes: PostcodeTable) -> None:
    d = _age_decision(mini_map, postcodes, -3, 3)
    assert d.status is Eligibility.check
    assert d.checks == (
        "Ask how many weeks pregnant she is: this service starts at 27 weeks "
        "(the last 3 months of pregnancy to 3 months)",
    )
    whole = _age_decision(mini_map, postcodes, -9, 24)
    assert whole.status is Eligibility.eligible  # all of pregnancy: no need to ask


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weeks_pregnant": 3}, "weeks_pregnant"),
        ({"weeks_pregnant": 43}, "weeks_pregnant"),
        ({"weeks_pregnant": "30"}, "weeks_pregnant"),
        ({"stage": "postnatal", "child_age_months": 2, "weeks_pregnant": 30}, "weeks_pregnant"),
    ],
)
def test_weeks_out_of_range_or_after_the_birth_are_refused(
    change: dict[str, Any], field: str
) -> None:
    data = {"postcode": "BD3 9AB", "stage": "antenatal", "needs": ["housing"]} | change
    with pytest.raises(ValidationError) as caught:
        Family.model_validate(data)
    assert [e["loc"][0] for e in caught.value.errors()] == [field]


# --- ranking and why -------------------------------------------------------------------------


def test_the_practitioners_own_service_is_never_recommended(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    res = ask(mini_map, postcodes, from_service="health-visiting")
    assert "health-visiting" not in [r.service_id for r in res.recommendations]
    assert "health-visiting" not in [n.service_id for n in res.not_eligible]


def test_every_recommendation_says_in_one_sentence_why_it_stands_there(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    res = ask(seed_map, postcodes, from_service="health-visiting")
    first, *rest = res.recommendations
    assert first.service_id == "little-minds-matter"
    assert first.why_ranked.startswith("First: its remit is supporting the parent–infant")
    for r in rest:
        assert r.why_ranked.count(".") == 1, r.why_ranked  # one sentence
        assert " (below " in r.why_ranked
    scores = [r.score for r in res.recommendations]
    assert scores == sorted(scores, reverse=True)


def test_a_grey_circle_service_never_outranks_a_core_one_for_a_relationship_worry(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    res = ask(seed_map, postcodes, from_service="health-visiting")
    ids = [r.service_id for r in res.recommendations]
    assert ids.index("little-minds-matter") < ids.index("start-for-life-parenting")
    sfl = next(r for r in res.recommendations if r.service_id == "start-for-life-parenting")
    assert "the remit of Perinatal Support Service (Family Action) is for one" in sfl.why_ranked


def _standing(**kw: Any) -> Standing:
    base: dict[str, Any] = {
        "lead": None,
        "at_level": True,
        "level_gap": 0,
        "check": False,
        "ease": Ease.direct,
        "needs_met": 1,
        "primary": True,
        "ring": "core",
        "focus": 1.0,
    }
    return Standing(**(base | kw))


def test_scores_follow_the_ranking_and_stay_between_0_and_1() -> None:
    best = _standing()
    worse = [
        _standing(level_gap=1),
        _standing(check=True),
        _standing(ease=Ease.family),
        _standing(ease=Ease.none),
        _standing(ring="outer"),
    ]
    for w in worse:
        assert w.key() > best.key()
        assert 0 <= w.score() < best.score() <= 1


# --- routes ----------------------------------------------------------------------------------


def _graph(m: Map, *edges: tuple[str, str, EdgeKind]) -> ReferralGraph:
    return ReferralGraph(
        m.model_copy(update={"edges": [Edge(source=a, target=b, kind=k) for a, b, k in edges]})
    )


def test_a_route_prefers_direct_then_the_family_then_one_service_between(mini_map: Map) -> None:
    g = _graph(
        mini_map,
        ("health-visiting", "little-minds-matter", EdgeKind.refers),
        ("little-minds-matter", "housing", EdgeKind.refers),
    )
    two = g.pathway("health-visiting", "housing", day=DAY, self_referral=False, practical=True)
    assert two is not None
    assert [s.target for s in two.steps] == ["little-minds-matter", "housing"]
    assert not two.long
    itself = g.pathway("health-visiting", "housing", day=DAY, self_referral=True, practical=True)
    assert itself is not None
    assert itself.steps == (Step("health-visiting", "housing", "self_referral"),)
    # Never through a service the family cannot use.
    avoided = g.pathway(
        "health-visiting", "housing", day=DAY, self_referral=False, practical=True,
        avoid={"little-minds-matter"},
    )  # fmt: skip
    assert avoided is None


def test_the_fewest_services_on_the_way_win_over_cheaper_edges(mini_map: Map) -> None:
    # Three firm hops cost 3.0 and two signposts 3.2: a practitioner still takes the shorter.
    refuge = mini_map.service("refuge")
    assert refuge is not None
    bridge = refuge.model_copy(update={"id": "bridge", "name": "Bridge", "valid_to": None})
    m = mini_map.model_copy(update={"services": [*mini_map.services, bridge]})
    g = _graph(
        m,
        ("health-visiting", "little-minds-matter", EdgeKind.refers),
        ("little-minds-matter", "bridge", EdgeKind.refers),
        ("bridge", "housing", EdgeKind.refers),
        ("health-visiting", "refuge", EdgeKind.signposts),
        ("refuge", "housing", EdgeKind.signposts),
    )
    day = dt.date(2024, 1, 1)
    path = g.pathway("health-visiting", "housing", day=day, self_referral=False, practical=True)
    assert path is not None
    assert path.services == ["health-visiting", "refuge", "housing"]
    cheapest = g.pathway("health-visiting", "housing", day=day, self_referral=False)
    assert cheapest is not None
    assert cheapest.services == ["health-visiting", "little-minds-matter", "bridge", "housing"]
    assert cheapest.long  # the default, cheapest route is unchanged


def test_a_long_route_is_shown_only_when_nothing_shorter_exists_and_says_so(
    mini_map: Map, postcodes: PostcodeTable
) -> None:
    m = mini_map.model_copy(
        update={
            "edges": [
                Edge(source="health-visiting", target="little-minds-matter", kind=EdgeKind.refers),
                Edge(source="little-minds-matter", target="refuge", kind=EdgeKind.refers),
                Edge(source="refuge", target="housing", kind=EdgeKind.refers),
            ],
            "services": [
                s.model_copy(update={"routes": []}) if s.id == "housing" else s
                for s in mini_map.services
            ],
        }
    )
    res = ask(
        m, postcodes, day=dt.date(2024, 1, 1), needs=["housing"], from_service="health-visiting"
    )
    housing = next(r for r in res.recommendations if r.service_id == "housing")
    assert len(housing.pathway_steps) == 3
    assert housing.pathway_note is not None
    assert housing.pathway_note.startswith("No shorter route is recorded: this one has 3 steps")
    assert housing.pathway_explained[0] == "You refer to Little Minds Matter"
    assert housing.pathway_explained[1] == "Little Minds Matter refers to Refuge"


def test_the_keighley_midwife_reaches_airedale_maternity_without_three_services_between(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    res = ask(
        seed_map,
        postcodes,
        postcode="BD21 1AA",
        stage="antenatal",
        child_age_months=None,
        weeks_pregnant=30,
        needs=["perinatal_mental_health", "domestic_abuse"],
        from_service="midwifery",
    )
    airedale = next(r for r in res.recommendations if r.service_id == "maternity-airedale")
    assert airedale.pathway == ["midwifery", "maternity-airedale"]
    assert airedale.route.kind == RouteKind.self_referral
    assert airedale.pathway_explained == [
        "The family contacts Maternity services, Airedale General Hospital themselves"
    ]


# --- catchment and notices -------------------------------------------------------------------


def test_the_seed_refuses_a_service_that_does_not_say_where_it_serves(tmp_path: Path) -> None:
    data = yaml.safe_load(MINI_SEED.read_text())
    housing = next(s for s in data["services"] if s["id"] == "housing")
    housing["rules"] = [{"kind": "gp_list", "gp_list": "ric"}]
    path = tmp_path / "silent.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(SeedError) as caught:
        load_seed(path)
    assert caught.value.entry == "services[housing]"
    assert caught.value.field == "rules"
    assert "does not say where it serves" in caught.value.message


def test_every_seed_service_says_where_it_serves(seed_map: Map) -> None:
    national = [s.id for s in seed_map.services if any(r.area == "england" for r in s.rules)]
    assert national == ["nhs-111-mental-health", "national-domestic-abuse-helpline"]


def test_a_national_line_is_open_anywhere_in_england_and_nowhere_else(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    leeds = locate("LS1 1AA", table=postcodes, areas=seed_map.areas)
    assert "england" in leeds.areas
    assert "bradford-district" not in leeds.areas


def test_a_family_in_leeds_is_told_so_and_offered_nothing_it_cannot_use(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    res = ask(seed_map, postcodes, postcode="LS1 1AA", child_age_months=5)
    assert [n.code for n in res.notices] == ["outside_district"]
    assert "This family lives in Leeds, outside Bradford district" in res.notices[0].text
    assert "0113 535 0185" in res.notices[0].text  # Leeds Family Hubs, from a public source
    assert res.recommendations == []
    assert res.lmm.offer.alternatives == []
    assert "Leeds Family Hubs" in res.lmm.offer.summary
    seads = next(n for n in res.not_eligible if n.service_id == "seads")
    assert "outside the NHS Bradford District and Craven footprint" in seads.reasons[0]


@pytest.mark.parametrize(
    ("needs", "codes", "words"),
    [
        (["domestic_abuse"], ["safeguarding"], "01274 433999"),
        (["safeguarding"], ["safeguarding"], "safeguarding procedures"),
        (["mental_health_crisis"], ["crisis"], "First Response"),
        (["mental_health_crisis", "domestic_abuse"], ["crisis", "safeguarding"], "999"),
        (["housing"], [], ""),
    ],
)
def test_notices_come_from_the_needs(
    seed_map: Map, postcodes: PostcodeTable, needs: list[str], codes: list[str], words: str
) -> None:
    res = ask(seed_map, postcodes, needs=needs)
    assert [n.code for n in res.notices] == codes
    assert all(words in n.text for n in res.notices[:1])


def test_an_unknown_postcode_is_a_notice_and_checks_in_practitioner_words(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    res = ask(seed_map, postcodes, postcode="BD3 9ZZ")
    assert [n.code for n in res.notices] == ["unknown_postcode"]
    assert "BD3 9ZZ" in res.notices[0].text
    for r in res.recommendations:
        for c in r.checks:
            assert "postcode table" not in c
            assert "loaded" not in c


def test_a_gp_list_check_says_what_to_ask(seed_map: Map, postcodes: PostcodeTable) -> None:
    res = ask(seed_map, postcodes, postcode="BD21 1AA", day=dt.date(2021, 6, 1))
    assert res.lmm.checks == [
        "Ask which GP practice the family is registered with: the service takes families "
        "registered with a RIC GP practice (central Bradford, the former Bradford City CCG)"
    ]
    given = ask(
        seed_map, postcodes, postcode="BD21 1AA", day=dt.date(2021, 6, 1), gp_practice="B83001"
    )
    assert given.lmm.checks == [
        "Ask the service whether GP practice B83001 is one of the Reducing Inequalities in "
        "Communities (RIC) GP practices"
    ]


# --- honest uncertainty ----------------------------------------------------------------------


def test_lmms_inferred_district_wide_rule_is_named_only_while_it_decides(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    now = ask(seed_map, postcodes)
    assert any("Bradford district" in f and "1 April 2023" in f for f in now.lmm.inferred)
    card = next(r for r in now.recommendations if r.service_id == "little-minds-matter")
    assert card.inferred == now.lmm.inferred
    then = ask(seed_map, postcodes, day=dt.date(2019, 6, 1))
    assert then.lmm.inferred == []  # in 2019 the confirmed BSB rule decided


def test_smabs_rests_only_on_its_inferred_catchment(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    res = ask(seed_map, postcodes, child_age_months=3, needs=["severe_perinatal_mental_illness"])
    smabs = next(r for r in res.recommendations if r.service_id == "smabs")
    assert len(smabs.inferred) == 3
    assert smabs.inferred[0].startswith("The rule “Lives in the NHS Bradford District and Craven")
    # No source gives its levels, and "families cannot refer themselves" is read from its page.
    assert smabs.inferred[1:] == [
        "The levels it works at (Specialist)",
        "That families cannot refer themselves",
    ]


# --- contacts --------------------------------------------------------------------------------


def test_contacts_are_typed_in_the_seed_and_say_whose_number_it_is(seed_map: Map) -> None:
    """Issue #13: contact points come from the seed's typed contacts, never read from text."""
    front_door = seed_map.service("childrens-social-care")
    assert isinstance(front_door, Service)
    got = contacts_of(front_door)
    assert (got[0].value, got[0].own) == ("01274 433999", True)
    assert "Integrated Front Door" in got[0].label
    assert got[0].hours == "8.30am-5pm Monday to Thursday; to 4.30pm Friday"
    assert got[0].source.startswith("https://")
    assert got[0].status == "confirmed"
    emergency = next(c for c in got if c.value == "999")
    assert not emergency.own
    assert "not the service's own number" in emergency.label
    assert got[-1] is emergency  # its own lines first
    da = seed_map.service("domestic-abuse")
    assert da is not None
    national = next(c for c in contacts_of(da) if c.value == "0808 2000 247")
    assert not national.own
    assert "national" in national.label.lower()
    lmm = seed_map.service("little-minds-matter")
    assert lmm is not None
    assert not lmm.own_contacts("phone")  # no public number of its own: none is made up
    assert lmm.no_public_contact
    assert "No public phone number" in lmm.no_public_contact


def test_a_routes_contact_text_gives_no_contact_point() -> None:
    m = load_seed(MINI_SEED)
    hv = m.service("health-visiting")
    assert hv is not None
    text = "Call 01274 433999 (Monday to Friday)"
    routed = hv.model_copy(update={"routes": [hv.routes[0].model_copy(update={"contact": text})]})
    assert contacts_of(routed) == []


# --- limit -----------------------------------------------------------------------------------


def test_limit_caps_each_list_and_totals_count_them_all(
    seed_map: Map, postcodes: PostcodeTable
) -> None:
    needs = ["parent_infant_relationship", "perinatal_mental_health", "infant_feeding"]
    full = ask(seed_map, postcodes, needs=needs)
    cut = navigate(
        map=seed_map,
        graph=ReferralGraph(seed_map),
        location=locate("BD3 9AB", table=postcodes, areas=seed_map.areas),
        family=Family.model_validate(
            {"postcode": "BD3 9AB", "stage": "postnatal", "child_age_months": 7, "needs": needs}
        ),
        as_of=DAY,
        limit=2,
    )
    assert full.totals.recommendations == len(full.recommendations) > 2
    assert [r.service_id for r in cut.recommendations] == [
        r.service_id for r in full.recommendations[:2]
    ]
    assert len(cut.not_eligible) == min(2, full.totals.not_eligible)
    assert cut.totals == full.totals


def test_inferred_facts_read_in_words_not_codes(seed_map: Map, postcodes: PostcodeTable) -> None:
    res = ask(seed_map, postcodes, postcode="BD21 1AA", needs=["perinatal_mental_health"])
    tt = next(r for r in res.recommendations if r.service_id == "talking-therapies")
    assert "That it helps with Perinatal mental health" in tt.inferred
    assert "The levels it works at (Universal Plus, Targeted)" in tt.inferred
    abuse = ask(seed_map, postcodes, postcode="BD21 1AA", needs=["domestic_abuse"])
    line = next(r for r in abuse.recommendations if r.service_id.startswith("national-"))
    assert line.reasons == ["Lives in the whole of England (Keighley Central ward)"]

"""Service facts a practitioner can act on (issue #13): typed contacts, organisations, sites,
catchments and statuses on every fact."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from navigator.core import analytics
from navigator.core.analytics.areas import AreaIndex
from navigator.core.exports import organisations_in_use, phone_numbers
from navigator.core.geography import PostcodeTable
from navigator.core.models import ContactPoint, Map, Service, Status, public
from navigator.core.seedfile import SeedError, load_seed, parse_map
from navigator.core.validation import untagged_facts
from tests.conftest import MINI_SEED

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seed" / "services.yaml"
TODAY = dt.date(2026, 12, 3)
# Services whose levels no source gives: the issue names them (they carried no status).
NO_SOURCE_FOR_LEVELS = [
    "smabs",
    "family-nurse-partnership",
    "talking-together",
    "welcome-to-the-world",
    "camhs",
    "henry",
]


def _raw(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


# --- every fact says how sure we are -----------------------------------------------------------


@pytest.mark.parametrize("path", [SEED, MINI_SEED], ids=["seed", "mini"])
def test_no_fact_is_left_untagged(path: Path) -> None:
    assert untagged_facts(_raw(path)) == []


def test_an_untagged_fact_is_found() -> None:
    doc = _raw(MINI_SEED)
    service = doc["services"][0]
    del service["levels_status"]
    del service["routes"][0]["status"]
    del service["catchment"]["status"]
    service["contacts"] = [{"kind": "phone", "value": "01274 000000", "label": "x", "own": True}]
    doc["edges"][0].pop("status")
    found = untagged_facts(doc)
    assert found == [
        "services[0] (health-visiting).levels_status",
        "services[0] (health-visiting).routes[0].status",
        "services[0] (health-visiting).contacts[0].status",
        "services[0] (health-visiting).catchment.status",
        "edges[0].status",
    ]


def test_levels_without_a_source_are_inferred(seed_map: Map) -> None:
    for sid in NO_SOURCE_FOR_LEVELS:
        s = seed_map.service(sid)
        assert s is not None, sid
        assert s.levels_status is Status.inferred, sid
        assert "levels" in s.inferred, sid
    lmm = seed_map.service("little-minds-matter")
    assert lmm is not None
    assert lmm.levels_status is Status.seed_report


def test_levels_status_and_the_inferred_list_agree() -> None:
    m = load_seed(MINI_SEED)
    hv = m.service("health-visiting")
    assert hv is not None
    data = hv.model_dump() | {"levels_status": "inferred"}
    with pytest.raises(ValidationError, match="levels_status and the inferred list disagree"):
        Service.model_validate(data)
    Service.model_validate(data | {"inferred": ["levels"]})


def test_smabs_no_self_referral_is_inferred(seed_map: Map) -> None:
    smabs = seed_map.service("smabs")
    assert smabs is not None
    assert not smabs.self_referral
    assert "self_referral" in smabs.inferred
    (route,) = smabs.routes
    assert route.status is Status.confirmed  # that professionals refer: the service's page
    assert "inferred" in route.how  # that families cannot: our reading of it
    assert route.contact is None  # the old "contact" was its opening hours


# --- typed contacts ------------------------------------------------------------------------


def _contact(**kw: Any) -> ContactPoint:
    base = {"kind": "phone", "value": "01274 221166", "label": "x", "own": True}
    return ContactPoint.model_validate(
        base | {"source": "https://example.org", "status": "confirmed"} | kw
    )


def test_a_contact_point_is_checked_against_its_kind() -> None:
    assert _contact().dial == "01274221166"
    with pytest.raises(ValidationError, match="never a service's own number"):
        _contact(value="999")
    assert not _contact(value="999", own=False).own
    with pytest.raises(ValidationError, match="not a UK phone number"):
        _contact(value="Monday to Friday, 9am to 5pm")
    with pytest.raises(ValidationError, match="not an email address"):
        _contact(kind="email", value="nobody")
    with pytest.raises(ValidationError, match="not a web address"):
        _contact(kind="website", value="javascript:alert(1)")
    with pytest.raises(ValidationError, match="status"):
        ContactPoint.model_validate(
            {"kind": "phone", "value": "01274 221166", "label": "x", "own": True, "source": "y"}
        )


def test_every_seed_contact_is_sourced_and_no_shared_number_is_a_services_own(
    seed_map: Map,
) -> None:
    for s in seed_map.services:
        for c in s.contacts:
            assert c.source, (s.id, c)
            assert c.status in (Status.confirmed, Status.inferred), (s.id, c)
            if c.value in ("999", "112"):
                assert not c.own, s.id
        # Exported phones are its own only: never 999, a helpline or a switchboard.
        own = {c.value for c in s.contacts if c.own and c.kind == "phone"}
        assert set(phone_numbers(s)) == own, s.id
        assert "999" not in phone_numbers(s)
        for switchboard in ("01274 228300",):
            if any(c.value == switchboard for c in s.contacts):
                assert switchboard not in phone_numbers(s), s.id


def test_a_services_url_is_its_own_page_never_a_citation(seed_map: Map) -> None:
    slt = seed_map.service("speech-and-language-therapy")
    assert slt is not None
    assert slt.url() == "https://www.bdct.nhs.uk/how-to-refer-a-child/"
    lmm = seed_map.service("little-minds-matter")
    assert lmm is not None
    cited = {x.url for x in lmm.sources}
    assert lmm.url() not in cited  # its Instagram page, not a news item it is cited from
    hv = seed_map.service("health-visiting")
    assert hv is not None
    assert hv.url() is None


def test_every_current_service_without_a_direct_route_says_what_to_do(seed_map: Map) -> None:
    for s in seed_map.active_services(TODAY):
        if not s.direct_contact():
            assert s.no_public_contact, s.id


# --- organisations ---------------------------------------------------------------------------


def test_organisations_are_deduplicated_with_their_codes(seed_map: Map) -> None:
    ids = [o.id for o in seed_map.organisations]
    assert len(ids) == len(set(ids))
    by_id = {o.id: o for o in seed_map.organisations}
    assert by_id["bdct"].ods_code == "TAD"
    assert by_id["bdct"].status is Status.confirmed
    for oid, code in (("bthft", "RAE"), ("anhsft", "RCF"), ("wy-icb", "QWO")):
        assert by_id[oid].ods_code == code, oid
        assert by_id[oid].status is Status.inferred, oid
    assert by_id["family-action"].charity_number == "264713"
    assert by_id["family-action"].company_number == "01068186"
    # Every BDCT and BTHFT service points to its trust: no provider-name copies of them.
    for s in seed_map.services:
        if s.provider.startswith("Bradford District Care NHS Foundation Trust"):
            assert s.organisation_id == "bdct", s.id
        if s.provider.startswith("Bradford Teaching Hospitals"):
            assert s.organisation_id == "bthft", s.id
    made_up = [o.id for o in organisations_in_use(seed_map) if o.id.startswith("provider-")]
    assert not [x for x in made_up if "bradford-district-care" in x or "teaching" in x]
    assert len(organisations_in_use(seed_map)) < 33


def test_an_organisations_numbers_need_a_source() -> None:
    m = load_seed(MINI_SEED)
    with pytest.raises(ValidationError, match="need a source"):
        type(m).model_validate(
            m.model_dump() | {"organisations": [{"id": "x", "name": "X", "charity_number": "1"}]}
        )


# --- sites and catchments ------------------------------------------------------------------


def test_a_confidential_address_has_no_sites(mini_map: Map) -> None:
    refuge = mini_map.service("refuge")
    assert refuge is not None
    site = {"name": "Refuge", "source": "x", "status": "confirmed"}
    with pytest.raises(ValidationError, match="no sites and no address contacts"):
        Service.model_validate(refuge.model_dump() | {"sites": [site]})
    assert public(refuge).address is None


def test_a_catchment_names_areas_of_the_map() -> None:
    doc = _raw(MINI_SEED)
    doc["services"][0]["catchment"]["areas"] = ["nowhere"]
    with pytest.raises(SeedError) as err:
        parse_map(doc, file="mini.yaml")
    assert "services[health-visiting]" in str(err.value)
    assert "catchment" in str(err.value)
    assert "nowhere" in str(err.value)


def test_national_lines_work_anywhere(seed_map: Map) -> None:
    for sid in ("nhs-111-mental-health", "national-domestic-abuse-helpline"):
        s = seed_map.service(sid)
        assert s is not None, sid
        assert s.catchment is not None, sid
        assert s.catchment.anywhere, sid


def test_family_hub_wards_are_not_invented(seed_map: Map) -> None:
    hubs = seed_map.service("family-hubs")
    assert hubs is not None
    assert hubs.catchment is not None
    assert "four Family Hub areas" in hubs.catchment.text
    assert all(site.ward is None for site in hubs.sites)


@pytest.fixture(scope="module")
def seed_index(seed_map: Map, postcodes: PostcodeTable) -> AreaIndex:
    return AreaIndex.build(map=seed_map, postcodes=postcodes)


def test_the_two_maternity_units_are_not_duplicates(seed_map: Map, seed_index: AreaIndex) -> None:
    result = analytics.overlap(map=seed_map, index=seed_index, as_of=TODAY, limit=None)
    pair = next(p for p in result.pairs if {p.a, p.b} == {"maternity-airedale", "midwifery"})
    # Same needs, levels and ages, so not apart; but their catchments meet only at Bingley
    # (BD16, put in both): no longer 1.00, as if one were a copy of the other.
    assert pair.score < 0.85
    assert pair.parts.area < 0.1
    assert pair.parts.area_known
    assert pair.shared_areas == []

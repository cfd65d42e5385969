"""The practitioners' pages over the real seed, through the app as a browser without JavaScript."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from navigator.core.models import Map
from tests.web.dom import Node, parse

REFUGE_ADDRESS = "Confidential refuge address held by Staying Put"

HEALTH_VISITOR: dict[str, Any] = {
    "postcode": "BD3 9AB",
    "stage": "postnatal",
    "child_age_months": "7",
    "needs": ["parent_infant_relationship"],
    "level": "universal_plus",
    "from_service": "health-visiting",
}


def page(client: TestClient, url: str, status: int = 200, **kwargs: Any) -> Node:
    method = "POST" if "data" in kwargs else "GET"
    r = client.request(method, url, **kwargs)
    assert r.status_code == status, (url, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    return parse(r.text)


def error_summary(doc: Node) -> list[tuple[str, str]]:
    """(link target, message) of each item in the error summary."""
    box = doc.find(role="alert")
    assert box.find("h2").text == "There is a problem"
    return [(a.attrs["href"], a.text) for a in box.find_all("a")]


# The form -------------------------------------------------------------------------------------


def test_form_has_every_field_with_its_label(seed_client: TestClient, seed_map: Map) -> None:
    doc = page(seed_client, "/")
    form = doc.find("form", method="post")
    assert form.attrs["action"] in {"/", "/results"}
    assert doc.label_for("Postcode").attrs["type"] == "text"
    assert doc.label_for("Pregnant").attrs["value"] == "antenatal"
    assert doc.label_for("Baby is born").attrs["value"] == "postnatal"
    assert doc.label_for("Child's age (months)").attrs["type"] == "number"
    assert doc.label_for("GP practice (ODS code)").tag == "input"
    assert doc.label_for("Weeks pregnant").attrs["type"] == "number"
    # The date is three boxes (GOV.UK's pattern), never the browser's locale-bound date picker.
    assert [doc.label_for(part).attrs["name"] for part in ("Day", "Month", "Year")] == [
        "as_of_day",
        "as_of_month",
        "as_of_year",
    ]
    assert not doc.find_all("input", type="date")
    services = doc.label_for("My service")
    assert services.tag == "select"
    assert "health-visiting" in {o.attrs["value"] for o in services.find_all("option")}
    for need in seed_map.needs:
        box = doc.label_for(need.label)
        assert (box.attrs["type"], box.attrs["value"]) == ("checkbox", need.code)
        assert need.description in doc.by_id(box.attrs["aria-describedby"]).text
    # Needs are grouped in fieldsets whose legends are the groups.
    legends = {legend.text for legend in doc.find_all("legend")}
    assert {n.group for n in seed_map.needs} <= legends
    for level in seed_map.levels:
        radio = doc.label_for(level.label)
        assert radio.attrs["value"] == level.id
        assert doc.by_id(radio.attrs["aria-describedby"]).text == level.description
    assert form.find("button", type="submit").text == "Find services"


def test_layout_has_landmarks_skip_link_and_attribution(
    seed_client: TestClient, seed_map: Map
) -> None:
    doc = page(seed_client, "/")
    assert doc.find("html").attrs["lang"] == "en-GB"
    skip = doc.find("a", class_="skip-link")
    assert skip.attrs["href"] == "#main"
    assert doc.by_id("main").tag == "main"
    assert "Bradford Early Years Navigator" in doc.find("header").text
    nav = {a.text: a.attrs["href"] for a in doc.find("nav").find_all("a")}
    assert nav == {
        "Find services": "/",
        "Directory": "/services",
        "System map": "/map",
        "Commissioners": "/commission",
    }
    footer = doc.find("footer").text
    for line in seed_map.meta.attribution:
        assert " ".join(line.split()) in footer


def test_static_files_are_served(seed_client: TestClient) -> None:
    for path, kind in (("/static/style.css", "text/css"), ("/static/app.js", "javascript")):
        r = seed_client.get(path)
        assert r.status_code == 200
        assert kind in r.headers["content-type"]
    assert "@media print" in seed_client.get("/static/style.css").text


# Results --------------------------------------------------------------------------------------


def test_results_lead_with_lmm_then_ranked_explained_services(seed_client: TestClient) -> None:
    r = seed_client.post("/", data=HEALTH_VISITOR)
    assert r.status_code == 200
    # A shared PC's browser must not keep the family's results.
    assert r.headers["cache-control"] == "no-store"
    doc = parse(r.text)
    assert doc.find("h1").text == "Services for this family"
    main = doc.by_id("main")
    lmm = main.find("section", class_="lmm")
    assert "Little Minds Matter" in lmm.find("h2").text
    assert "Eligible" in lmm.text
    assert "Child is 7 months: within pregnancy to the second birthday" in lmm.text
    assert "Consult before you refer" in lmm.text
    assert "Triage" in lmm.text
    assert lmm.find("aside").text.startswith("Training")  # health visiting is priority workforce
    # LMM's block comes before the ranked cards.
    order = [n for n in main.walk() if n.has_class("lmm") or n.has_class("result-card")]
    assert order[0].has_class("lmm")

    cards = main.find_all("li", class_="result-card")
    assert len(cards) >= 3
    names = [c.find("h3").text for c in cards]
    assert "Little Minds Matter" in names
    link = cards[names.index("Little Minds Matter")].find("a")
    assert link.attrs["href"] == "/services/little-minds-matter"
    for card in cards:
        text = card.text
        assert "Eligible" in text or "Check first" in text
        assert "Why" in text
        assert "How to get there" in text
    lmm_card = cards[names.index("Little Minds Matter")].text
    assert "Consultation" in lmm_card
    assert "You consult Little Minds Matter" in lmm_card  # the route from the practitioner
    checks = [c for c in cards if "Check first" in c.text]
    assert all("What to ask" in c.text for c in checks)

    details = main.find("details", class_="not-eligible")
    assert details.find("summary").text.startswith("Not available to this family, and why")


def test_every_not_eligible_reason_is_shown(seed_client: TestClient) -> None:
    # 14 months: past the first birthday, so services for babies say why they are closed.
    r = seed_client.post("/results", data={**HEALTH_VISITOR, "child_age_months": "14"})
    assert r.status_code == 200
    api = seed_client.post(
        "/api/v1/navigate",
        json={**HEALTH_VISITOR, "child_age_months": 14},
    ).json()
    assert api["not_eligible"], "the scenario must refuse some service"
    details = parse(r.text).find("details", class_="not-eligible")
    for refused in api["not_eligible"]:
        assert refused["name"] in details.text
        for reason in refused["reasons"]:
            assert " ".join(reason.split()) in details.text


def test_lmm_history_as_of_a_past_date(seed_client: TestClient) -> None:
    # In 2019 LMM took only the Better Start Bradford area; BD9 4AA (Heaton) is outside it.
    data = {**HEALTH_VISITOR, "postcode": "BD9 4AA", "as_of": "2019-01-01"}
    doc = parse(seed_client.post("/", data=data).text)
    lmm = doc.find("section", class_="lmm")
    assert "Not eligible" in lmm.text
    assert "outside the Better Start Bradford area" in lmm.text
    assert "1 January 2019" in doc.find("p", class_="lead").text


def test_no_lmm_block_without_a_relationship_need(seed_client: TestClient) -> None:
    data = {**HEALTH_VISITOR, "needs": ["housing"]}
    doc = parse(seed_client.post("/", data=data).text)
    assert not doc.find_all("section", class_="lmm")
    assert "Housing" in doc.by_id("main").text


def test_referral_summary_is_plain_text_without_the_postcode(seed_client: TestClient) -> None:
    doc = parse(seed_client.post("/", data={**HEALTH_VISITOR, "gp_practice": "B83001"}).text)
    box = doc.label_for("Referral summary: the services, why, and how to reach them")
    assert box.tag == "textarea"
    assert "readonly" in box.attrs
    text = box.text
    assert "Little Minds Matter" in text
    assert "Why: Child is 7 months" in text
    assert "Route: " in text
    assert "BD3 9AB" not in text
    assert "B83001" not in text
    button = doc.find("button", data_copy="referral-summary")
    assert button.text == "Copy referral summary"
    assert "hidden" in button.attrs  # shown only when app.js can make it work


def test_change_answers_brings_the_form_back_filled_in(seed_client: TestClient) -> None:
    doc = parse(seed_client.post("/", data=HEALTH_VISITOR).text)
    back = doc.find("form", action="/change-answers")
    fields: dict[str, list[str]] = {}
    for i in back.find_all("input"):
        fields.setdefault(i.attrs["name"], []).append(i.attrs["value"])
    assert fields["needs"] == ["parent_infant_relationship"]
    # The editors' area (and its cookie, path /edit) has nothing to do with a family's answers.
    assert seed_client.post("/edit", data=fields).status_code == 405
    form = parse(seed_client.post("/change-answers", data=fields).text)
    assert form.label_for("Postcode").attrs["value"] == "BD3 9AB"
    assert "checked" in form.label_for("Baby is born").attrs
    assert "checked" in form.label_for("Parent–infant relationship").attrs
    assert form.label_for("Child's age (months)").attrs["value"] == "7"


# Errors ---------------------------------------------------------------------------------------


def test_malformed_postcode_is_422_with_summary_linking_to_the_field(
    seed_client: TestClient,
) -> None:
    data = {**HEALTH_VISITOR, "postcode": "BD3 9A"}
    r = seed_client.post("/", data=data)
    assert r.status_code == 422
    doc = parse(r.text)
    assert doc.find("title").text.startswith("Error:")
    [(href, message)] = error_summary(doc)
    assert href == "#postcode"
    assert "postcode" in message.lower()
    field = doc.by_id("postcode")
    assert field.attrs["value"] == "BD3 9A"  # what was typed is kept
    assert field.attrs["aria-invalid"] == "true"
    assert message in doc.by_id("postcode-error").text
    assert "postcode-error" in field.attrs["aria-describedby"]
    # The rest of the answers are kept too.
    assert "checked" in doc.label_for("Baby is born").attrs
    assert "checked" in doc.label_for("Parent–infant relationship").attrs
    assert "selected" in doc.find("option", value="health-visiting").attrs


def test_every_missing_answer_is_listed_in_form_order(seed_client: TestClient) -> None:
    r = seed_client.post("/", data={"postcode": "", "child_age_months": ""})
    assert r.status_code == 422
    doc = parse(r.text)
    summary = error_summary(doc)
    assert [href for href, _ in summary] == ["#postcode", "#stage", "#needs"]
    # Each link's target exists: the first radio or checkbox of its group.
    assert doc.by_id("stage").attrs["value"] == "antenatal"
    assert doc.by_id("needs").attrs["type"] == "checkbox"
    assert "Select at least one need" in doc.by_id("needs-error").text


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"child_age_months": "seven"}, "child_age_months", "whole months"),
        ({"child_age_months": "300"}, "child_age_months", "from 0 to 216"),
        ({"child_age_months": ""}, "child_age_months", "Enter the child's age"),
        ({"stage": "antenatal"}, "child_age_months", "Leave the child's age empty"),
        ({"stage": "born"}, "stage", "Select Pregnant or Baby is born"),
        ({"needs": ["not_a_need"]}, "needs", "Select needs from the list"),
        ({"needs": ["Bad Code!"]}, "needs", "Select needs from the list"),
        ({"level": "urgent"}, "level", "level of need"),
        ({"gp_practice": "B8"}, "gp_practice", "ODS code"),
        ({"from_service": "no-such-service"}, "from_service", "your service"),
        ({"as_of": "2021-13-45"}, "as_of", "real date"),
        ({"as_of_day": "31", "as_of_month": "2", "as_of_year": "2021"}, "as_of", "real date"),
        ({"as_of_day": "1", "as_of_year": "2021"}, "as_of", "must include a day, month and year"),
        (
            {"weeks_pregnant": "3", "stage": "antenatal", "child_age_months": ""},
            "weeks_pregnant",
            "from 4 to 42",
        ),
        ({"weeks_pregnant": "30"}, "weeks_pregnant", "Leave the weeks of pregnancy empty"),
    ],
)
def test_each_bad_answer_is_named_by_field(
    seed_client: TestClient, changes: dict[str, Any], field: str, words: str
) -> None:
    r = seed_client.post("/", data={**HEALTH_VISITOR, **changes})
    assert r.status_code == 422
    doc = parse(r.text)
    [(href, message)] = error_summary(doc)
    assert href == f"#{field}"
    assert words in message
    assert words in doc.by_id(f"{field}-error").text


# Service pages --------------------------------------------------------------------------------


def test_service_page_shows_rules_dates_sources_and_inferred(seed_client: TestClient) -> None:
    doc = page(seed_client, "/services/little-minds-matter")
    main = doc.by_id("main")
    assert main.find("h1").text == "Little Minds Matter"
    text = main.text
    assert "Pregnancy to the second birthday" in text
    assert "Bradford District Care NHS Foundation Trust" in text
    # Rules in words, with their dates, and the nested any_of as "one of".
    rules = main.find("ul", class_="rules")
    assert "Lives in the Better Start Bradford area" in rules.text
    assert "From 12 June 2018 to 31 March 2020" in rules.text
    one_of = next(li for li in rules.find_all("li") if li.text.startswith("One of:"))
    assert "From 1 April 2020 to 31 March 2023" in one_of.text
    assert "Reducing Inequalities in Communities" in one_of.text
    assert len(one_of.find("ul").find_all("li")) == 2
    district = next(li for li in rules.find_all("li") if "Bradford district" in li.text)
    assert "(inferred)" in district.text  # the 1 April 2023 date is inferred
    # "rules" is in LMM's inferred list: the heading says so.
    assert "(inferred)" in next(h for h in main.find_all("h2") if "Who can use it" in h.text).text
    assert "Universal Plus" in text
    assert "Parent–infant relationship" in text
    assert "Consultation for professionals" in text
    # Referral edges both ways, linked.
    hrefs = {a.attrs["href"] for a in main.find_all("a")}
    assert "/services/health-visiting" in hrefs
    assert "Consulted by" in text
    assert "Refers to" in text
    sources = main.find("ul", class_="sources")
    assert "from the Little Minds Matter evaluation reports" in sources.text
    assert "confirmed" in sources.text
    assert "Last verified: 1 November 2026" in text


def test_retired_service_says_when_it_ran(seed_client: TestClient) -> None:
    text = page(seed_client, "/services/family-nurse-partnership").by_id("main").text
    assert "No longer running: ran from 1 June 2016 to 31 March 2019" in text


def test_unknown_service_is_a_friendly_404(seed_client: TestClient) -> None:
    doc = page(seed_client, "/services/no-such-service", status=404)
    assert doc.find("h1").text == "Page not found"
    assert doc.find("a", href="/services").text
    assert "no-such-service" in doc.by_id("main").text


def test_directory_is_typo_tolerant_and_filters(seed_client: TestClient) -> None:
    def names(**params: str) -> list[str]:
        doc = page(seed_client, "/services", params=params)
        return [h.text for h in doc.by_id("main").find_all("h3")]

    everything = names()
    assert len(everything) >= 30
    assert names(q="Litle Minds Mater")[0] == "Little Minds Matter"
    assert "Little Minds Matter" in names(q="LMM")
    outer = names(ring="outer")
    assert "Bradford Survive and Thrive (Staying Put)" in outer
    assert "Little Minds Matter" not in outer
    assert set(names(need="domestic_abuse")) < set(everything)
    # Each entry: its name, its circle and the start of its remit.
    doc = page(seed_client, "/services", params={"q": "Staying Put"})
    item = doc.find("li", class_="directory__item")
    assert "Outer circle" in item.text
    assert "Support for anyone affected by domestic abuse" in item.text


def test_directory_rejects_unknown_filters(seed_client: TestClient) -> None:
    doc = page(seed_client, "/services", status=422, params={"need": "nope", "ring": "middle"})
    assert [href for href, _ in error_summary(doc)] == ["#need", "#ring"]


# Safety ---------------------------------------------------------------------------------------


def test_confidential_address_appears_on_no_page(seed_client: TestClient, seed_map: Map) -> None:
    refuge = seed_map.service("domestic-abuse")
    assert refuge is not None
    assert refuge.address == REFUGE_ADDRESS  # the test is real: the seed holds it
    assert refuge.confidential_address
    bodies = [seed_client.get(f"/services/{s.id}").text for s in seed_map.services]
    bodies += [
        seed_client.get(url).text
        for url in ("/", "/services", "/services?q=refuge", "/map", "/map?need=domestic_abuse")
    ]
    bodies.append(seed_client.post("/", data={**HEALTH_VISITOR, "needs": ["domestic_abuse"]}).text)
    assert "Bradford Survive and Thrive" in bodies[-1]
    for body in bodies:
        assert REFUGE_ADDRESS not in body


def test_map_page_loads_nothing_from_outside(seed_client: TestClient) -> None:
    r = seed_client.get("/map")
    assert r.status_code == 200
    assert "http://" not in r.text
    assert "https://" not in r.text
    doc = parse(r.text)
    local = [n.attrs.get("src") or n.attrs.get("href") for n in doc.find_all("script")]
    local += [n.attrs["href"] for n in doc.find_all("link")]
    for url in filter(None, local):
        assert url.startswith("/") or url.startswith("data:"), url
    # The vis-network assets it names are served here, and are the library, not a CDN stub.
    for url in filter(None, local):
        if url.startswith("/map/assets/"):
            asset = seed_client.get(url)
            assert asset.status_code == 200
            assert "immutable" in asset.headers["cache-control"]
            assert "vis" in asset.text
            assert "cdn.jsdelivr" not in asset.text
            assert "bootstrap" not in asset.text.lower()


def test_map_page_has_heading_legend_filters_and_services(seed_client: TestClient) -> None:
    doc = page(seed_client, "/map")
    main = doc.by_id("main")
    assert main.find("h1").text == "System map"
    key = main.find("div", class_="map-key").text
    for words in ("Core", "Grey circle", "Outer circle", "refers", "consults", "signposts"):
        assert words in key
    form = main.find("form", method="get")
    assert doc.label_for("Need").attrs["name"] == "need"
    assert doc.label_for("As of").attrs["name"] == "as_of"
    assert form.attrs["action"] == "/map"
    data = json.loads(doc.by_id("map-data").text)
    assert len(data["urls"]) >= 30
    # The same services as links, for keyboards, screen readers and no JavaScript.
    links = {a.attrs["href"] for a in main.find_all("a")}
    assert set(data["urls"].values()) <= links


def test_map_filters_by_need_and_date(seed_client: TestClient, seed_map: Map) -> None:
    def ids(**params: str) -> set[str]:
        doc = page(seed_client, "/map", params=params)
        return set(json.loads(doc.by_id("map-data").text)["urls"])

    today = ids()
    housing = ids(need="housing")
    assert housing < today
    assert all("housing" in s.needs for s in seed_map.services if s.id in housing)
    assert "family-nurse-partnership" not in today
    assert "family-nurse-partnership" in ids(as_of="2018-01-01")
    assert "little-minds-matter" not in ids(as_of="2018-01-01")
    bad = page(seed_client, "/map", status=422, params={"need": "nope", "as_of": "soon"})
    assert [href for href, _ in error_summary(bad)] == ["#need", "#as_of"]


def test_map_is_built_once_per_map_version_need_and_date(seed_client: TestClient) -> None:
    cache = seed_client.app.state.map_cache  # type: ignore[attr-defined]
    first = seed_client.get("/map", params={"need": "infant_feeding"}).text
    builds = cache.builds
    again = seed_client.get("/map", params={"need": "infant_feeding"}).text
    assert again == first
    assert cache.builds == builds
    seed_client.get("/map", params={"need": "early_language"})
    assert cache.builds == builds + 1


def test_pages_stay_out_of_the_api_schema(seed_client: TestClient) -> None:
    paths = seed_client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p in {"/", "/results", "/services", "/map"}]
    assert not [p for p in paths if re.match(r"^/(services|map)/", p)]

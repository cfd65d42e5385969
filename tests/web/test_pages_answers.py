"""The results page and directory for issue #12, read as a browser without JavaScript would."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.web.dom import Node, parse

FAMILY: dict[str, Any] = {
    "postcode": "BD3 9AB",
    "stage": "postnatal",
    "child_age_months": "7",
    "needs": ["parent_infant_relationship"],
    "from_service": "health-visiting",
    "as_of_day": "2",
    "as_of_month": "12",
    "as_of_year": "2026",
}


def results(client: TestClient, **change: Any) -> Node:
    r = client.post("/results", data=FAMILY | change)
    assert r.status_code == 200, r.text[:500]
    return parse(r.text)


def test_notices_come_first_with_numbers_to_tap(seed_client: TestClient) -> None:
    doc = results(seed_client, needs=["domestic_abuse", "parent_infant_relationship"])
    main = doc.by_id("main")
    notice = main.find("section", class_="notice--safeguarding")
    assert notice.find("h2").text == "Safeguarding"
    tel = {a.attrs["href"] for a in notice.find_all("a")}
    assert {"tel:01274433999", "tel:01274431010", "tel:999"} <= tel
    order = [n for n in main.walk() if n.has_class("notice") or n.has_class("answers")]
    assert order[0].has_class("notice")


def test_in_a_crisis_the_services_come_before_lmms_offer(seed_client: TestClient) -> None:
    doc = results(seed_client, needs=["mental_health_crisis", "parent_infant_relationship"])
    main = doc.by_id("main")
    order = [n for n in main.walk() if n.has_class("lmm") or n.has_class("result-card")]
    assert order[0].has_class("result-card")
    assert "First Response" in order[0].text
    assert main.find("section", class_="notice--crisis")


def test_each_card_says_why_it_stands_there_and_what_is_not_confirmed(
    seed_client: TestClient,
) -> None:
    doc = results(seed_client)
    cards = doc.by_id("main").find_all("li", class_="result-card")
    names = [c.find("h3").text for c in cards]
    assert "Health visiting (0–19 Public Health Children's Service)" not in names
    assert names[0] == "Little Minds Matter"
    assert cards[0].find("p", class_="why-ranked").text.startswith("First: its remit")
    assert "(not confirmed)" in cards[0].text
    assert "1 April 2023" in cards[0].find("div", class_="not-confirmed").text
    lmm = doc.find("section", class_="lmm")
    assert "(not confirmed)" in lmm.text


def test_leeds_is_named_and_nothing_closed_to_them_is_offered(seed_client: TestClient) -> None:
    doc = results(seed_client, postcode="LS1 1AA", child_age_months="5")
    main = doc.by_id("main")
    notice = main.find("section", class_="notice--outside_district")
    assert "This family lives in Leeds, outside Bradford district" in notice.text
    assert not main.find_all("li", class_="result-card")
    assert "Consider instead" not in main.text


def test_change_answers_keeps_weeks_and_the_date_boxes(seed_client: TestClient) -> None:
    doc = results(seed_client, stage="antenatal", child_age_months="", weeks_pregnant="30")
    back = doc.find("form", action="/change-answers")
    fields = {i.attrs["name"]: i.attrs["value"] for i in back.find_all("input")}
    assert fields["weeks_pregnant"] == "30"
    assert (fields["as_of_day"], fields["as_of_month"], fields["as_of_year"]) == ("2", "12", "2026")
    assert "child_age_months" not in fields
    form = parse(seed_client.post("/change-answers", data=fields).text)
    assert form.label_for("Weeks pregnant").attrs["value"] == "30"
    assert form.label_for("Year").attrs["value"] == "2026"
    # The folded options open when an answer in them was given.
    assert "open" in form.find("details", class_="more-options").attrs


def test_an_iso_date_still_works_and_shows_in_the_boxes(seed_client: TestClient) -> None:
    data = {k: v for k, v in FAMILY.items() if not k.startswith("as_of")} | {"as_of": "2019-06-01"}
    doc = parse(seed_client.post("/results", data=data).text)
    assert "1 June 2019" in doc.find("p", class_="lead").text
    back = doc.find("form", action="/change-answers")
    fields = {i.attrs["name"]: i.attrs["value"] for i in back.find_all("input")}
    assert (fields["as_of_day"], fields["as_of_month"], fields["as_of_year"]) == ("1", "6", "2019")


def test_the_directory_says_what_each_search_hit_matched(seed_client: TestClient) -> None:
    r = seed_client.get("/services", params={"q": "PND"})
    items = parse(r.text).find_all("li", class_="directory__item")
    matched = {i.find("h3").text: i.find("p", class_="matched").text for i in items}
    assert matched["Bradford District and Craven Talking Therapies"] == (
        "Matched: works with “PND”: Perinatal mental health"
    )
    keighley = parse(seed_client.get("/services", params={"q": "keighley"}).text)
    assert "Matched: works in Keighley" in keighley.text

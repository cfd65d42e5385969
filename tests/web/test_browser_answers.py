"""Issue #12 in Chromium: the shorter form, date boxes, print, the share link whose answers stay
in its fragment, tap-to-call numbers, and a page that fits a phone."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Watched

pytestmark = pytest.mark.browser


def fill(page: Page, *, postcode: str = "BD3 9AB", needs: tuple[str, ...] = ()) -> None:
    page.get_by_label("Postcode", exact=True).fill(postcode)
    page.get_by_label("Baby is born").check()
    page.get_by_label("Child's age (months)").fill("7")
    for label in needs or ("Parent–infant relationship",):
        page.get_by_label(label, exact=True).check()
    page.get_by_label("My service").select_option("health-visiting")


def test_the_form_shows_the_question_the_stage_needs(watched: Watched) -> None:
    w = watched
    w.goto("/")
    weeks, age = w.page.get_by_label("Weeks pregnant"), w.page.get_by_label("Child's age (months)")
    expect(weeks).to_be_hidden()
    expect(age).to_be_hidden()
    w.page.get_by_label("Pregnant", exact=True).check()
    expect(weeks).to_be_visible()
    expect(age).to_be_hidden()
    w.page.get_by_label("Baby is born").check()
    expect(age).to_be_visible()
    expect(weeks).to_be_hidden()
    # Level, GP practice and date are folded away with a sensible default shown.
    more = w.page.locator("details.more-options")
    expect(more).not_to_have_attribute("open", "")
    expect(more.locator("summary")).to_contain_text("Universal Plus")
    assert w.serious_violations() == []
    assert w.errors == []


def test_weeks_pregnant_decide_a_late_pregnancy_window(watched: Watched) -> None:
    w = watched
    w.goto("/")
    w.page.get_by_label("Postcode", exact=True).fill("BD3 9AB")
    w.page.get_by_label("Pregnant", exact=True).check()
    w.page.get_by_label("Weeks pregnant").fill("30")
    w.page.get_by_label("Parent–infant relationship", exact=True).check()
    w.page.get_by_role("button", name="Find services").click()
    expect(w.page.locator(".answers .summary")).to_contain_text("Pregnant, 30 weeks")
    expect(w.page.locator("section.lmm")).to_contain_text("Pregnant, 30 weeks")


def test_the_date_is_three_boxes_and_asks_the_map_as_it_was(watched: Watched) -> None:
    w = watched
    w.goto("/")
    fill(w.page)
    w.page.get_by_text("More options").click()
    w.page.get_by_label("Day", exact=True).fill("1")
    w.page.get_by_label("Month", exact=True).fill("6")
    w.page.get_by_label("Year", exact=True).fill("2019")
    w.page.get_by_role("button", name="Find services").click()
    expect(w.page.locator("p.lead")).to_contain_text("1 June 2019")
    expect(w.page.locator("section.lmm")).to_contain_text("Better Start Bradford area")

    # A date that does not exist is named in the error summary; its link lands on the day box.
    w.goto("/")
    fill(w.page)
    w.page.get_by_text("More options").click()
    w.page.get_by_label("Day", exact=True).fill("31")
    w.page.get_by_label("Month", exact=True).fill("2")
    w.page.get_by_label("Year", exact=True).fill("2021")
    w.page.get_by_role("button", name="Find services").click()
    summary = w.page.get_by_role("alert")
    expect(summary).to_contain_text("Enter a real date")
    summary.get_by_role("link").click()
    expect(w.page.get_by_label("Day", exact=True)).to_be_focused()
    expect(w.page.get_by_label("Day", exact=True)).to_have_value("31")


def test_the_print_button_prints_and_the_printout_keeps_the_answer(watched: Watched) -> None:
    w = watched
    w.page.add_init_script("window.__printed = 0; window.print = () => { window.__printed++; };")
    w.goto("/")
    fill(w.page, needs=("Parent–infant relationship", "Domestic abuse"))
    w.page.get_by_role("button", name="Find services").click()
    w.page.get_by_role("button", name="Print").click()
    assert w.page.evaluate("window.__printed") == 1
    w.page.emulate_media(media="print")
    expect(w.page.locator("header.header")).to_be_hidden()
    expect(w.page.get_by_role("button", name="Print")).to_be_hidden()
    expect(w.page.locator(".notice--safeguarding")).to_be_visible()
    expect(w.page.locator("li.result-card").first).to_be_visible()
    assert w.errors == []


def test_without_javascript_there_is_no_print_or_share_button(
    browser: Browser, live_server: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        w = Watched(context.new_page(), live_server)
        w.goto("/")
        # Without JavaScript both stage questions show, so either can be answered.
        expect(w.page.get_by_label("Weeks pregnant")).to_be_visible()
        fill(w.page)
        w.page.get_by_role("button", name="Find services").click()
        expect(w.page.locator("section.lmm")).to_contain_text("Little Minds Matter")
        expect(w.page.get_by_role("button", name="Print")).to_be_hidden()
        expect(w.page.get_by_role("button", name="Copy link to these answers")).to_be_hidden()
    finally:
        context.close()


def test_the_share_link_keeps_the_answers_in_its_fragment_and_asks_again(
    watched: Watched, browser: Browser
) -> None:
    w = watched
    w.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=w.base)
    w.goto("/")
    fill(w.page)
    w.page.get_by_role("button", name="Find services").click()
    w.page.get_by_role("button", name="Copy link to these answers").click()
    expect(w.page.locator("[data-share-status]")).to_contain_text("Link copied")
    link = w.page.evaluate("navigator.clipboard.readText()")
    assert link.startswith(w.base + "/#")
    answers = parse_qs(link.split("#", 1)[1])
    assert answers["postcode"] == ["BD3 9AB"]
    assert answers["needs"] == ["parent_infant_relationship"]
    assert answers["from_service"] == ["health-visiting"]

    # Opened elsewhere, the link asks the question again; the answers never reach the server
    # in a URL, and leave the address bar at once.
    other = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = other.new_page()
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url))
        page.goto(link)
        page.wait_for_url(re.compile(r"/results$"))
        expect(
            page.get_by_role("heading", level=1, name="Services for this family")
        ).to_be_visible()
        expect(page.locator(".answers .summary")).to_contain_text("BD3 9AB")
        expect(page.locator("li.result-card").first).to_contain_text("Little Minds Matter")
        assert not [u for u in seen if "BD3" in u or "postcode" in u], seen
        assert "#" not in page.url
    finally:
        other.close()
    assert w.errors == []


def test_numbers_are_tap_to_call(watched: Watched) -> None:
    w = watched
    w.goto("/")
    fill(w.page, needs=("Domestic abuse",))
    w.page.get_by_role("button", name="Find services").click()
    notice = w.page.locator(".notice--safeguarding")
    expect(notice.get_by_role("link", name="01274 433999")).to_have_attribute(
        "href", "tel:01274433999"
    )
    card = w.page.locator("li.result-card", has_text="Bradford Survive and Thrive")
    expect(card.get_by_role("link", name="0808 2800 999")).to_have_attribute(
        "href", "tel:08082800999"
    )
    assert w.serious_violations() == []
    assert w.errors == []


@pytest.mark.parametrize("width", [390, 1280])
def test_form_and_results_fit_the_screen(browser: Browser, live_server: str, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 844})
    try:
        w = Watched(context.new_page(), live_server)
        w.goto("/")
        assert w.page.evaluate("document.documentElement.scrollWidth") <= width
        form_height = w.page.evaluate("document.documentElement.scrollHeight")
        # Measured at the time of writing: 2,293 px at 1,280 and 3,734 px at 390 (3,611 and
        # 5,203 before the form was shortened).
        assert form_height < (2600 if width > 500 else 4200)
        fill(w.page, needs=("Parent–infant relationship", "Domestic abuse"))
        w.page.get_by_role("button", name="Find services").click()
        expect(w.page.locator("li.result-card").first).to_be_visible()
        assert w.page.evaluate("document.documentElement.scrollWidth") <= width
        assert w.serious_violations() == []
    finally:
        context.close()

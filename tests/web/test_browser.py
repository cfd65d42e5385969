"""The pages in Chromium, as a practitioner on a shared PC would use them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import Watched

pytestmark = pytest.mark.browser


def fill_health_visitor(w: Watched) -> None:
    """Baby of 7 months in Bowling and Barkerend, a relationship worry, from health visiting."""
    page = w.page
    page.get_by_label("Postcode", exact=True).fill("BD3 9AB")
    page.get_by_label("Baby is born").check()
    page.get_by_label("Child's age (months)").fill("7")
    page.get_by_label("Parent–infant relationship", exact=True).check()
    page.get_by_label("My service").select_option("health-visiting")


def test_health_visitor_finds_little_minds_matter(watched: Watched) -> None:
    w = watched
    w.goto("/")
    assert w.serious_violations() == []
    fill_health_visitor(w)
    w.page.get_by_role("button", name="Find services").click()
    expect(w.page.get_by_role("heading", level=1, name="Services for this family")).to_be_visible()
    assert w.page.url == w.base + "/results"  # nothing of the family in the URL

    lmm = w.page.locator("section.lmm")
    expect(lmm).to_contain_text("Little Minds Matter")
    expect(lmm).to_contain_text("Child is 7 months: within pregnancy to the second birthday")
    expect(lmm).to_contain_text("Lives in the Bradford district (Bowling and Barkerend ward)")
    card = w.page.locator("li.result-card", has_text="Little Minds Matter")
    expect(card.get_by_role("link", name="Little Minds Matter")).to_have_attribute(
        "href", "/services/little-minds-matter"
    )
    expect(w.page.get_by_text("Not available to this family, and why")).to_be_visible()
    assert w.serious_violations() == []
    assert w.errors == []
    assert w.outside_requests() == []


def test_form_and_results_work_without_javascript(browser: Browser, live_server: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        w = Watched(context.new_page(), live_server)
        w.goto("/")
        fill_health_visitor(w)
        w.page.get_by_role("button", name="Find services").click()
        expect(w.page.locator("section.lmm")).to_contain_text("Little Minds Matter")
        # Without JavaScript the copy button stays hidden: the text can still be selected.
        expect(w.page.get_by_role("button", name="Copy referral summary")).to_be_hidden()
        expect(w.page.locator("#referral-summary")).to_contain_text("Little Minds Matter")
    finally:
        context.close()


def test_copy_button_copies_the_referral_summary(watched: Watched) -> None:
    w = watched
    w.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=w.base)
    w.goto("/")
    fill_health_visitor(w)
    w.page.get_by_role("button", name="Find services").click()
    button = w.page.get_by_role("button", name="Copy referral summary")
    expect(button).to_be_visible()  # app.js shows it
    button.click()
    expect(w.page.locator("[data-copy-status]")).to_contain_text("Copied")
    copied = w.page.evaluate("navigator.clipboard.readText()")
    assert copied == w.page.locator("#referral-summary").input_value()
    assert "Little Minds Matter" in copied
    assert w.errors == []


def test_bad_postcode_shows_the_error_summary_and_its_link_finds_the_field(
    watched: Watched,
) -> None:
    w = watched
    w.goto("/")
    fill_health_visitor(w)
    w.page.get_by_label("Postcode", exact=True).fill("BD3 9A")
    w.page.get_by_role("button", name="Find services").click()

    summary = w.page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()  # announced first by screen readers
    link = summary.get_by_role("link")
    expect(link).to_contain_text("postcode")
    expect(link).to_have_attribute("href", "#postcode")
    expect(w.page.get_by_label("Postcode", exact=True)).to_have_value("BD3 9A")
    link.click()
    expect(w.page.get_by_label("Postcode", exact=True)).to_be_focused()
    assert w.serious_violations() == []
    # The browser saw a 422, which it reports on the console; nothing else may appear there.
    assert [e for e in w.errors if "422" not in e] == []
    assert w.outside_requests() == []


def test_map_draws_every_service_offline_and_opens_a_service(watched: Watched) -> None:
    w = watched
    w.goto("/map")
    expect(w.page.get_by_role("heading", level=1, name="System map")).to_be_visible()
    w.page.wait_for_function("() => window.network && network.body.data.nodes.length > 0")
    count = w.page.evaluate("network.body.data.nodes.length")
    assert count >= 30
    assert count == w.page.locator("ul.list--columns a").count()  # the same as the list below
    # Tooltips became elements of escaped text; labels read as text on the canvas.
    lmm = w.page.evaluate(
        """() => { const n = nodes.get('little-minds-matter');
                   return [n.title instanceof Element, n.title.textContent]; }"""
    )
    assert lmm[0] is True
    assert "Bradford's infant mental health service" in lmm[1]
    label = w.page.evaluate("nodes.get('health-visiting').label")
    assert "Children's" in label
    assert "&#" not in label
    assert w.serious_violations() == []
    assert w.errors == []
    assert w.outside_requests() == []
    assert any("/map/assets/" in url for url in w.requests)

    # Selecting a service on the canvas opens its page.
    canvas = w.page.locator("#mynetwork canvas")
    canvas.scroll_into_view_if_needed()
    where = w.page.evaluate(
        "(() => network.canvasToDOM(network.getPosition('little-minds-matter')))()"
    )
    box = canvas.bounding_box()
    assert box is not None
    w.page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
    w.page.wait_for_url(re.compile(r"/services/little-minds-matter$"))
    expect(w.page.get_by_role("heading", level=1, name="Little Minds Matter")).to_be_visible()


def test_map_filters_by_need(watched: Watched) -> None:
    w = watched
    w.goto("/map")
    w.page.get_by_label("Need").select_option("domestic_abuse")
    w.page.get_by_role("button", name="Show the map").click()
    w.page.wait_for_url(re.compile(r"/map\?need=domestic_abuse"))
    w.page.wait_for_function("() => window.network && network.body.data.nodes.length > 0")
    count = w.page.evaluate("network.body.data.nodes.length")
    assert 0 < count < 30
    assert w.errors == []
    assert w.outside_requests() == []


def test_service_page_is_accessible(watched: Watched) -> None:
    w = watched
    w.goto("/services/little-minds-matter")
    expect(w.page.get_by_role("heading", level=1, name="Little Minds Matter")).to_be_visible()
    expect(w.page.get_by_text("(inferred)").first).to_be_visible()
    assert w.serious_violations() == []
    w.goto("/services?q=litle+minds")
    expect(w.page.get_by_role("link", name="Little Minds Matter")).to_be_visible()
    assert w.serious_violations() == []
    assert w.errors == []
    assert w.outside_requests() == []


def test_the_accessibility_check_does_find_serious_problems(watched: Watched) -> None:
    # Guards the checks above: an unlabelled field and grey-on-grey text must be reported.
    watched.page.set_content(
        '<html lang="en"><title>t</title><main><p style="color:#aaa;background:#bbb">faint</p>'
        '<input type="text"></main></html>'
    )
    found = " ".join(watched.serious_violations())
    assert "label" in found
    assert "color-contrast" in found


CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
PAGES = ["/", "/services", "/services/little-minds-matter", "/map", "/commission", "/edit"]


def test_every_page_keeps_to_its_content_security_policy(watched: Watched) -> None:
    """The strict policy is on every page, nothing on them breaks it, and it is enforced."""
    w = watched
    w.page.add_init_script(CSP_WATCH)
    for path in [*PAGES, "/docs"]:
        response = w.page.goto(w.base + path)
        assert response is not None
        assert response.ok, path
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "'unsafe-inline'" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "no-referrer"
        if path == "/map":  # pyvis's inline drawing script runs, allowed by its hash
            w.page.wait_for_function("() => window.network && network.body.data.nodes.length > 0")
        if path == "/docs":  # Swagger UI from our own host draws the operations
            w.page.wait_for_selector(".opblock", timeout=20_000)
        w.page.wait_for_load_state("networkidle")
        assert w.page.evaluate("window.__csp") == [], path
    assert w.errors == []
    assert w.outside_requests() == []
    # The check can fail: an injected inline script is refused and reported.
    w.page.goto(w.base + "/map")
    w.page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = true"; document.body.append(s); }"""
    )
    w.page.wait_for_function("() => window.__csp.length > 0")
    assert w.page.evaluate("window.injected") is None
    assert any("script-src" in v for v in w.page.evaluate("window.__csp"))

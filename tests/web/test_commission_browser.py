"""The commissioners' pages in Chromium, at a desktop's 1,280 px and a phone's 390 px: no
sideways scrolling of the page, no serious accessibility problem, offline, downloads work."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from tests.web.conftest import Watched

pytestmark = pytest.mark.browser

PAGES = [
    "/commission",
    "/commission/gaps?as_of=2017-06-01&level=specialist",
    "/commission/gaps/E05001346",
    "/commission/overlap",
    "/commission/network",
    "/commission/what-if",
    "/commission/changes",
]


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_fits_the_screen_and_passes_axe(
    browser: Browser, live_server: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        w = Watched(context.new_page(), live_server)
        w.page.on("request", lambda r: w.requests.append(r.url))
        w.page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
        for path in PAGES:
            w.goto(path)
            scroll = w.page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, (path, scroll)
            height = w.page.evaluate("document.documentElement.scrollHeight")
            assert height < 6000, (path, height)
            assert w.serious_violations() == [], path
        assert w.errors == []
        assert w.outside_requests() == []
    finally:
        context.close()


def test_a_gap_cell_opens_the_services_behind_it(watched: Watched) -> None:
    w = watched
    w.goto("/commission/gaps?as_of=2019-06-01&level=specialist")
    cell = w.page.locator("svg a[aria-label^='Bradford Moor, birth to 1st birthday']")
    cell.click()
    expect(
        w.page.get_by_role("heading", level=1, name="Bradford Moor: services by age")
    ).to_be_visible()
    expect(w.page.locator("#months_0_11")).to_contain_text("Little Minds Matter")


@pytest.mark.parametrize(
    ("path", "link", "suffix"),
    [
        ("/commission/gaps", "picture (PNG)", ".png"),
        ("/commission/overlap", "picture (SVG)", ".svg"),
        ("/commission/network", "numbers (CSV)", ".csv"),
    ],
)
def test_downloads_work(watched: Watched, path: str, link: str, suffix: str) -> None:
    w = watched
    w.goto(path)
    with w.page.expect_download() as info:
        w.page.get_by_role("link", name=link).click()
    download = info.value
    assert download.suggested_filename.endswith(suffix)
    assert download.failure() is None
    data = download.path().read_bytes()
    assert len(data) > 500


def test_whole_locality_ticks_its_wards(watched: Watched) -> None:
    w = watched
    w.goto("/commission/what-if")
    w.page.get_by_label("All of Keighley").check()
    expect(w.page.get_by_label("Keighley Central")).to_be_checked()
    expect(w.page.get_by_label("Ilkley")).to_be_checked()
    w.page.get_by_label("Name of the proposed service").fill("Keighley baby bonds")
    w.page.get_by_label("Parent–infant relationship", exact=True).check()
    w.page.get_by_label("Specialist", exact=True).check()
    w.page.get_by_label("As of (optional: today if empty)").fill("2017-06-01")
    w.page.get_by_role("button", name="Test the proposal").click()
    results = w.page.locator("#what-if-results")
    expect(results).to_contain_text("Keighley Central")
    assert w.serious_violations() == []
    assert w.errors == []

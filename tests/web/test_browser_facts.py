"""A service's contacts in Chromium (issue #13): its own number to tap, and plain words where it
has none."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.web.conftest import Watched

pytestmark = pytest.mark.browser


def test_a_service_page_shows_its_phone_and_no_public_number_wording(watched: Watched) -> None:
    w = watched
    w.goto("/services/speech-and-language-therapy")
    contact = w.page.locator("ul.contacts")
    phone = contact.get_by_role("link", name="01274 221166")
    expect(phone).to_be_visible()
    expect(phone).to_have_attribute("href", "tel:01274221166")
    expect(w.page.locator("dd.organisation")).to_contain_text(
        "Bradford District Care NHS Foundation Trust"
    )
    assert w.serious_violations() == []

    w.goto("/services/little-minds-matter")
    advice = w.page.locator("p.no-public-contact")
    expect(advice).to_contain_text("No public phone number")
    expect(advice).to_contain_text("health visiting team")
    switchboard = w.page.locator("li.contact--other", has_text="01274 228300")
    expect(switchboard).to_contain_text("not the service's own line")
    assert w.serious_violations() == []
    assert w.errors == []
    assert w.outside_requests() == []

"""Contacts, organisations, sites and catchments on the pages (issue #13)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.web.test_edit_pages import Site, _form, _sign_in, site  # noqa: F401
from tests.web.test_pages import HEALTH_VISITOR, REFUGE_ADDRESS, page


def test_service_page_shows_contacts_organisation_sites_and_catchment(
    seed_client: TestClient,
) -> None:
    main = page(seed_client, "/services/midwifery").by_id("main")
    text = main.text
    assert "Maternity Assessment Centre" in text
    links = {a.attrs.get("href") for a in main.find_all("a")}
    assert "tel:01274364531" in links
    assert (
        "Bradford Teaching Hospitals NHS Foundation Trust"
        in main.find("dd", class_="organisation").text
    )
    assert "ODS code RAE (inferred)" in text
    assert "BD9 6RJ" in main.find("ul", class_="sites").text
    assert "No formal maternity catchment was stated" in main.find("p", class_="catchment").text


def test_a_service_with_no_public_number_says_so_and_what_to_do(seed_client: TestClient) -> None:
    main = page(seed_client, "/services/health-visiting").by_id("main")
    advice = main.find("p", class_="no-public-contact").text
    assert advice.startswith("No public health-visiting phone number")
    # The trust switchboard is shown, labelled as not the service's own line.
    other = main.find("li", class_="contact--other")
    assert "01274 228300" in other.text
    assert "not the service's own line" in other.text


def test_results_cards_carry_contacts_and_the_no_public_contact_text(
    seed_client: TestClient,
) -> None:
    doc = page(seed_client, "/results", data=HEALTH_VISITOR)
    cards = doc.find_all("li", class_="result-card")
    lmm = next(c for c in cards if "Little Minds Matter" in c.find("h3").text)
    assert "No public phone number" in lmm.find("p", class_="no-public-contact").text
    assert "Run by Bradford District Care NHS Foundation Trust" in lmm.text
    summary = doc.by_id("referral-summary").text
    assert "No public phone number, email, web page or referral form for Little Minds" in summary


def test_directory_shows_who_runs_it_and_how_to_reach_it(seed_client: TestClient) -> None:
    doc = page(seed_client, "/services?q=speech")
    item = next(
        li
        for li in doc.find_all("li", class_="directory__item")
        if "speech and language therapy" in li.find("h3").text
    )
    assert "Run by Bradford District Care NHS Foundation Trust" in item.text
    assert "tel:01274221166" in {a.attrs.get("href") for a in item.find_all("a")}
    assert REFUGE_ADDRESS not in page(seed_client, "/services").text


def test_an_editor_adds_a_contact_and_it_is_escaped(site: Site) -> None:  # noqa: F811
    _sign_in(site)
    form = _form(site, "housing")
    contact = {
        "kind": "phone",
        "value": "01274 435999",
        "label": "<script>alert(1)</script> Out of hours",
        "own": True,
        "source": "https://welcomebradford.org/housing/if-you-become-homeless/",
        "status": "confirmed",
    }
    form["contacts"] = json.dumps([contact])
    form["no_public_contact"] = ""
    r = site.client.post("/edit/services/housing", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    shown = site.client.get("/services/housing").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Out of hours" in shown
    assert "<script>alert(1)</script>" not in shown
    assert 'href="tel:01274435999"' in shown
    form = _form(site, "housing")
    form["catchment"] = json.dumps({"text": "x", "areas": ["nowhere"], "status": "confirmed"})
    bad = site.client.post("/edit/services/housing", data=form)
    assert bad.status_code == 422
    assert "unknown area" in bad.text
    assert 'href="#catchment"' in bad.text

"""The editors' pages: sign in once, edit with a CSRF token and the ETag, see the audit trail."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from navigator.app import create_app
from navigator.db import accounts, connection
from navigator.settings import Settings
from tests.conftest import MINI_SEED


@dataclass
class Site:
    client: TestClient
    key: str


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'e.db'}", seed_file=MINI_SEED)
    with TestClient(create_app(settings)) as client:
        with connection.writing(client.app.state.engine) as session:  # type: ignore[attr-defined]
            key = accounts.create_key(session, name="dir-team", role="editor")
        yield Site(client, key)


def _sign_in(site: Site) -> None:
    r = site.client.post("/edit/login", data={"key": site.key}, follow_redirects=False)
    assert r.status_code == 303


def _form(site: Site, sid: str) -> dict[str, str]:
    html = site.client.get(f"/edit/services/{sid}").text
    fields = dict(re.findall(r'name="(csrf|etag)" value="([^"]*)"', html))
    values = {
        name: html_lib.unescape(value)
        for name, value in re.findall(
            r'<input class="input[^"]*" id="[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"',
            html,
        )
    }
    areas = {
        name: html_lib.unescape(text)
        for name, text in re.findall(
            r'<textarea[^>]* name="([^"]+)"[^>]*>(.*?)</textarea>', html, re.S
        )
    }
    return {**values, **areas, **{k: html_lib.unescape(v) for k, v in fields.items()}}


def test_sign_in_sets_a_safe_cookie(site: Site) -> None:
    page = site.client.get("/edit")
    assert "API key" in page.text
    wrong = site.client.post("/edit/login", data={"key": "nav_00000000_nope"})
    assert wrong.status_code == 401
    assert "There is a problem" in wrong.text
    r = site.client.post("/edit/login", data={"key": site.key}, follow_redirects=False)
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert "Path=/edit" in cookie
    assert "Secure" not in cookie
    secure = TestClient(site.client.app, base_url="https://testserver")
    over_https = secure.post("/edit/login", data={"key": site.key}, follow_redirects=False)
    assert "Secure" in over_https.headers["set-cookie"]


def test_an_editor_saves_a_change_and_it_is_audited(site: Site) -> None:
    _sign_in(site)
    assert "Housing Options" in site.client.get("/edit").text
    form = _form(site, "housing")
    assert form["csrf"]
    assert form["etag"].startswith('"')
    form["remit"] = "Housing advice and homelessness prevention."
    r = site.client.post("/edit/services/housing", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "homelessness prevention" in site.client.get("/services/housing").text
    assert "homelessness prevention" in site.client.get("/api/v1/services/housing").text
    assert "dir-team" in site.client.get("/edit").text


def test_a_form_without_the_csrf_token_changes_nothing(site: Site) -> None:
    _sign_in(site)
    form = _form(site, "housing") | {"csrf": "forged", "remit": "Forged."}
    assert site.client.post("/edit/services/housing", data=form).status_code == 403
    assert "Forged." not in site.client.get("/api/v1/services/housing").text


def test_a_stale_form_is_refused_not_lost(site: Site) -> None:
    _sign_in(site)
    first, second = _form(site, "housing"), _form(site, "housing")
    first["remit"] = "First editor's change."
    assert (
        site.client.post("/edit/services/housing", data=first, follow_redirects=False).status_code
        == 303
    )
    second["remit"] = "Second editor's change."
    r = site.client.post("/edit/services/housing", data=second)
    assert r.status_code == 409
    assert "Someone changed this" in r.text
    assert "First editor" in site.client.get("/api/v1/services/housing").text


def test_bad_json_gets_an_error_summary_naming_the_field(site: Site) -> None:
    _sign_in(site)
    form = _form(site, "housing") | {"rules": "[{not json"}
    r = site.client.post("/edit/services/housing", data=form)
    assert r.status_code == 422
    assert 'href="#rules"' in r.text
    assert "Not valid JSON" in r.text
    unknown = _form(site, "housing") | {"rules": '[{"kind": "area", "area": "atlantis"}]'}
    r = site.client.post("/edit/services/housing", data=unknown)
    assert r.status_code == 422
    assert "unknown area" in r.text


def test_signed_out_editors_are_sent_to_sign_in(site: Site) -> None:
    r = site.client.get("/edit/services/housing", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/edit"


def test_script_in_a_name_is_escaped_on_the_edit_pages(site: Site) -> None:
    _sign_in(site)
    form = _form(site, "housing") | {"name": "<script>alert(1)</script>"}
    assert (
        site.client.post("/edit/services/housing", data=form, follow_redirects=False).status_code
        == 303
    )
    for url in ("/edit", "/edit/services/housing"):
        text = site.client.get(url).text
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text

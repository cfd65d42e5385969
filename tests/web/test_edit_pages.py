"""The editors' pages: sign in once, edit with a CSRF token and the ETag, see the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from navigator.app import create_app
from navigator.db import accounts, connection
from navigator.db.writes import MapWriter
from navigator.settings import Settings
from tests.conftest import MINI_SEED
from web.edit import COOKIE


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


# --- real sessions -----------------------------------------------------------------------------


def _session_rows(site: Site) -> list[tuple[str, ...]]:
    engine = site.client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM web_session").all()]


def test_the_cookie_is_a_random_session_not_the_key(site: Site) -> None:
    r = site.client.post("/edit/login", data={"key": site.key}, follow_redirects=False)
    token = r.cookies[COOKIE]
    assert site.key not in r.headers["set-cookie"]
    assert len(token) >= 43
    rows = _session_rows(site)
    assert len(rows) == 1
    assert token not in str(rows), "only a hash of the token is stored"
    assert hashlib.sha256(token.encode()).hexdigest() == rows[0][0]
    again = site.client.post("/edit/login", data={"key": site.key}, follow_redirects=False)
    assert again.cookies[COOKIE] != token, "a new session each time"


def test_sign_out_ends_the_session_on_the_server(site: Site) -> None:
    _sign_in(site)
    copied = site.client.cookies[COOKIE]
    csrf = re.search(r'name="csrf" value="([^"]+)"', site.client.get("/edit").text)
    assert csrf is not None
    r = site.client.post("/edit/logout", data={"csrf": csrf.group(1)}, follow_redirects=False)
    assert r.status_code == 303
    assert _session_rows(site) == []
    thief = TestClient(site.client.app, cookies={COOKIE: copied})
    assert "API key" in thief.get("/edit").text, "a copied cookie is signed out too"
    assert thief.get("/edit/services/housing", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(site: Site) -> None:
    _sign_in(site)
    assert "Sign out" in site.client.get("/edit").text
    engine = site.client.app.state.engine  # type: ignore[attr-defined]
    MapWriter(engine).revoke_key(ident="dir-team", actor="test")
    assert _session_rows(site) == []
    assert "API key" in site.client.get("/edit").text


@pytest.mark.parametrize("column", ["last_seen_at", "expires_at"])
def test_idle_and_absolute_expiry(site: Site, column: str) -> None:
    _sign_in(site)
    assert "Sign out" in site.client.get("/edit").text
    engine = site.client.app.state.engine  # type: ignore[attr-defined]
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1 if column == "last_seen_at" else 0)
    past -= dt.timedelta(minutes=1)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE web_session SET {column} = ?", (past.replace(tzinfo=None),))
    page = site.client.get("/edit")
    assert page.status_code == 200
    assert "Sign out" not in page.text
    assert "API key" in page.text


def test_wrong_keys_are_rate_limited_per_client(site: Site) -> None:
    c = site.client
    wrong = [c.post("/edit/login", data={"key": f"nav_{i:08x}_wrong"}) for i in range(10)]
    assert {r.status_code for r in wrong} == {401}
    blocked = c.post("/edit/login", data={"key": "nav_deadbeef_wrong"})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "Too many" in blocked.text
    # The same client is blocked for Bearer keys too; another client is not.
    assert (
        c.get("/api/v1/audit", headers={"Authorization": f"Bearer {site.key}"}).status_code == 429
    )
    other = TestClient(c.app, client=("10.0.0.2", 5000))
    assert (
        other.post("/edit/login", data={"key": site.key}, follow_redirects=False).status_code == 303
    )


def test_wrong_secrets_for_one_prefix_are_rate_limited_from_any_client(site: Site) -> None:
    prefix = site.key.split("_")[1]
    statuses = [
        TestClient(site.client.app, client=(f"10.0.1.{i}", 5000))
        .get("/api/v1/audit", headers={"Authorization": f"Bearer nav_{prefix}_guess{i}"})
        .status_code
        for i in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    # A browser that already proved the key is not locked out by someone guessing at it.
    ok = TestClient(site.client.app, client=("10.0.2.1", 5000))
    assert ok.get("/api/v1/audit", headers={"Authorization": f"Bearer {site.key}"}).status_code in (
        200,
        429,
    )


def test_unknown_prefixes_cost_what_live_ones_cost(tmp_path: Path) -> None:
    """One scrypt either way: timing says nothing about which prefixes exist."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 't.db'}",
        seed_file=MINI_SEED,
        auth_failures_per_minute=10_000,
    )
    with TestClient(create_app(settings)) as client:
        with connection.writing(client.app.state.engine) as session:  # type: ignore[attr-defined]
            key = accounts.create_key(session, name="k", role="editor")
        prefix = key.split("_")[1]

        def took(bearer: str) -> float:
            t = time.perf_counter()
            r = client.get("/api/v1/audit", headers={"Authorization": f"Bearer {bearer}"})
            assert r.status_code == 401
            return time.perf_counter() - t

        live, unknown = [], []
        for i in range(5):
            live.append(took(f"nav_{prefix}_wrong{i}"))
            unknown.append(took(f"nav_{i:08x}_wrong{i}"))
        ratio = statistics.median(live) / statistics.median(unknown)
        assert 0.5 < ratio < 2, (live, unknown)
        assert statistics.median(unknown) > 0.005, "an unknown prefix costs a scrypt too"


def test_private_mode_works_in_a_browser_through_the_session(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'p.db'}", seed_file=MINI_SEED, read_key_required=True
    )
    with TestClient(create_app(settings)) as client:
        with connection.writing(client.app.state.engine) as session:  # type: ignore[attr-defined]
            reader = accounts.create_key(session, name="hv-team", role="reader")
        # Pages send a browser to sign in, and bring it back; programs get 401.
        r = client.get("/services?q=housing", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/edit?next=/services%3Fq%3Dhousing"
        assert client.get("/api/v1/services").status_code == 401
        assert client.get("/static/style.css").status_code == 200
        login = client.get(r.headers["location"])
        assert login.status_code == 200
        assert 'name="next" value="/services?q=housing"' in login.text
        signed = client.post(
            "/edit/login",
            data={"key": reader, "next": "/services?q=housing"},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        assert signed.headers["location"] == "/services?q=housing"
        assert "Path=/;" in signed.headers["set-cookie"] or "Path=/" in signed.headers["set-cookie"]
        for path in ("/", "/services", "/map", "/commission", "/api/v1/services"):
            assert client.get(path).status_code == 200, path
        # A reader's key reads; it does not edit.
        assert client.get("/edit").status_code == 403
        # Sign out: the pages want a session again.
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/edit").text)
        assert csrf is not None
        client.post("/edit/logout", data={"csrf": csrf.group(1)})
        assert client.get("/", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil", "x"])
def test_sign_in_never_sends_a_browser_to_another_site(site: Site, target: str) -> None:
    r = site.client.post(
        "/edit/login", data={"key": site.key, "next": target}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/edit"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("rules", "[" * 50_000 + "]" * 50_000, "nested more than 8 levels"),
        ("rules", '[{"kind": "any_of", "rules": ' * 9 + "[]" + "}]" * 9, "nested more than"),
        ("rules", '[{"kind": "age", "min_months": NaN}]', "NaN is not a JSON number"),
        ("routes", '[{"kind": "referral", "how": "\\ud800"}]', "lone surrogate"),
        ("name", "Housing\x00Options", "NUL character"),
        ("min_age_months", "9999", "less than or equal to 432"),
        ("max_age_months", "1e3", "whole number"),
    ],
)
def test_hostile_form_input_is_an_error_on_the_form_not_a_500(
    site: Site, field: str, value: str, says: str
) -> None:
    _sign_in(site)
    form = _form(site, "housing") | {field: value}
    r = site.client.post("/edit/services/housing", data=form)
    assert r.status_code == 422, r.text[:300]
    assert says in html_lib.unescape(r.text)
    assert f'href="#{field}"' in r.text

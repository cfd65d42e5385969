"""Keeping the map true: keys and roles, ETag-guarded edits, retiring, audit, GP lists."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from fastapi.testclient import TestClient
from sqlmodel import Session
from typer.testing import CliRunner

from navigator.app import create_app
from navigator.cli import app as cli
from navigator.db import accounts, connection, keys, store
from navigator.settings import Settings, get_settings
from tests.conftest import MINI_SEED

NEW_SERVICE: dict[str, Any] = {
    "id": "baby-cafe",
    "name": "Baby Café",
    "provider": "Family Hubs",
    "ring": "grey",
    "remit": "Drop-in support for new parents.",
    "needs": ["parent_infant_relationship"],
    "levels": ["universal"],
    "min_age_months": 0,
    "max_age_months": 12,
    "rules": [{"kind": "area", "area": "bradford-district"}],
    "routes": [{"kind": "self_referral", "how": "Just come along."}],
    "sources": [{"title": "Family Hubs leaflet", "status": "confirmed"}],
    "last_verified": "2026-11-01",
}


@dataclass
class Env:
    client: TestClient
    editor: dict[str, str]
    admin: dict[str, str]
    engine: sqlalchemy.Engine
    db: Path | None  # the SQLite file; None on PostgreSQL


def _key(engine: sqlalchemy.Engine, name: str, role: str) -> dict[str, str]:
    with connection.writing(engine) as session:
        key = accounts.create_key(session, name=name, role=role)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def env(database_url: str) -> Iterator[Env]:
    """The API over the mini map, once on a SQLite file and once on PostgreSQL."""
    db = Path(database_url.split("///", 1)[1]) if database_url.startswith("sqlite") else None
    settings = Settings(database_url=database_url, seed_file=MINI_SEED)
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        yield Env(client, _key(engine, "ed", "editor"), _key(engine, "root", "admin"), engine, db)


def _etag(env: Env, sid: str) -> str:
    return env.client.get(f"/api/v1/services/{sid}").headers["ETag"]


def test_writes_need_a_key_and_the_right_role(env: Env) -> None:
    c = env.client
    assert c.post("/api/v1/services", json=NEW_SERVICE).status_code == 401
    bad = {"Authorization": "Bearer nav_deadbeef_notakey"}
    assert c.post("/api/v1/services", json=NEW_SERVICE, headers=bad).status_code == 401
    assert c.patch("/api/v1/services/housing", json={}).status_code == 401
    assert c.delete("/api/v1/services/housing").status_code == 401
    assert c.get("/api/v1/keys", headers=env.editor).status_code == 403
    assert (
        c.post("/api/v1/keys", json={"name": "x", "role": "editor"}, headers=env.editor).status_code
        == 403
    )
    assert c.get("/api/v1/keys", headers=env.admin).status_code == 200
    assert c.get("/api/v1/audit").status_code == 401
    assert c.get("/api/v1/audit", headers=env.editor).status_code == 200
    assert c.get("/api/v1/services").status_code == 200, "reads need no key"


def test_create_returns_201_location_etag_and_is_served(env: Env) -> None:
    r = env.client.post("/api/v1/services", json=NEW_SERVICE, headers=env.editor)
    assert r.status_code == 201
    assert r.headers["Location"] == "/api/v1/services/baby-cafe"
    got = env.client.get("/api/v1/services/baby-cafe")
    assert got.status_code == 200
    assert got.headers["ETag"] == r.headers["ETag"]
    again = env.client.post("/api/v1/services", json=NEW_SERVICE, headers=env.editor)
    assert again.status_code == 409


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"needs": ["flying"]}, ["body", "needs", 0]),
        ({"ring": "middle"}, ["body", "ring"]),
        ({"levels": ["extreme"]}, ["body", "levels", 0]),
        ({"rules": [{"kind": "area", "area": "atlantis"}]}, ["body", "rules", 0, "area"]),
        ({"min_age_months": 12, "max_age_months": 6}, ["body", "max_age_months"]),
        ({"valid_from": "2024-01-01", "valid_to": "2023-01-01"}, ["body", "valid_to"]),
        ({"id": "Not A Slug"}, ["body", "id"]),
    ],
)
def test_invalid_services_are_422_naming_the_field_and_nothing_is_written(
    env: Env, change: dict[str, Any], loc: list[Any]
) -> None:
    before = env.client.get("/api/v1/services", params={"per_page": 500}).json()
    r = env.client.post("/api/v1/services", json=NEW_SERVICE | change, headers=env.editor)
    assert r.status_code == 422
    assert loc in [d["loc"] for d in r.json()["detail"]]
    assert env.client.get("/api/v1/services", params={"per_page": 500}).json() == before


def test_edges_to_unknown_services_are_refused(env: Env) -> None:
    r = env.client.post(
        "/api/v1/edges",
        json={"source": "housing", "target": "nowhere", "kind": "refers"},
        headers=env.editor,
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "target"]


def test_patch_needs_if_match_and_refuses_stale_ones(env: Env) -> None:
    c, url = env.client, "/api/v1/services/housing"
    etag = _etag(env, "housing")
    assert c.patch(url, json={"remit": "New remit."}, headers=env.editor).status_code == 428
    ok = c.patch(url, json={"remit": "New remit."}, headers=env.editor | {"If-Match": etag})
    assert ok.status_code == 200
    assert ok.json()["remit"] == "New remit."
    assert ok.headers["ETag"] != etag
    stale = c.patch(url, json={"remit": "Lost?"}, headers=env.editor | {"If-Match": etag})
    assert stale.status_code == 412
    assert c.get(url).json()["remit"] == "New remit."


def test_put_replaces_with_if_match(env: Env) -> None:
    c, url = env.client, "/api/v1/services/housing"
    body = c.get(url).json()
    body["name"] = "Housing Options and Homelessness"
    assert c.put(url, json=body, headers=env.editor).status_code == 428
    r = c.put(url, json=body, headers=env.editor | {"If-Match": _etag(env, "housing")})
    assert r.status_code == 200
    assert c.get(url).json()["name"] == "Housing Options and Homelessness"
    wrong_id = body | {"id": "elsewhere"}
    r = c.put(url, json=wrong_id, headers=env.editor | {"If-Match": _etag(env, "housing")})
    assert r.status_code == 422


def test_put_keeps_a_confidential_address_the_client_never_saw(env: Env) -> None:
    c, url = env.client, "/api/v1/services/refuge"
    body = c.get(url).json()
    assert body["address"] is None
    body["remit"] = "Safe housing for women and children."
    assert (
        c.put(url, json=body, headers=env.editor | {"If-Match": _etag(env, "refuge")}).status_code
        == 200
    )
    with Session(env.engine) as session:
        stored = store.get_service(session, "refuge")
    assert stored is not None
    assert stored.address == "1 Secret Street"


def test_twelve_writers_one_winner(env: Env) -> None:
    etag = _etag(env, "housing")
    statuses: list[int] = []
    barrier = threading.Barrier(12)

    def write(i: int) -> None:
        barrier.wait()
        r = env.client.patch(
            "/api/v1/services/housing",
            json={"remit": f"Writer {i}."},
            headers=env.editor | {"If-Match": etag},
        )
        statuses.append(r.status_code)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200] + [412] * 11


def test_audit_records_who_what_before_and_after(env: Env) -> None:
    etag = _etag(env, "housing")
    env.client.patch(
        "/api/v1/services/housing",
        json={"remit": "Audited."},
        headers=env.editor | {"If-Match": etag},
    )
    page = env.client.get(
        "/api/v1/audit", params={"entity": "service", "entity_id": "housing"}, headers=env.editor
    ).json()
    assert page["total"] == 1
    entry = page["items"][0]
    assert entry["actor"] == "ed"
    assert entry["action"] == "patch"
    assert entry["before"]["remit"] == "Housing advice."
    assert entry["after"]["remit"] == "Audited."


def test_audit_log_is_append_only(env: Env) -> None:
    etag = _etag(env, "housing")
    env.client.patch(
        "/api/v1/services/housing", json={"remit": "x."}, headers=env.editor | {"If-Match": etag}
    )
    for statement in ("UPDATE audit SET actor = 'someone else'", "DELETE FROM audit"):
        with (
            pytest.raises(sqlalchemy.exc.DatabaseError, match="append-only"),
            env.engine.begin() as conn,
        ):
            conn.exec_driver_sql(statement)


def _lmm(env: Env, day: str, **family: Any) -> dict[str, Any]:
    body = {
        "postcode": "BD21 1AA",
        "stage": "postnatal",
        "child_age_months": 7,
        "needs": ["parent_infant_relationship"],
        "as_of": day,
    } | family
    result: dict[str, Any] = env.client.post("/api/v1/navigate", json=body).json()
    return result


def test_retired_service_disappears_after_its_date_not_before(env: Env) -> None:
    r = env.client.delete(
        "/api/v1/services/little-minds-matter",
        params={"on": "2025-01-01"},
        headers=env.editor | {"If-Match": _etag(env, "little-minds-matter")},
    )
    assert r.status_code == 200
    assert r.json()["valid_to"] == "2024-12-31"
    assert _lmm(env, "2024-12-31")["lmm"]["eligibility"] == "eligible"
    after = _lmm(env, "2025-01-01")
    assert after["lmm"]["eligibility"] == "not_eligible"
    assert "to 31 December 2024" in after["lmm"]["reasons"][0]
    ids = {
        n["id"]
        for n in env.client.get("/api/v1/map", params={"as_of": "2025-06-01"}).json()["nodes"]
    }
    assert "little-minds-matter" not in ids
    ids = {
        n["id"]
        for n in env.client.get("/api/v1/map", params={"as_of": "2024-06-01"}).json()["nodes"]
    }
    assert "little-minds-matter" in ids


def test_gp_list_load_turns_check_into_a_decision(env: Env) -> None:
    assert _lmm(env, "2021-06-01", gp_practice="B83001")["lmm"]["eligibility"] == "check"
    gp = env.client.get("/api/v1/gp-lists/ric")
    assert gp.json()["practices"] is None
    r = env.client.put(
        "/api/v1/gp-lists/ric",
        json={"practices": ["B83001", "B83002"]},
        headers=env.editor | {"If-Match": gp.headers["ETag"]},
    )
    assert r.status_code == 200
    assert _lmm(env, "2021-06-01", gp_practice="B83001")["lmm"]["eligibility"] == "eligible"
    no = _lmm(env, "2021-06-01", gp_practice="B99999")["lmm"]
    assert no["eligibility"] == "not_eligible"
    assert any("B99999" in reason for reason in no["reasons"])


def test_edges_create_patch_retire(env: Env) -> None:
    c = env.client
    r = c.post(
        "/api/v1/edges",
        json={"source": "housing", "target": "health-visiting", "kind": "signposts"},
        headers=env.editor,
    )
    assert r.status_code == 201
    url = r.headers["Location"]
    patched = c.patch(
        url, json={"kind": "refers"}, headers=env.editor | {"If-Match": r.headers["ETag"]}
    )
    assert patched.status_code == 200
    assert patched.json()["kind"] == "refers"
    assert (
        c.patch(
            url, json={"kind": "consults"}, headers=env.editor | {"If-Match": r.headers["ETag"]}
        ).status_code
        == 412
    )
    assert c.delete(url, params={"on": "2025-01-01"}, headers=env.editor).status_code == 428
    gone = c.delete(
        url, params={"on": "2025-01-01"}, headers=env.editor | {"If-Match": patched.headers["ETag"]}
    )
    assert gone.json()["valid_to"] == "2024-12-31"
    edges = c.get("/api/v1/map", params={"as_of": "2025-06-01"}).json()["edges"]
    assert ("housing", "health-visiting") not in {(e["source"], e["target"]) for e in edges}


def test_keys_are_stored_hashed_and_can_be_revoked(env: Env) -> None:
    created = env.client.post(
        "/api/v1/keys", json={"name": "cli-bot", "role": "editor"}, headers=env.admin
    )
    assert created.status_code == 201
    key = created.json()["key"]
    auth = {"Authorization": f"Bearer {key}"}
    assert env.client.get("/api/v1/audit", headers=auth).status_code == 200
    _, prefix, secret = key.split("_", 2)
    with env.engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT prefix, hash FROM api_key WHERE name = 'cli-bot'").one()
        # Every table, on both databases: neither the key nor its secret is anywhere.
        stored = str(
            [
                conn.exec_driver_sql(f"SELECT * FROM {t}").all()
                for t in sqlalchemy.inspect(conn).get_table_names()
            ]
        ).encode()
    if env.db is not None:  # SQLite: the raw file and its journal too
        stored += b"".join(p.read_bytes() for p in env.db.parent.iterdir())
    assert key.encode() not in stored
    assert secret.encode() not in stored
    assert row.prefix == prefix
    assert row.hash.startswith("scrypt$")
    assert keys.verify(secret, row.hash)
    assert not keys.verify(secret + "x", row.hash)
    revoked = env.client.delete(f"/api/v1/keys/{created.json()['id']}", headers=env.admin)
    assert revoked.status_code == 200
    assert env.client.get("/api/v1/audit", headers=auth).status_code == 401


def test_stale_after_lists_services_not_verified_since(env: Env) -> None:
    r = env.client.get("/api/v1/services", params={"stale_after": "2026-11-02"})
    assert r.json()["total"] == 4
    assert (
        env.client.get("/api/v1/services", params={"stale_after": "2026-11-01"}).json()["total"]
        == 0
    )


def test_private_deployments_need_a_key_to_read(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'p.db'}", seed_file=MINI_SEED, read_key_required=True
    )
    with TestClient(create_app(settings)) as client:
        engine = client.app.state.engine  # type: ignore[attr-defined]
        assert client.get("/healthz").status_code == 200
        assert client.get("/api/v1/services").status_code == 401
        assert (
            client.get("/api/v1/services", headers=_key(engine, "reader", "editor")).status_code
            == 200
        )


def test_cli_keys_and_gp_list_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NAVIGATOR_SEED_FILE", str(MINI_SEED))
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["seed"]).exit_code == 0
        made = runner.invoke(cli, ["keys", "create", "--role", "admin", "--name", "boss"])
        assert made.exit_code == 0, made.output
        key = made.stdout.strip().splitlines()[-1]
        assert key.startswith("nav_")
        listed = runner.invoke(cli, ["keys", "list"])
        assert "boss" in listed.stdout
        assert key not in listed.stdout
        csv = tmp_path / "ric.csv"
        csv.write_text("ods_code\nb83001\nB83002\n")
        loaded = runner.invoke(cli, ["gp-lists", "load", "ric", str(csv)])
        assert loaded.exit_code == 0, loaded.output
        bad = tmp_path / "bad.csv"
        bad.write_text("B83001\nnot a code!\n")
        refused = runner.invoke(cli, ["gp-lists", "load", "ric", str(bad)])
        assert refused.exit_code == 1
        assert "line 2" in refused.output
        audit = runner.invoke(cli, ["audit"])
        assert "gp_list ric" in audit.stdout
        assert runner.invoke(cli, ["keys", "revoke", "boss"]).exit_code == 0
        engine = connection.make_engine(get_settings().db_url)
        with Session(engine) as session:
            gp = store.get_gp_list(session, "ric")
            assert accounts.find_key(session, key) is None
        engine.dispose()
        assert gp is not None
        assert gp.practices == ["B83001", "B83002"]
    finally:
        get_settings.cache_clear()


def test_retire_before_start_is_refused(env: Env) -> None:
    r = env.client.delete(
        "/api/v1/services/little-minds-matter",
        params={"on": "2018-01-01"},
        headers=env.editor | {"If-Match": _etag(env, "little-minds-matter")},
    )
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "on"]


def test_retire_defaults_to_today(env: Env) -> None:
    assert env.client.delete("/api/v1/services/housing", headers=env.editor).status_code == 428
    r = env.client.delete(
        "/api/v1/services/housing", headers=env.editor | {"If-Match": _etag(env, "housing")}
    )
    assert r.status_code == 200
    yesterday = dt.date.today() - dt.timedelta(days=1)
    assert r.json()["valid_to"] == yesterday.isoformat()


# --- ETags cover the whole record; no-ops write nothing; If-Match per RFC 9110 ---------------


def _audit(env: Env, entity_id: str) -> list[dict[str, Any]]:
    page = env.client.get(
        "/api/v1/audit", params={"entity_id": entity_id, "per_page": 500}, headers=env.admin
    ).json()
    items: list[dict[str, Any]] = page["items"]
    return items


def test_a_confidential_address_change_changes_the_etag_and_is_audited_without_it(
    env: Env,
) -> None:
    c, url = env.client, "/api/v1/services/refuge"
    etag = _etag(env, "refuge")
    first = c.patch(url, json={"address": "2 Hidden Road"}, headers=env.editor | {"If-Match": etag})
    assert first.status_code == 200
    assert first.json()["address"] is None, "never served"
    assert first.headers["ETag"] != etag, "the ETag covers the confidential address"
    assert _etag(env, "refuge") == first.headers["ETag"], "the same ETag as a read"
    # A second editor holding the old ETag no longer wins.
    second = c.patch(url, json={"address": "3 Other Lane"}, headers=env.editor | {"If-Match": etag})
    assert second.status_code == 412
    with Session(env.engine) as session:
        stored = store.get_service(session, "refuge")
    assert stored is not None
    assert stored.address == "2 Hidden Road"
    entry = _audit(env, "refuge")[0]
    assert entry["before"]["address"] == "(confidential)"
    assert entry["after"]["address"] == "(confidential, changed)"
    text = str(_audit(env, "refuge"))
    for secret in ("Secret Street", "Hidden Road", "Other Lane"):
        assert secret not in text


def test_the_etag_cannot_be_used_to_test_guesses_at_a_confidential_address(env: Env) -> None:
    """Keyed: the published fields plus a guessed address never hash to the served ETag."""
    from navigator.core.models import Service, dump, public
    from navigator.core.snapshot import etag_of, service_etag

    served = env.client.get("/api/v1/services/refuge")
    published = Service.model_validate(served.json())
    guess = published.model_copy(update={"address": "1 Secret Street"})  # the right guess
    assert served.headers["ETag"] not in {
        etag_of(dump(guess)),
        etag_of(dump(public(guess))),
        service_etag(guess),
        service_etag(published),
    }


def test_a_no_op_save_keeps_the_etag_and_writes_nothing(env: Env) -> None:
    c, url = env.client, "/api/v1/services/housing"
    etag = _etag(env, "housing")
    version = c.get("/healthz")  # warm
    with Session(env.engine) as session:
        version_before = store.map_version(session)
    same = c.patch(url, json={"remit": "Housing advice."}, headers=env.editor | {"If-Match": etag})
    assert same.status_code == 200
    assert same.headers["ETag"] == etag
    empty = c.patch(url, json={}, headers=env.editor | {"If-Match": etag})
    assert empty.status_code == 200
    body = c.get(url).json()
    put = c.put(url, json=body, headers=env.editor | {"If-Match": etag})
    assert (put.status_code, put.headers["ETag"]) == (200, etag)
    assert _audit(env, "housing") == []
    with Session(env.engine) as session:
        assert store.map_version(session) == version_before
    assert version.status_code == 200
    # A real change; after it, a no-op with the old ETag is stale: 412, not a quiet 200.
    changed = c.patch(url, json={"remit": "New."}, headers=env.editor | {"If-Match": etag})
    assert changed.status_code == 200
    assert c.patch(url, json={}, headers=env.editor | {"If-Match": etag}).status_code == 412
    assert len(_audit(env, "housing")) == 1


def test_delete_needs_if_match(env: Env) -> None:
    c, url = env.client, "/api/v1/services/housing"
    assert c.delete(url, headers=env.editor).status_code == 428
    assert c.delete(url, headers=env.editor | {"If-Match": '"stale"'}).status_code == 412
    assert c.get(url).json().get("valid_to") is None, "nothing retired"
    ok = c.delete(url, headers=env.editor | {"If-Match": _etag(env, "housing")})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("*", 200),  # any current representation: the service exists
        ("{etag}", 200),
        ('"x", {etag}', 200),  # a list matches when any tag does
        ("W/{etag}", 412),  # If-Match compares strongly: a weak tag never matches
        ('"x", *', 412),  # * stands alone, or it is not a valid If-Match
        ("{bare}", 412),  # an ETag without its quotes
        ("", 412),
    ],
)
def test_if_match_follows_rfc_9110(env: Env, header: str, status: int) -> None:
    etag = _etag(env, "housing")
    value = header.format(etag=etag, bare=etag.strip('"'))
    r = env.client.patch(
        "/api/v1/services/housing",
        json={"remit": "Changed."},
        headers=env.editor | {"If-Match": value},
    )
    assert r.status_code == status, r.text


def test_if_match_star_on_a_missing_service_is_404(env: Env) -> None:
    r = env.client.patch(
        "/api/v1/services/nowhere", json={"remit": "x."}, headers=env.editor | {"If-Match": "*"}
    )
    assert r.status_code == 404


def test_a_reader_key_reads_and_cannot_write(env: Env) -> None:
    reader = _key(env.engine, "hv", "reader")
    assert env.client.post("/api/v1/services", json=NEW_SERVICE, headers=reader).status_code == 403
    assert env.client.get("/api/v1/audit", headers=reader).status_code == 403
    assert env.client.get("/api/v1/keys", headers=reader).status_code == 403


# --- service facts (issue #13) -----------------------------------------------------------------

PHONE = {
    "kind": "phone",
    "value": "01274 437503",
    "label": "Families Information Service",
    "own": True,
    "source": "https://localoffer.bradford.gov.uk/Services/Details.aspx?mid=175",
    "status": "confirmed",
}


NO_STATUS = {k: v for k, v in PHONE.items() if k != "status"}
NOWHERE = {"text": "x", "areas": ["nowhere"], "status": "confirmed"}
BAD_SITE = {"name": "x", "postcode": "not one", "source": "y", "status": "confirmed"}


@pytest.mark.parametrize(
    ("patch", "loc"),
    [
        ({"contacts": [PHONE | {"value": "999"}]}, ["body", "contacts", 0]),
        ({"contacts": [PHONE | {"kind": "website"}]}, ["body", "contacts", 0]),
        ({"contacts": [NO_STATUS]}, ["body", "contacts", 0, "status"]),
        ({"catchment": NOWHERE}, ["body", "catchment", "areas", 0]),
        ({"levels_status": "inferred"}, ["body"]),
        ({"sites": [BAD_SITE]}, ["body", "sites", 0, "postcode"]),
    ],
)
def test_bad_facts_are_422_naming_the_field(
    env: Env, patch: dict[str, Any], loc: list[Any]
) -> None:
    c, url = env.client, "/api/v1/services/housing"
    r = c.patch(url, json=patch, headers=env.editor | {"If-Match": _etag(env, "housing")})
    assert r.status_code == 422, r.text
    locs = [d["loc"] for d in r.json()["detail"]]
    assert any(found[: len(loc)] == loc for found in locs), locs


def test_facts_are_edited_audited_and_kept_off_a_confidential_service(env: Env) -> None:
    c, url = env.client, "/api/v1/services/housing"
    site = {"name": "City Hall", "postcode": "BD1 1HY", "source": "x", "status": "inferred"}
    where = {"text": "Bradford district.", "areas": ["bradford-district"], "status": "confirmed"}
    patch = {"contacts": [PHONE], "no_public_contact": None, "sites": [site], "catchment": where}
    ok = c.patch(url, json=patch, headers=env.editor | {"If-Match": _etag(env, "housing")})
    assert ok.status_code == 200, ok.text
    assert ok.json()["contacts"][0]["value"] == "01274 437503"
    assert c.get(url).json()["sites"][0]["postcode"] == "BD1 1HY"
    page = c.get(
        "/api/v1/audit", params={"entity": "service", "entity_id": "housing"}, headers=env.editor
    ).json()
    assert page["items"][0]["after"]["contacts"][0]["value"] == "01274 437503"
    assert page["items"][0]["before"].get("contacts", []) == []
    site = {"name": "The refuge", "source": "x", "status": "confirmed"}
    r = c.patch(
        "/api/v1/services/refuge",
        json={"sites": [site]},
        headers=env.editor | {"If-Match": _etag(env, "refuge")},
    )
    assert r.status_code == 422

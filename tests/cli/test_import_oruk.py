"""`navigator import-oruk`: other directories' Open Referral UK feeds into the map.

Tried on the UK profile's own examples, on feeds built here, and on our own feed served by a
local server standing in for a remote one.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from sqlmodel import Session
from typer.testing import CliRunner

from navigator.app import create_app
from navigator.cli import app
from navigator.core.models import Map, Status
from navigator.core.oruk_import import imported_key
from navigator.db import bootstrap, store
from navigator.settings import DEFAULT_SEED, Settings, get_settings
from tests.conftest import MINI_SEED, STANDARDS

runner = CliRunner()
EXAMPLES = STANDARDS / "oruk-3.0" / "examples"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("NAVIGATOR_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NAVIGATOR_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    assert runner.invoke(app, ["seed", "--file", str(MINI_SEED)]).exit_code == 0
    yield tmp_path
    get_settings.cache_clear()


def _stored() -> tuple[Map, int]:
    engine = bootstrap.open_engine(get_settings(), seed=False)
    try:
        with Session(engine) as session:
            return store.load_map(session), store.map_version(session)
    finally:
        engine.dispose()


def _run(*args: str) -> Any:
    return runner.invoke(app, ["import-oruk", *args])


def test_uk_profile_examples_import_once_marked_imported(data_dir: Path) -> None:
    source = str(EXAMPLES / "service_full.json")
    _, version = _stored()
    # The example names no area of ours: without --area it is skipped, saying so.
    nowhere = _run(source, "--dry-run", "--need", "perinatal_mental_health")
    assert "--area" in nowhere.output
    assert "create community-counselling" not in nowhere.output
    dry = _run(
        source, "--dry-run", "--need", "perinatal_mental_health", "--area", "bradford-district"
    )
    assert dry.exit_code == 0, dry.output
    assert "create community-counselling" in dry.output
    assert _stored()[1] == version, "a dry run changes nothing"

    skipped = _run(source)
    assert skipped.exit_code == 0
    assert "skipped" in skipped.output
    assert "--need" in skipped.output

    done = _run(source, "--need", "perinatal_mental_health", "--area", "bradford-district")
    assert done.exit_code == 0, done.output
    m, _ = _stored()
    service = m.service("community-counselling")
    assert service is not None
    assert service.name == "Community Counselling"
    # 12 to 100 years: 100 years is past any age the map records, so no upper limit.
    assert (service.min_age_months, service.max_age_months) == (144, None)
    assert service.provider == "Example Organization Inc."
    assert service.address == "1-30 Main Street, MyCity ABC 1234"
    assert {s.status for s in service.sources} == {Status.imported}
    assert imported_key(service) == "ac148810-d857-441c-9679-408f346de14b"
    assert all(r.status is Status.imported for r in service.rules + service.routes)
    assert "Ann Persona" in (service.routes[0].contact or "")
    assert service.inferred == ["needs", "rules", "levels", "ring"]  # rules: the --area given

    again = _run(source, "--need", "perinatal_mental_health", "--area", "bradford-district")
    assert again.exit_code == 0
    assert "unchanged community-counselling" in again.output
    assert "0 change(s) made" in again.output
    assert _stored()[0] == m, "re-running is idempotent"
    # The list example is the same service with fewer fields: an update, not a second copy.
    listed = _run(
        str(EXAMPLES / "service_list.json"),
        "--need",
        "perinatal_mental_health",
        "--area",
        "bradford-district",
    )
    assert listed.exit_code == 0, listed.output
    assert "update community-counselling" in listed.output
    assert len(_stored()[0].services) == len(m.services)


def _write(path: Path, document: Any) -> str:
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def _service(**fields: Any) -> dict[str, Any]:
    return {
        "id": "5b6f2a55-3a36-4d5e-9d0a-0e7f7d6f3b11",
        "name": "Keighley Baby Group",
        "status": "active",
        "description": "A weekly group for parents and babies.",
        "minimum_age": 0,
        "maximum_age": 1,
        "organization": {
            "id": "9e0b3b3b-1d8c-4b11-8e1e-1c2b3d4e5f60",
            "name": "Airedale NHS Foundation Trust",
            "description": "The trust",
            "organization_identifiers": [
                {
                    "id": "0c7f1d8e-1111-4f1b-9a1b-2c3d4e5f6a7b",
                    "identifier_scheme": "GB-NHS",
                    "identifier_type": "ODS code",
                    "identifier": "RCF",
                }
            ],
        },
        "service_areas": [
            {"id": "1a2b3c4d-0000-4000-8000-000000000001", "name": "Bradford district"}
        ],
        "attributes": [
            {
                "id": "1a2b3c4d-0000-4000-8000-000000000002",
                "taxonomy_term": {
                    "id": "1a2b3c4d-0000-4000-8000-000000000003",
                    "name": "Parent–infant relationship",
                    "description": "bonding",
                },
            }
        ],
        **fields,
    }


def test_a_feed_page_maps_areas_needs_and_organisation(data_dir: Path) -> None:
    page = {"contents": [_service()], "total_items": 1}
    result = _run(_write(data_dir / "page.json", page))
    assert result.exit_code == 0, result.output
    assert "organisation airedale-nhs-foundation-trust: add" in result.output
    m, _ = _stored()
    service = m.service("keighley-baby-group")
    assert service is not None
    assert service.needs == ["parent_infant_relationship"]
    assert service.rules[0].area == "bradford-district"
    assert service.rules[0].status is Status.imported
    assert (service.min_age_months, service.max_age_months) == (0, 12)
    org = m.organisation(service.organisation_id)
    assert org is not None
    assert (org.ods_code, org.status) == ("RCF", Status.imported)


def test_a_service_like_a_curated_one_is_shown_never_overwritten(data_dir: Path) -> None:
    m, version = _stored()
    curated = m.service("little-minds-matter")
    assert curated is not None
    twin = _service(
        name="Little Minds Matter",
        description="Theirs.",
        organization={"id": "9e0b3b3b-1d8c-4b11-8e1e-1c2b3d4e5f61", "name": curated.provider},
    )
    result = _run(_write(data_dir / "twin.json", twin))
    assert result.exit_code == 0, result.output
    assert "differs from curated little-minds-matter (not written)" in result.output
    assert "remit" in result.output
    after, after_version = _stored()
    assert after.service("little-minds-matter") == curated
    assert after_version == version
    assert len(after.services) == len(m.services)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"minimum_age": "old"}, "minimum_age"),
        ({"status": "open"}, "status"),
        ({"name": None}, "name"),
        ({"attributes": "lots"}, "attributes"),
        ({"minimum_age": 5, "maximum_age": 2}, "maximum_age"),
    ],
)
def test_a_bad_feed_names_service_and_field_and_changes_nothing(
    data_dir: Path, bad: dict[str, Any], field: str
) -> None:
    _, version = _stored()
    good = _service(id="5b6f2a55-3a36-4d5e-9d0a-0e7f7d6f3b12", name="A good one")
    page = {"contents": [good, _service(**bad)]}
    result = _run(_write(data_dir / "bad.json", page))
    assert result.exit_code == 1
    assert "nothing changed" in result.output
    assert field in result.output
    assert "5b6f2a55-3a36-4d5e-9d0a-0e7f7d6f3b11" in result.output or "Keighley" in result.output
    assert _stored()[1] == version


def test_not_json_and_unreachable_feeds_are_refused(data_dir: Path) -> None:
    text = data_dir / "notes.json"
    text.write_text("not json", encoding="utf-8")
    assert _run(str(text)).exit_code == 1
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = _run(f"http://127.0.0.1:{port}/oruk")
    assert result.exit_code == 1
    assert "could not be read" in result.output


@pytest.fixture
def bradford_feed(tmp_path: Path) -> Iterator[str]:
    """Our own feed over the whole seed, on a local server standing in for a remote one."""
    application = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'remote.db'}", seed_file=DEFAULT_SEED)
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive(), "the feed server did not start"
            assert time.monotonic() < deadline, "the feed server did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}/oruk"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def test_import_from_a_feed_server_round_trips_our_facts(
    data_dir: Path, bradford_feed: str
) -> None:
    _, version = _stored()
    dry = _run(bradford_feed, "--dry-run", "--need", "housing", "--area", "bradford-district")
    assert dry.exit_code == 0, dry.output
    assert _stored()[1] == version
    result = _run(bradford_feed, "--need", "housing", "--area", "bradford-district")
    assert result.exit_code == 0, result.output
    m, _ = _stored()
    smabs = next(
        s for s in m.services if s.name == "Specialist Mother and Baby Mental Health Service"
    )
    assert (smabs.min_age_months, smabs.max_age_months) == (-9, 12)  # pregnancy survives
    assert smabs.organisation_id is not None
    org = m.organisation(smabs.organisation_id)
    assert org is not None
    assert org.ods_code == "TAD"
    source = next(s for s in smabs.sources if s.status is Status.imported)
    assert source.url is not None
    assert source.url.startswith(bradford_feed + "/services/")
    assert smabs.routes
    assert all(r.status is Status.imported for r in smabs.routes)
    # Typed contacts come back typed (issue #13): its own page; never a line not its own.
    assert [(c.kind, c.value) for c in smabs.contacts] == [
        (
            "website",
            "https://bdct.nhs.uk/our-services/mental-health-services/specialist-mother-baby-mental-health-service",
        )
    ]
    assert all(c.status is Status.imported and c.own for c in smabs.contacts)
    slt = next(s for s in m.services if s.name == "Children's speech and language therapy")
    assert ("phone", "01274 221166") in {(c.kind, c.value) for c in slt.contacts}
    again = _run(bradford_feed, "--need", "housing", "--area", "bradford-district")
    assert again.exit_code == 0, again.output
    assert "0 change(s) made" in again.output


class _Broken(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html>not a feed</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_server_that_is_not_a_feed_is_refused(data_dir: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _, version = _stored()
        result = _run(f"http://127.0.0.1:{server.server_address[1]}/")
        assert result.exit_code == 1
        assert "not JSON" in result.output
        assert _stored()[1] == version
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

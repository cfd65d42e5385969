"""Data is never markup: a map whose text holds HTML shows it as text on every page and the map."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from navigator.app import create_app
from navigator.settings import Settings
from tests.conftest import MINI_SEED
from tests.web.dom import parse

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture(scope="module")
def evil_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data: dict[str, Any] = yaml.safe_load(MINI_SEED.read_text(encoding="utf-8"))
    housing = next(s for s in data["services"] if s["id"] == "housing")
    housing["name"] = f"Housing {EVIL}"
    housing["remit"] = f"Advice {EVIL}"
    housing["rules"].append({"kind": "criterion", "text": f"Ask {EVIL}"})
    housing["sources"] = [
        {"title": f"Site {EVIL}", "url": "javascript:alert(1)", "status": "inferred"}
    ]
    next(n for n in data["needs"] if n["code"] == "housing")["label"] = f"Housing {EVIL}"
    path = Path(tmp_path_factory.mktemp("evil")) / "evil.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with TestClient(create_app(Settings(database_url="sqlite://", seed_file=path))) as client:
        yield client


FAMILY = {
    "postcode": "BD3 9AB",
    "stage": "postnatal",
    "child_age_months": "7",
    "needs": ["housing"],
    "from_service": "health-visiting",
}


def bodies(client: TestClient) -> dict[str, str]:
    gets = [
        "/",
        "/services",
        "/services?q=Housing",
        "/services/housing",
        "/services/health-visiting",
        "/map",
        "/map?need=housing",
    ]
    out = {url: client.get(url).text for url in gets}
    out["POST /"] = client.post("/", data=FAMILY).text
    out["POST / (error)"] = client.post("/", data={**FAMILY, "postcode": EVIL}).text
    return out


def test_no_page_carries_the_markup_raw(evil_client: TestClient) -> None:
    for url, body in bodies(evil_client).items():
        assert EVIL not in body, url
        assert "alert(1)" in body, f"{url} does not show the name at all: the test would be empty"


def test_pages_show_it_as_text(evil_client: TestClient) -> None:
    page = evil_client.get("/services/housing").text
    assert ESCAPED in page
    doc = parse(page)
    assert doc.find("h1").text == f"Housing {EVIL}"
    # A javascript: source URL is shown as text, never put in an href.
    assert not [a for a in doc.find_all("a") if a.attrs.get("href", "").startswith("javascript")]
    results = parse(evil_client.post("/", data=FAMILY).text)
    summary = results.by_id("referral-summary")
    assert f"Housing {EVIL}" in summary.text  # the textarea holds it as text
    error = parse(evil_client.post("/", data={**FAMILY, "postcode": EVIL}).text)
    assert error.by_id("postcode").attrs["value"] == EVIL


def test_map_tooltips_and_labels_are_escaped_before_pyvis(evil_client: TestClient) -> None:
    page = evil_client.get("/map").text
    found = re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", page)
    assert found, "pyvis's node data is missing"
    nodes = {n["id"]: n for n in json.loads(found.group(1))}
    housing = nodes["housing"]
    assert ESCAPED in housing["title"]
    assert EVIL not in housing["title"]
    assert "Advice " + ESCAPED in housing["title"]
    assert "Ask " + ESCAPED in housing["title"]
    assert "&lt;script&gt;" in housing["label"]
    edges = re.search(r"edges = new vis\.DataSet\((\[.*?\])\);", page)
    assert edges
    titles = [e["title"] for e in json.loads(edges.group(1))]
    assert any(ESCAPED in t for t in titles)
    assert not any(EVIL in t for t in titles)

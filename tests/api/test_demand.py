"""Demand counts (NAVIGATOR_DEMAND_COUNTS=true): one per need, ward and month, and nothing else;
every count under 10 withheld on every output."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from navigator.app import create_app
from navigator.core.analytics import demand
from navigator.settings import DEFAULT_SEED, Settings

BRADFORD_MOOR = "E05001346"
POSTCODE = "BD3 9AB"  # Bowling and Barkerend
FAMILY = {
    "postcode": POSTCODE,
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship", "housing"],
    "level": "targeted",
    "from_service": "health-visiting",
}


@pytest.fixture
def counting(tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    url = f"sqlite:///{tmp_path / 'navigator.db'}"
    settings = Settings(database_url=url, seed_file=DEFAULT_SEED, demand_counts=True)
    with TestClient(create_app(settings)) as client:
        yield client, url


def everything(url: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, as text."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: [dict(r._mapping) for r in conn.execute(text(f'SELECT * FROM "{t}"'))]
                for t in inspect(engine).get_table_names()
            }
    finally:
        engine.dispose()


def test_a_question_adds_one_per_need_and_nothing_else(
    counting: tuple[TestClient, str],
) -> None:
    client, url = counting
    before = everything(url)
    r = client.post("/api/v1/navigate", json=FAMILY)
    assert r.status_code == 200
    page = {k: str(v) for k, v in FAMILY.items() if k != "needs"} | {"needs": FAMILY["needs"]}
    assert client.post("/results", data=page).status_code == 200
    after = everything(url)
    month = demand.month_of(dt.date.today())
    ward = "E05001345"
    assert sorted(
        (r["need"], r["ward_code"], r["month"], r["count"]) for r in after["demand_count"]
    ) == [
        ("housing", ward, month, 2),
        ("parent_infant_relationship", ward, month, 2),
    ]
    # Nothing else changed anywhere, and the family's answers are nowhere in the database.
    assert {t: rows for t, rows in after.items() if t != "demand_count"} == {
        t: rows for t, rows in before.items() if t != "demand_count"
    }
    assert set(after["demand_count"][0]) == {"need", "ward_code", "month", "count"}
    dumped = json.dumps(after["demand_count"], default=str)
    for secret in ("BD3", "9AB", "health-visiting", "targeted", "postnatal", str(dt.date.today())):
        assert secret not in dumped


def test_counts_under_ten_are_withheld_everywhere(
    counting: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client, url = counting
    for _ in range(3):
        assert (
            client.post("/api/v1/navigate", json=FAMILY | {"needs": ["housing"]}).status_code == 200
        )
    for _ in range(12):
        body = FAMILY | {"needs": ["parent_infant_relationship"]}
        assert client.post("/api/v1/navigate", json=body).status_code == 200
    cells = client.get("/api/v1/analytics/demand").json()["cells"]
    by_need = {c["need"]: c for c in cells}
    assert by_need["housing"] == {
        "need": "housing",
        "ward_code": "E05001345",
        "month": demand.month_of(dt.date.today()),
        "count": None,
        "suppressed": True,
    }
    assert by_need["parent_infant_relationship"]["count"] == 12
    assert by_need["parent_infant_relationship"]["suppressed"] is False
    # The page's grid and its CSV.
    gaps = client.get("/commission/gaps", params={"need": "housing"})
    assert "Questions asked" in gaps.text
    assert "&lt;10" in gaps.text
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/commission/gaps.csv?need=housing").text.lstrip("\ufeff"))
        )
    )
    bowling = [r for r in rows if r["Ward code"] == "E05001345"]
    assert {r["Questions asked (fewer than 10 not shown)"] for r in bowling} == {"fewer than 10"}
    rows = list(
        csv.DictReader(io.StringIO(client.get("/commission/demand.csv").text.lstrip("\ufeff")))
    )
    assert {r["Need"]: r["Questions asked"] for r in rows} == {
        "Housing": "fewer than 10",
        "Parent–infant relationship": "12",
    }
    # The command line, on the same database.
    from navigator.cli import app
    from navigator.settings import get_settings

    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", url)
    monkeypatch.setenv("NAVIGATOR_DEMAND_COUNTS", "true")
    get_settings.cache_clear()
    try:
        got = CliRunner().invoke(app, ["analytics", "demand", "--csv"])
    finally:
        get_settings.cache_clear()
    assert got.exit_code == 0, got.output
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert {r["Need"]: r["Questions asked"] for r in rows} == {
        "Housing": "fewer than 10",
        "Parent–infant relationship": "12",
    }


def test_nothing_is_counted_when_off(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'navigator.db'}"
    with TestClient(create_app(Settings(database_url=url, seed_file=DEFAULT_SEED))) as client:
        assert client.post("/api/v1/navigate", json=FAMILY).status_code == 200
        assert client.get("/api/v1/analytics/demand").status_code == 404
        assert client.get("/commission/demand.csv").status_code == 404
        assert "Questions asked" not in client.get("/commission/gaps").text
    assert everything(url)["demand_count"] == []


def test_a_postcode_without_a_ward_counts_nothing(counting: tuple[TestClient, str]) -> None:
    client, url = counting
    r = client.post("/api/v1/navigate", json=FAMILY | {"postcode": "ZZ99 9ZZ"})
    assert r.status_code in (200, 422)
    assert everything(url)["demand_count"] == []


def test_demand_months_are_checked(counting: tuple[TestClient, str]) -> None:
    client, _ = counting
    r = client.get("/api/v1/analytics/demand", params={"from": "2026-13"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "from"]
    ok = client.get("/api/v1/analytics/demand", params={"from": "2020-01", "to": "2020-02"})
    assert ok.json() == {"start": "2020-01", "end": "2020-02", "suppress_below": 10, "cells": []}

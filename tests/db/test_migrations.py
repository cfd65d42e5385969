"""Schema migrations: the migrated schema is the models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from navigator.cli import app
from navigator.core.models import Map
from navigator.db import connection, migrations, store
from navigator.db.seeding import seed_database
from navigator.settings import DEFAULT_SEED, get_settings


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connection.make_engine(database_url)
    yield engine
    engine.dispose()


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_upgrade_of_an_empty_database_gives_exactly_the_models_schema(engine: Engine) -> None:
    assert migrations.upgrade(engine) is migrations.Outcome.created
    assert migrations.schema_diffs(engine) == []
    assert _tables(engine) == set(SQLModel.metadata.tables) | {"alembic_version"}
    assert migrations.current_revision(engine) == migrations.head()
    assert migrations.upgrade(engine) is migrations.Outcome.current


def test_the_diff_check_sees_a_difference(engine: Engine) -> None:
    """The check above can fail: a column the models lack is reported."""
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE service ADD COLUMN colour VARCHAR(20)"))
    diffs = migrations.schema_diffs(engine)
    assert [(d[0], d[3].name) for d in diffs] == [("remove_column", "colour")]


def test_audit_log_is_append_only_after_migration(engine: Engine) -> None:
    migrations.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit (at, actor, action, entity, entity_id, before, after) "
                "VALUES (CURRENT_TIMESTAMP, 'x', 'create', 'service', 's', 'null', 'null')"
            )
        )
    for statement in ("UPDATE audit SET actor = 'y'", "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))


def test_downgrade_to_nothing_and_back(engine: Engine) -> None:
    migrations.upgrade(engine)
    cfg = migrations.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert _tables(engine) <= {"alembic_version"}
    assert migrations.upgrade(engine) is migrations.Outcome.created
    assert migrations.schema_diffs(engine) == []


def test_a_map_stored_before_policy_was_data_gains_it(engine: Engine) -> None:
    """0002 adds LMM's offer table and the policy to a map stored at 0001, as they were."""
    migrations.upgrade(engine)
    seed_database(engine, DEFAULT_SEED)
    with Session(engine) as s:
        expected = store.load_map(s)
    cfg = migrations.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT key, value FROM setting")).all())
    assert "policy" not in rows
    lmm = json.loads(rows["lmm"]) if isinstance(rows["lmm"], str) else rows["lmm"]
    assert "drop-in" in [c["id"] for c in lmm["consultation_types"]]
    assert "offer_by_level" not in lmm
    assert migrations.upgrade(engine) is migrations.Outcome.upgraded
    with Session(engine) as s:
        assert _before_later_revisions(store.load_map(s)) == _before_later_revisions(expected)


# What a downgrade below 0003 and 0007 loses for good, and their upgrades cannot bring back:
# organisations beyond 0003's copy, the services' links to them, and the service facts.
LATER_FACTS = {
    "organisation_id": None,
    "levels_status": None,
    "contacts": [],
    "no_public_contact": None,
    "sites": [],
    "catchment": None,
}


def _before_later_revisions(m: Map) -> Map:
    services = [s.model_copy(update=LATER_FACTS) for s in m.services]
    return m.model_copy(update={"services": services, "organisations": []})


def test_service_facts_come_back_empty_after_a_downgrade_below_0007(engine: Engine) -> None:
    migrations.upgrade(engine)
    seed_database(engine, DEFAULT_SEED)
    cfg = migrations.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006")
    assert "contacts" not in {c["name"] for c in _columns(engine, "service")}
    assert migrations.upgrade(engine) is migrations.Outcome.upgraded
    with Session(engine) as s:
        hv = store.load_map(s).service("health-visiting")
    assert hv is not None
    assert (hv.contacts, hv.sites, hv.catchment, hv.levels_status) == ([], [], None, None)


def _columns(engine: Engine, table: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        return list(inspect(conn).get_columns(table))  # type: ignore[arg-type]


def test_db_upgrade_command(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(app, ["db", "upgrade"])
        assert first.exit_code == 0, first.output
        assert f"created: at revision {migrations.head()}" in first.output
        again = runner.invoke(app, ["db", "upgrade"])
        assert again.exit_code == 0, again.output
        assert "current" in again.output
    finally:
        get_settings.cache_clear()

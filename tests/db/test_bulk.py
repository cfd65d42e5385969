"""The bulk write and the Core read: all or nothing, ids a later edit can follow, and the start's
cheap checks (the schema's revision without Alembic, the map's version at most every interval).

Each database test runs on a SQLite file and on PostgreSQL (`database_url`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from pydantic import BaseModel, Field, field_serializer
from sqlalchemy import Engine, event
from sqlmodel import Session

from navigator.core.geography import PostcodeTable
from navigator.core.models import Map, Rule, Service, Source
from navigator.core.seedfile import SeedError, dump_yaml
from navigator.db import connection, migrations, store
from navigator.db.holder import MapHolder
from navigator.db.seeding import seed_database
from navigator.db.tables import RuleRow
from navigator.db.writes import MapWriter
from tests.conftest import MINI_SEED
from tests.core.test_seed import _broken, _service


def _stored(engine: Engine) -> tuple[str, int, int]:
    with Session(engine) as s:
        rules = s.connection().execute(sa.text("SELECT count(*) FROM rule")).scalar_one()
        return dump_yaml(store.load_map(s)), store.map_version(s), rules


def test_a_bad_entry_midway_changes_nothing_and_is_named(engine: Engine, tmp_path: Path) -> None:
    seed_database(engine, MINI_SEED)
    before = _stored(engine)

    def bad_level(data: dict[str, Any]) -> None:
        _service(data, "housing")["levels"] = ["universal", "nope"]  # the third of five

    with pytest.raises(SeedError) as found:
        seed_database(engine, _broken(tmp_path, bad_level))
    assert Path(found.value.file).name == "broken.yaml"
    assert found.value.entry == "services[housing]"
    assert found.value.field == "levels[1]"
    assert _stored(engine) == before


@pytest.mark.parametrize("table", ["service", "rule", "edge"])
def test_a_write_failing_midway_changes_nothing(
    engine: Engine, table: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old rows deleted, some new ones inserted, then a failure: it all rolls back."""
    seed_database(engine, MINI_SEED)
    before = _stored(engine)
    real = store._insert
    written: list[str] = []

    def fail_at(conn: Any, name: str, rows: list[dict[str, Any]]) -> None:
        if name == table:
            raise RuntimeError("disk full")
        written.append(name)
        real(conn, name, rows)

    monkeypatch.setattr(store, "_insert", fail_at)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_database(engine, MINI_SEED)
    assert "need" in written  # it failed part-way, not before starting
    assert _stored(engine) == before


def _schema(engine: Engine) -> list[tuple[Any, ...]]:
    """The tables, indexes, constraints and triggers as the database describes them."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        else:
            query = (
                "SELECT 'index', indexname, tablename, indexdef FROM pg_indexes "
                "WHERE schemaname = 'public' UNION ALL "
                "SELECT 'constraint', conname, conrelid::regclass::text, "
                "pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
            )
        return [tuple(row) for row in conn.exec_driver_sql(query)]


def test_a_whole_map_write_leaves_the_schema_as_migrated(
    engine: Engine, seed_map: Map, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the write drops the map tables' indexes and makes them again: afterwards, and
    after a write that failed part-way, the schema is the migrations' own."""
    migrated = _schema(engine)
    assert any(row[0] == "index" and row[2] == "edge" for row in migrated)
    for _ in range(2):  # into the empty tables, then over the map written
        with Session(engine) as s:
            store.replace_map(s, seed_map)
            s.commit()
        assert _schema(engine) == migrated
    real = store._insert

    def fail_at_edges(conn: Any, name: str, rows: Any) -> None:
        if name == "edge":
            raise RuntimeError("disk full")
        real(conn, name, rows)

    monkeypatch.setattr(store, "_insert", fail_at_edges)
    with pytest.raises(RuntimeError, match="disk full"), Session(engine) as s:
        store.replace_map(s, seed_map)
    assert _schema(engine) == migrated


def test_rule_ids_after_a_bulk_write_are_fresh_for_edits(engine: Engine, seed_map: Map) -> None:
    """The bulk write gives rules their ids itself; the table's sequence (PostgreSQL) must
    then go on after them, or the next edit's rules collide with the written ones."""
    with Session(engine) as s:
        store.replace_map(s, seed_map)
        s.commit()
    with Session(engine) as s:  # and a second time, over the first (the sequence has moved)
        store.replace_map(s, seed_map)
        s.commit()
    with Session(engine) as s:
        written = s.connection().execute(sa.text("SELECT max(id) FROM rule")).scalar_one()
    assert written > 0
    target = next(s for s in seed_map.services if s.rules)
    nested = Rule.model_validate(
        {
            "kind": "any_of",
            "rules": [{"kind": "age", "max_months": 30}, {"kind": "age", "min_months": 40}],
        }
    )
    writer = MapWriter(engine)
    writer.patch_service(
        service_id=target.id,
        patch={"rules": [*(r.model_dump(mode="json") for r in target.rules), dump_rule(nested)]},
        if_match="*",
        actor="test",
    )
    with Session(engine) as s:
        new_ids = (
            s.connection()
            .execute(sa.text("SELECT id FROM rule WHERE service_id = :s"), {"s": target.id})
            .scalars()
            .all()
        )
        assert min(new_ids) > written
        row = RuleRow(
            service_id=target.id, position=99, kind="age", max_months=1, status="confirmed"
        )
        s.add(row)  # and a plain insert through the ORM, numbered by the database
        s.commit()
        assert row.id is not None
        assert row.id > max(new_ids)
    with Session(engine) as s:
        edited = store.get_service(s, target.id)
    assert edited is not None
    assert edited.rules[-2] == nested  # the any_of came back with its two rules, in order
    assert edited.rules[: len(target.rules)] == target.rules


def dump_rule(rule: Rule) -> dict[str, Any]:
    return rule.model_dump(mode="json", exclude_defaults=True)


def test_the_fast_head_check_agrees_with_alembic(engine: Engine) -> None:
    assert migrations.newest_revision() == migrations.head()
    assert migrations.stored_revision(engine) == migrations.head()
    assert migrations.is_current(engine)
    cfg = migrations.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "-1")
    assert migrations.stored_revision(engine) == migrations.current_revision(engine)
    assert not migrations.is_current(engine)
    assert migrations.upgrade(engine) is migrations.Outcome.upgraded
    assert migrations.is_current(engine)


def test_a_database_without_migrations_is_not_current(tmp_path: Path) -> None:
    engine = connection.make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert migrations.stored_revision(engine) is None
        assert not migrations.is_current(engine)
    finally:
        engine.dispose()


def test_a_start_on_a_current_database_does_not_load_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'navigator.db'}"
    engine = connection.make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    probe = (
        "import sys\n"
        "from navigator.db import bootstrap, connection\n"
        f"engine = connection.make_engine({url!r})\n"
        "print(bootstrap.prepare(engine).value, 'alembic' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["current", "False"]


def test_the_holder_asks_nothing_within_its_interval(postcodes: PostcodeTable) -> None:
    engine = connection.make_engine("sqlite://")
    migrations.upgrade(engine)
    seed_database(engine, MINI_SEED)
    queries: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: queries.append(a[2]))
    holder = MapHolder(engine, postcodes, interval=3600)
    try:
        first = holder.current()
        assert queries  # the first call loads the map
        queries.clear()
        for _ in range(100):
            assert holder.current() is first
            assert holder.cached() is first
        assert queries == []
        holder.expire()  # this process wrote: the next call checks the version, once
        assert holder.current() is first
        assert len(queries) == 1
        assert holder.current() is first
        assert len(queries) == 1
    finally:
        import gc

        gc.unfreeze()
        engine.dispose()


# Text as awkward as a directory's can be: the delimiters of PostgreSQL's COPY (tab, newline,
# backslash, \N), quotes, JSON's escapes, and letters outside ASCII, some outside the BMP.
AWKWARD = 'Tab\there, line\nbreak\r\n, back\\slash \\N "quoted" \\u00e9 — Café Ñandú 🧸 𝔘'


def test_awkward_text_comes_back_as_written(engine: Engine, mini_map: Map) -> None:
    """Names, free text and JSON columns with COPY's and JSON's special characters, and fields
    left empty (NULL, or JSON null), read back equal after a whole-map write."""
    service = mini_map.services[0]
    data = service.model_dump(mode="json")
    data.update(
        name=AWKWARD,
        remit=AWKWARD + "\\",
        address=None,
        aliases=[AWKWARD, "", "\\", "\t"],
        programmes=["\\N", "NULL", "null"],
        catchment=None,
        no_public_contact=AWKWARD,
    )
    data["sources"] = [{**data["sources"][0], "title": AWKWARD, "note": "\\", "url": None}]
    data["routes"] = [{"kind": "self_referral", "how": AWKWARD, "contact": "\t"}]
    data["rules"] = [{"kind": "criterion", "text": AWKWARD, "note": "\n"}]
    awkward = Service.model_validate(data)
    assert awkward.address is None
    assert awkward.catchment is None
    m = mini_map.model_copy(update={"services": [awkward, *mini_map.services[1:]]})
    with Session(engine) as s:
        store.replace_map(s, m)
        s.commit()
    with Session(engine) as s:
        back = store.get_service(s, service.id)
        assert store.load_map(s).services[0] == awkward
    assert back == awkward


class _Shouting(Source):
    @field_serializer("title")
    def _upper(self, title: str) -> str:
        return title.upper()


class _Scored(Source):
    score: float = 0.5


def test_a_model_the_write_cannot_take_as_it_is_is_refused() -> None:
    """Rows are taken from the models' attributes: a serializer of the model's own, or a
    value a driver would store otherwise than its dump, is refused, never written wrong."""
    with pytest.raises(TypeError, match="serializers"):
        store._FromModels(store._table("source"), _Shouting, ("service_id", "position"))
    scored = sa.Table(
        "scored", sa.MetaData(), sa.Column("title", sa.Text), sa.Column("score", sa.Float)
    )
    with pytest.raises(TypeError, match="score"):
        store._FromModels(scored, _Scored, ())


class _Aliased(BaseModel):
    label: str = Field(alias="Label")


def test_json_columns_hold_what_a_dump_gives() -> None:
    """Models in a JSON column are written by their fields' names, as `model_dump` gives them
    and the read validates them, never by an alias."""
    value = [_Aliased(Label="Drop-in \u00e9")]
    assert json.loads(store._json(value)) == [value[0].model_dump(mode="json")]


def test_a_map_written_over_another_keeps_nothing_of_it(engine: Engine, mini_map: Map) -> None:
    """A whole map written over another: the services left out go, the others come back as
    the new map has them, in its order (twice in one transaction too)."""
    with Session(engine) as s:
        store.replace_map(s, mini_map)
        s.commit()
    gone, renamed, *rest = mini_map.services
    added = rest[0].model_copy(update={"id": "added-service", "name": "Added"})
    services = [*reversed(rest), added, renamed.model_copy(update={"name": "Renamed \t\\"})]
    edges = [e for e in mini_map.edges if gone.id not in (e.source, e.target)]
    new = mini_map.model_copy(update={"services": services, "edges": edges})
    with Session(engine) as s:
        store.replace_map(s, new)
        store.replace_map(s, new)
        s.commit()
    with Session(engine) as s:
        assert dump_yaml(store.load_map(s)) == dump_yaml(new)
        assert store.get_service(s, gone.id) is None


def test_a_service_twice_changes_nothing(engine: Engine, mini_map: Map) -> None:
    seed_database(engine, MINI_SEED)
    before = _stored(engine)
    first = mini_map.services[0]
    twice = [*mini_map.services, first.model_copy(update={"name": "Again"})]
    # SQLAlchemy's error on SQLite; psycopg's own from COPY, which goes round SQLAlchemy.
    refused = (sa.exc.IntegrityError, psycopg.IntegrityError)
    with Session(engine) as s, pytest.raises(refused):
        store.replace_map(s, mini_map.model_copy(update={"services": twice}))
    assert _stored(engine) == before

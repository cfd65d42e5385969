"""The map in the database: read whole into a frozen `Map`, replaced whole, or edited one entity
at a time. Every change to the map bumps `map_version` in the same transaction, so each process
can tell cheaply when its in-memory map is stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from enum import StrEnum
from functools import cache
from itertools import count
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import Connection, Date, DateTime, Select, Table
from sqlmodel import Session, col, delete, func, select

from navigator.core.models import (
    Area,
    Edge,
    GpList,
    LevelInfo,
    LmmOffer,
    Map,
    Meta,
    Navigation,
    Need,
    Organisation,
    Policy,
    RingInfo,
    Route,
    Rule,
    Service,
    Source,
    Vocabulary,
    dump,
)
from navigator.db.collector import collector_paused
from navigator.db.tables import (
    METADATA,
    AreaRow,
    AuditRow,
    EdgeRow,
    GpListRow,
    GpPracticeRow,
    NeedRow,
    ServiceRow,
    SettingRow,
)
from navigator.db.trusted import RowBuilder, construct, unoptional

# --- reading ----------------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def _setting(session: Session, key: str) -> Any:
    row = session.get(SettingRow, key)
    return None if row is None else row.value


def map_version(session: Session) -> int:
    """The map's version: bumped in the same transaction as every change. 0 when empty."""
    value = _setting(session, "map_version")
    return int(value) if value is not None else 0


def etag_key(session: Session) -> bytes:
    """The key services' ETags are hashed with (made by migration 0003, shared by replicas)."""
    value = _setting(session, "etag_key")
    return bytes.fromhex(value) if isinstance(value, str) else b""


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(ServiceRow)).one() == 0


# The map is read through SQLAlchemy Core, a few queries over whole tables: rows as plain tuples.
# Services, their rules, routes and sources, and edges (the tables that grow with the map) are
# built as trusted models (db/trusted.py): every row was validated when it was written, so they
# are not validated again. The small tables and documents (needs, areas, GP lists, settings) are
# validated as they are read. Columns are taken as the tables have them: a column added to a
# table reaches the model field of the same name with no change here.


def _table(name: str) -> Table:
    return METADATA.tables[name]


# Columns of a child table that are the database's, not the model's.
_ROW_ONLY = frozenset({"id", "service_id", "parent_id", "position"})


def _dicts(conn: Connection, statement: Select[Any]) -> Iterator[dict[str, Any]]:
    result = conn.execute(statement)
    keys = list(result.keys())
    for row in result.fetchall():  # one fetch: iterating fetches row by row
        yield dict(zip(keys, row, strict=True))


def _as_read(column: sa.Column[Any]) -> sa.ColumnElement[Any]:
    """A column as the trusted read selects it: a JSON column as its text, which RowBuilder
    decodes for all the rows in one call (SQLAlchemy's JSON type would call json.loads once a
    value, 90,000 times for 10,000 services; psycopg would decode PostgreSQL's json itself)."""
    if isinstance(column.type, sa.JSON):
        return sa.cast(column, sa.Text).label(column.name)
    return column


def _builder(
    cls: type[M], columns: list[sa.Column[Any]], *more: str, skip: frozenset[str] = frozenset()
) -> RowBuilder[M]:
    """Builds `cls` from rows of `columns` (selected by `_as_read`), then the models `more`
    names (built here: rules, routes, sources); columns in `skip` are the database's."""
    return _row_builder(
        cls,
        (*(c.name for c in columns), *more),
        frozenset(c.name for c in columns if isinstance(c.type, sa.JSON)),
        frozenset(more),
        skip,
    )


@cache
def _row_builder(
    cls: type[M],
    names: tuple[str, ...],
    json: frozenset[str],
    ready: frozenset[str],
    skip: frozenset[str],
) -> RowBuilder[M]:
    return RowBuilder(cls, names, json=json, ready=ready, skip=skip)


class _Interned:
    """Equal rows become one shared model, built once: rules, routes and sources repeat across
    services (the district's area rule, a council's phone route), and the models are frozen, so
    sharing them is safe and saves memory."""

    def __init__(self) -> None:
        self._seen: dict[type[BaseModel], dict[Hashable, Any]] = defaultdict(dict)

    def of(self, cls: type[M]) -> dict[Hashable, M]:
        """The models of `cls` seen so far, by their rows' values."""
        return self._seen[cls]


def _rules_by_service(
    conn: Connection, only: str | None, interned: _Interned
) -> dict[str, list[Rule]]:
    """Each service's rules (only `only`'s, if given) in order, any_of holding its own."""
    rule = _table("rule")
    fields = [c for c in rule.columns if c.name not in _ROW_ONLY]
    statement = sa.select(rule.c.service_id, rule.c.id, rule.c.parent_id, *map(_as_read, fields))
    statement = statement.order_by(rule.c.position, rule.c.id)
    if only is not None:
        statement = statement.where(rule.c.service_id == only)
    rows = conn.execute(statement).fetchall()
    under: dict[int, list[Any]] = defaultdict(list)  # any_of's rules, in position order
    for row in rows:
        if row[2] is not None:
            under[row[2]].append(row)
    build_rule = _builder(Rule, fields, "rules")
    # A rule without rules of its own is known by its row's values; an any_of also by its
    # rules, which are shared too: the same rules, the same ids.
    seen = interned.of(Rule)

    def build(row: Any) -> Rule:
        own = row[3:]
        nested = [build(r) for r in under[row[1]]] if row[1] in under else []
        key = (own, *map(id, nested)) if nested else own
        found = seen.get(key)
        if found is None:
            found = seen[key] = build_rule((*own, nested))
        return found

    out: dict[str, list[Rule]] = defaultdict(list)
    for row in rows:
        if row[2] is None:
            out[row[0]].append(build(row))
    return out


def _children_by_service(
    conn: Connection, name: str, cls: type[M], only: str | None, interned: _Interned
) -> dict[str, list[M]]:
    table = _table(name)
    fields = [c for c in table.columns if c.name not in _ROW_ONLY]
    statement = sa.select(table.c.service_id, *map(_as_read, fields))
    statement = statement.order_by(table.c.position, table.c.id)
    if only is not None:
        statement = statement.where(table.c.service_id == only)
    build = _builder(cls, fields)
    seen = interned.of(cls)
    out: dict[str, list[M]] = defaultdict(list)
    for row in conn.execute(statement).fetchall():
        own = row[1:]
        found = seen.get(own)
        if found is None:
            found = seen[own] = build(own)
        out[row[0]].append(found)
    return out


def _ordered(conn: Connection, name: str) -> list[dict[str, Any]]:
    table = _table(name)
    fields = [c for c in table.columns if c.name != "position"]
    return list(_dicts(conn, sa.select(*fields).order_by(table.c.position)))


def _connection(session: Session) -> Connection:
    """The session's connection, with what the session holds unwritten written first (Core
    statements on the connection do not flush the session as its own queries do)."""
    session.flush()
    return session.connection()


# Service fields kept in tables of their own (read in this order by `_services`).
_SERVICE_CHILDREN = ("rules", "routes", "sources")


def _services(conn: Connection, only: str | None = None) -> list[Service]:
    """Every service in order, or only the one with id `only` (none if there is no such)."""
    interned = _Interned()
    rules = _rules_by_service(conn, only, interned)
    routes = _children_by_service(conn, "route", Route, only, interned)
    sources = _children_by_service(conn, "source", Source, only, interned)
    service = _table("service")
    fields = [c for c in service.columns if c.name != "position"]
    statement = sa.select(*map(_as_read, fields)).order_by(service.c.position)
    if only is not None:
        statement = statement.where(service.c.id == only)
    at = [c.name for c in fields].index("id")
    rows = conn.execute(statement).fetchall()
    return _builder(Service, fields, *_SERVICE_CHILDREN).many(
        (*row, rules.pop(row[at], []), routes.pop(row[at], []), sources.pop(row[at], []))
        for row in rows
    )


def _edges(conn: Connection, only: int | None = None) -> tuple[list[int], list[Edge]]:
    """The edges in order (or only the one with id `only`), and each one's id."""
    edge = _table("edge")
    fields = [c for c in edge.columns if c.name != "position"]
    statement = sa.select(*map(_as_read, fields)).order_by(edge.c.position)
    if only is not None:
        statement = statement.where(edge.c.id == only)
    rows = conn.execute(statement).fetchall()
    at = [c.name for c in fields].index("id")
    return [row[at] for row in rows], _builder(Edge, fields, skip=frozenset({"id"})).many(rows)


def load_map(session: Session) -> Map:
    """Build the frozen in-memory map from the tables."""
    return load_map_and_edge_ids(session)[0]


def load_map_and_edge_ids(session: Session) -> tuple[Map, list[int]]:
    """The map, and the id of each of its edges (in `m.edges` order): read once for both."""
    # Paused here too, not only in load_snapshot: every reader of the whole map gains.
    with collector_paused():
        return _load_map_and_edge_ids(session)


def _load_map_and_edge_ids(session: Session) -> tuple[Map, list[int]]:
    conn = _connection(session)
    setting = _table("setting")
    settings: dict[str, Any] = dict(conn.execute(sa.select(setting.c.key, setting.c.value)).all())
    practices: dict[str, list[str]] = defaultdict(list)
    gp = _table("gp_practice")
    for list_id, code in conn.execute(
        sa.select(gp.c.list_id, gp.c.ods_code).order_by(gp.c.ods_code)
    ):
        practices[list_id].append(code)
    gp_lists = []
    for data in _ordered(conn, "gp_list"):
        data["practices"] = practices.get(data["id"], []) if data.pop("loaded") else None
        gp_lists.append(GpList.model_validate(data))
    edge_ids, edges = _edges(conn)
    # Built as trusted too: validating the map would run every service's own checks again.
    m = construct(
        Map,
        {
            "meta": Meta.model_validate(settings.get("meta")),
            "levels": [LevelInfo.model_validate(x) for x in settings.get("levels") or []],
            "rings": [RingInfo.model_validate(x) for x in settings.get("rings") or []],
            "lmm": LmmOffer.model_validate(settings.get("lmm")),
            "policy": Policy.model_validate(settings.get("policy")),
            "organisations": [
                Organisation.model_validate(x) for x in settings.get("organisations") or []
            ],
            # A map stored before these sections existed answers without them until re-seeded.
            "navigation": Navigation.model_validate(settings.get("navigation") or {}),
            "vocabulary": Vocabulary.model_validate(settings.get("vocabulary") or {}),
            "needs": [Need.model_validate(x) for x in _ordered(conn, "need")],
            "areas": [Area.model_validate(x) for x in _ordered(conn, "area")],
            "gp_lists": gp_lists,
            "services": _services(conn),
            "edges": edges,
        },
    )
    return m, edge_ids


def organisations(session: Session) -> list[Organisation]:
    """The organisations list (a setting document; none in a map stored before it existed)."""
    return [Organisation.model_validate(x) for x in _setting(session, "organisations") or []]


def seeded_at(session: Session) -> dt.datetime | None:
    """When the whole map was last replaced (seeded), if recorded."""
    value = _setting(session, "seeded_at")
    return dt.datetime.fromisoformat(value) if value else None


def last_changes(session: Session) -> dict[tuple[str, str], dt.datetime]:
    """The newest audit time of each changed service, edge and GP list: one grouped query."""
    rows = session.exec(
        select(AuditRow.entity, AuditRow.entity_id, func.max(AuditRow.at))
        .where(col(AuditRow.entity).in_(("service", "edge", "gp_list", "organisation")))
        .group_by(col(AuditRow.entity), col(AuditRow.entity_id))
    ).all()
    out: dict[tuple[str, str], dt.datetime] = {}
    for entity, entity_id, at in rows:
        out[(entity, entity_id)] = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return out


# --- writing ----------------------------------------------------------------------------------


def bump_version(session: Session) -> int:
    row = session.get(SettingRow, "map_version")
    version = (int(row.value) if row else 0) + 1
    session.merge(SettingRow(key="map_version", value=version))
    return version


def _values(table: Table, model: BaseModel, exclude: frozenset[str]) -> dict[str, Any]:
    """A model's fields as a row of `table`: JSON-ready, but dates as dates (their columns say
    so), and only the columns the table has."""
    data = model.model_dump(mode="json", exclude=set(exclude))
    for name in _date_columns(table.name):
        if name in data:
            data[name] = getattr(model, name)
    return _only(table.name, data)


def _only(name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The columns of table `name` in `data` (a model dumped: it may have more)."""
    columns = _columns(name)
    return {k: v for k, v in data.items() if k in columns}


@cache
def _columns(name: str) -> frozenset[str]:
    return frozenset(c.name for c in _table(name).columns)


@cache
def _date_columns(name: str) -> frozenset[str]:
    return frozenset(c.name for c in _table(name).columns if isinstance(c.type, Date | DateTime))


class _Rows(NamedTuple):
    """Rows of one table as `_insert` takes them: the columns' names, and each row's values in
    that order, ready for the driver (JSON columns as JSON text, dates as ISO text)."""

    columns: tuple[str, ...]
    values: list[tuple[Any, ...]]


def _json(value: Any) -> str:
    """A JSON column's text. pydantic_core's encoder (Rust) takes a quarter of json.dumps's
    time a value, and a map has nine JSON columns a service. Its text is compact and UTF-8
    where json.dumps wrote ", " and \\u escapes: the same value when read back. Models inside
    are written by their fields' names, as `model_dump` does (to_json would use aliases)."""
    return to_json(value, by_alias=False).decode()


class _FromModels:
    """Rows of `table` taken straight from models of `cls`, with no dump, as the trusted
    read (db/trusted.py) builds models straight from rows: each column holds its field's value
    as the model has it, made what a dump in mode="json" gives (dates ISO text, enums their
    value, JSON columns encoded by `_json`). The dump was a quarter of a 10,000-service write.

    Only fields whose value a dump would give, or that is converted here, are taken: str, int,
    bool, a str enum, a date. Another type, or a serializer of the class's own, is refused when
    the class is first written (TypeError), never written unconverted. The columns the caller
    gives (ids, positions) go after the model's, in `given`'s order."""

    def __init__(self, table: Table, cls: type[BaseModel], given: tuple[str, ...]) -> None:
        decorators = cls.__pydantic_decorators__
        if decorators.field_serializers or decorators.model_serializers:
            raise TypeError(f"{cls.__name__} has serializers of its own: write it dumped")
        fields = cls.model_fields
        # The enums are made plain str: SQLite binds a str subclass half as fast again.
        plain: list[str] = []
        enums: list[str] = []
        maybe_enums: list[str] = []
        dates: list[str] = []
        json_: list[str] = []
        for column in table.columns:
            if column.name in given or column.name not in fields:
                continue
            annotation, optional = unoptional(fields[column.name].annotation)
            if isinstance(column.type, sa.JSON):
                json_.append(column.name)
            elif annotation is dt.date:
                dates.append(column.name)
            elif annotation in (str, int, bool):
                plain.append(column.name)
            elif isinstance(annotation, type) and issubclass(annotation, StrEnum):
                (maybe_enums if optional else enums).append(column.name)
            else:
                raise TypeError(f"{cls.__name__}.{column.name}: no plain column value")
        self.columns = (*plain, *enums, *maybe_enums, *dates, *json_, *given)
        self._plain, self._enums = _attrs(plain), _attrs(enums)
        self._maybe_enums, self._dates, self._json = (
            _attrs(maybe_enums),
            _attrs(dates),
            _attrs(json_),
        )

    def row(self, model: BaseModel, *given: Any) -> tuple[Any, ...]:
        return (
            *self._plain(model),
            *map(str, self._enums(model)),
            *map(_str, self._maybe_enums(model)),
            *map(_iso, self._dates(model)),
            *map(_json, self._json(model)),
            *given,
        )


def _str(value: StrEnum | None) -> str | None:
    return None if value is None else str(value)


def _attrs(names: Sequence[str]) -> Callable[[Any], tuple[Any, ...]]:
    """The attributes `names` of an object, as a tuple (attrgetter gives one name's bare)."""
    if not names:
        return lambda _model: ()
    get = attrgetter(*names)
    return get if len(names) > 1 else lambda model: (get(model),)


@cache
def _from_models(name: str, cls: type[BaseModel], given: tuple[str, ...]) -> _FromModels:
    return _FromModels(_table(name), cls, given)


def _in_order(name: str, models: Sequence[BaseModel]) -> _Rows:
    """Rows of table `name` for `models` (all of one class), each with its position."""
    if not models:
        return _Rows((), [])
    layout = _from_models(name, type(models[0]), ("position",))
    return _Rows(layout.columns, [layout.row(model, i) for i, model in enumerate(models)])


def _children(name: str, cls: type[BaseModel], service_id: str, items: Sequence[Any]) -> _Rows:
    """A service's routes or sources as rows of table `name`, each with its position."""
    layout = _from_models(name, cls, _CHILD_GIVEN)
    return _Rows(layout.columns, [layout.row(x, service_id, i) for i, x in enumerate(items)])


def _insert(conn: Connection, name: str, rows: _Rows) -> None:
    """Many rows of the same columns in one executemany (SQLite) or one COPY (PostgreSQL),
    handed to the database driver as they are; nothing when there are none.

    The rows come ready for the driver (`_Rows`): SQLAlchemy's per-value processing was most
    of a whole-map write (bench/README.md)."""
    if not rows.values:
        return
    quote = conn.dialect.identifier_preparer.quote
    # Names are the table's own columns, quoted; every value goes as data, never in the SQL.
    into = f"{quote(name)} ({', '.join(map(quote, rows.columns))})"
    if conn.dialect.name == "postgresql":
        # COPY, PostgreSQL's bulk load, in the same transaction: an INSERT a row, even
        # pipelined, took 2.5 times as long for a map of 10,000 services.
        driver: Any = conn.connection.dbapi_connection  # psycopg's own connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {into} FROM STDIN") as copy:
            for row in rows.values:
                copy.write_row(row)
        return
    # Tuples by position: a dict a row had the driver look up each value by its name.
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(
        f"INSERT INTO {into} VALUES ({', '.join([marker] * len(rows.columns))})",  # noqa: S608
        rows.values,
    )


def _iso(day: dt.date | str | None) -> str | None:
    return day.isoformat() if isinstance(day, dt.date) else day


def _rule_rows(
    service_id: str,
    rules: list[Rule],
    parent: int | None,
    ids: Iterator[int],
    out: list[tuple[Any, ...]],
) -> None:
    """A service's rules as rows with their ids given here, each before the rules under it."""
    row = _from_models("rule", Rule, _RULE_GIVEN).row
    for i, r in enumerate(rules):
        rule_id = next(ids)
        out.append(row(r, rule_id, service_id, parent, i))
        if r.rules:
            _rule_rows(service_id, r.rules, rule_id, ids, out)


def _service_row(service: Service, position: int) -> dict[str, Any]:
    return {
        **_values(_table("service"), service, frozenset(_SERVICE_CHILDREN)),
        "position": position,
    }


# Services written per round of inserts: bounds the rows held at once for a map of any size.
_CHUNK = 2000


# The columns a write gives a rule, a route and a source, after their models' own.
_RULE_GIVEN = ("id", "service_id", "parent_id", "position")
_CHILD_GIVEN = ("service_id", "position")


def _insert_services(conn: Connection, services: list[Service]) -> int:
    """Every service with its rules, routes and sources; returns the last rule id given."""
    ids = count(1)
    tables = {
        "service": _from_models("service", Service, ("position",)),
        "rule": _from_models("rule", Rule, _RULE_GIVEN),
        "route": _from_models("route", Route, _CHILD_GIVEN),
        "source": _from_models("source", Source, _CHILD_GIVEN),
    }
    service_row, route_row = tables["service"].row, tables["route"].row
    source_row = tables["source"].row
    for start in range(0, len(services), _CHUNK):
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in tables}
        routes, sources = rows["route"], rows["source"]
        for position, s in enumerate(services[start : start + _CHUNK], start):
            _rule_rows(s.id, s.rules, None, ids, rows["rule"])
            routes.extend([route_row(r, s.id, i) for i, r in enumerate(s.routes)])
            sources.extend([source_row(x, s.id, i) for i, x in enumerate(s.sources)])
            rows["service"].append(service_row(s, position))
        for name, values in rows.items():  # services first: the others refer to them
            _insert(conn, name, _Rows(tables[name].columns, values))
    return next(ids) - 1


def _move_rule_ids_past(conn: Connection, last: int) -> None:
    """Rules were given explicit ids: a sequence (PostgreSQL) must hand out ids after them.
    SQLite gives the next rowid after the largest by itself."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('rule', 'id'), :value, :called)"),
            {"value": max(last, 1), "called": last > 0},
        )


def replace_map(session: Session, m: Map) -> int:
    """Replace everything with `m`, in the caller's transaction; returns the new version.

    Bulk inserts, a few statements a table: 10,000 services are written in a few seconds
    (bench/bench_load.py). The caller commits; if anything fails it rolls back and the database
    is as it was.
    """
    with collector_paused():
        return _replace_map(session, m)


def _replace_map(session: Session, m: Map) -> int:
    conn = _connection(session)
    for name in (
        "gp_practice",
        "gp_list",
        "edge",
        "rule",
        "route",
        "source",
        "service",
        "area",
        "need",
    ):
        conn.execute(sa.delete(_table(name)))
    for key, value in (
        ("meta", dump(m.meta)),
        ("levels", [dump(x) for x in m.levels]),
        ("rings", [dump(x) for x in m.rings]),
        ("lmm", dump(m.lmm)),
        ("policy", dump(m.policy)),
        ("organisations", [dump(x) for x in m.organisations]),
        ("seeded_at", dt.datetime.now(dt.UTC).isoformat()),
        ("navigation", dump(m.navigation)),
        ("vocabulary", dump(m.vocabulary)),
    ):
        session.merge(SettingRow(key=key, value=value))
    _insert(conn, "need", _in_order("need", m.needs))
    _insert(conn, "area", _in_order("area", m.areas))
    gp_list = _from_models("gp_list", GpList, ("position", "loaded"))
    rows = [gp_list.row(gp, i, gp.practices is not None) for i, gp in enumerate(m.gp_lists)]
    _insert(conn, "gp_list", _Rows(gp_list.columns, rows))
    _insert(
        conn,
        "gp_practice",
        _Rows(
            ("list_id", "ods_code"),
            [(gp.id, code) for gp in m.gp_lists for code in sorted(set(gp.practices or []))],
        ),
    )
    with _indexes_made_after(conn, ("service", "rule", "route", "source", "edge")):
        _move_rule_ids_past(conn, _insert_services(conn, m.services))
        _insert(conn, "edge", _in_order("edge", m.edges))
    return bump_version(session)


@contextmanager
def _indexes_made_after(conn: Connection, tables: tuple[str, ...]) -> Iterator[None]:
    """On SQLite, the secondary indexes of `tables` dropped while their rows are inserted, and
    made again afterwards from their own SQL, in the same transaction: an index made once over
    all the rows costs a fraction of one kept up a row at a time (a third of the inserts' time
    for 10,000 services). The schema ends as it began (tests/db/test_bulk.py checks); a failure
    rolls the drops back with everything else. The tables must be empty: the deletes before
    need the indexes (a cascade looks up each service's rules by them).

    PostgreSQL is left alone: dropping an index there locks the table against readers until
    the transaction ends."""
    if conn.dialect.name != "sqlite":
        yield
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join("?" * len(tables))
    indexes = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master "  # noqa: S608 - markers only, values as data
        f"WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({names}) ORDER BY name",
        tables,
    ).all()
    for name, _sql in indexes:  # those without SQL are the tables' own keys: never dropped
        conn.exec_driver_sql(f"DROP INDEX {quote(name)}")
    yield
    for _name, sql in indexes:
        conn.exec_driver_sql(sql)


# --- one entity at a time (editing) ------------------------------------------------------------


def get_service(session: Session, service_id: str) -> Service | None:
    found = _services(_connection(session), service_id)
    return found[0] if found else None


def _write_children(conn: Connection, service: Service) -> None:
    """A service's rules, routes and sources; rule ids from the table's own sequence, so an
    edit never needs to know which ids a bulk write gave."""
    rule = _table("rule")

    def add_rules(rules: list[Rule], parent: int | None) -> None:
        for i, r in enumerate(rules):
            row = _values(rule, r, frozenset({"rules"}))
            row.update(service_id=service.id, parent_id=parent, position=i)
            inserted = conn.execute(sa.insert(rule).values(row)).inserted_primary_key
            assert inserted is not None
            rule_id = inserted[0]
            add_rules(r.rules, rule_id)

    add_rules(service.rules, None)
    _insert(conn, "route", _children("route", Route, service.id, service.routes))
    _insert(conn, "source", _children("source", Source, service.id, service.sources))


def put_service(session: Session, service: Service) -> None:
    """Insert a new service at the end, or replace an existing one in place (edges kept)."""
    conn = _connection(session)
    table = _table("service")
    position = conn.execute(sa.select(table.c.position).where(table.c.id == service.id)).scalar()
    if position is None:
        last = conn.execute(sa.select(sa.func.max(table.c.position))).scalar()
        row = _service_row(service, (last if last is not None else -1) + 1)
        conn.execute(sa.insert(table).values(row))
    else:
        for name in ("rule", "route", "source"):
            child = _table(name)
            conn.execute(sa.delete(child).where(child.c.service_id == service.id))
        row = _service_row(service, position)
        conn.execute(sa.update(table).where(table.c.id == service.id).values(row))
    _write_children(conn, service)


def references(session: Session) -> dict[str, set[str]]:
    """The ids an edit may refer to: needs, areas, GP lists and services."""
    return {
        "needs": set(session.exec(select(NeedRow.code)).all()),
        "areas": set(session.exec(select(AreaRow.id)).all()),
        "gp_lists": set(session.exec(select(GpListRow.id)).all()),
        "services": set(session.exec(select(ServiceRow.id)).all()),
        "organisations": {o.id for o in organisations(session)},
    }


def list_edges(session: Session) -> list[tuple[int, Edge]]:
    ids, edges = _edges(_connection(session))
    return list(zip(ids, edges, strict=True))


def get_edge(session: Session, edge_id: int) -> Edge | None:
    found = _edges(_connection(session), edge_id)[1]
    return found[0] if found else None


def put_edge(session: Session, edge: Edge, edge_id: int | None = None) -> int:
    """Insert an edge (returns its new id) or overwrite the edge with `edge_id`."""
    data = edge.model_dump(mode="python")
    if edge_id is None:
        last = session.exec(select(func.max(EdgeRow.position))).one()
        row = EdgeRow(position=(last if last is not None else -1) + 1, **data)
        session.add(row)
        session.flush()
        return int(row.id or 0)
    existing = session.get(EdgeRow, edge_id)
    assert existing is not None
    for key, value in data.items():
        setattr(existing, key, value)
    session.add(existing)
    return edge_id


def get_gp_list(session: Session, list_id: str) -> GpList | None:
    row = session.get(GpListRow, list_id)
    if row is None:
        return None
    codes = session.exec(
        select(GpPracticeRow.ods_code)
        .where(GpPracticeRow.list_id == list_id)
        .order_by(col(GpPracticeRow.ods_code))
    ).all()
    data = row.model_dump(exclude={"position", "loaded"})
    return GpList.model_validate({**data, "practices": list(codes) if row.loaded else None})


def put_organisation(session: Session, organisation: Organisation) -> None:
    """Add an organisation to the list, or replace the one with its id."""
    current = organisations(session)
    ids = [o.id for o in current]
    if organisation.id in ids:
        current[ids.index(organisation.id)] = organisation
    else:
        current.append(organisation)
    value = [dump(o) for o in current]
    session.merge(SettingRow(key="organisations", value=value))


def put_gp_list(session: Session, gp: GpList) -> None:
    row = session.get(GpListRow, gp.id)
    if row is None:
        last = session.exec(select(func.max(GpListRow.position))).one()
        row = GpListRow(
            position=(last if last is not None else -1) + 1, **gp.model_dump(exclude={"practices"})
        )
    else:
        for key, value in gp.model_dump(exclude={"id", "practices"}).items():
            setattr(row, key, value)
    row.loaded = gp.practices is not None
    session.add(row)
    session.exec(delete(GpPracticeRow).where(col(GpPracticeRow.list_id) == gp.id))
    session.flush()
    for code in sorted(set(gp.practices or [])):
        session.add(GpPracticeRow(list_id=gp.id, ods_code=code))

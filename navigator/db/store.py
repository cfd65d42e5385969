"""SQLModel tables and the only code that talks to the database.

The store holds the map in normalised tables and hands the rest of the program a frozen `Map`.
Every change to the map bumps `map_version` in the same transaction, so each process can tell
cheaply when its in-memory map is stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, event, func
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, SQLModel, col, create_engine, delete, select

from navigator.core.models import (
    Area,
    Edge,
    GpList,
    LevelInfo,
    LmmOffer,
    Map,
    Meta,
    Need,
    Policy,
    RingInfo,
    Route,
    Rule,
    Service,
    Source,
    dump,
)
from navigator.db import keys

# --- tables -----------------------------------------------------------------------------------


class ServiceRow(SQLModel, table=True):
    __tablename__ = "service"

    id: str = Field(primary_key=True)
    position: int = Field(index=True)
    name: str
    provider: str
    ring: str = Field(index=True)
    remit: str
    min_age_months: int | None = None
    max_age_months: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    address: str | None = None
    confidential_address: bool = False
    last_verified: dt.date
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    former_names: list[str] = Field(default_factory=list, sa_type=JSON)
    needs: list[str] = Field(default_factory=list, sa_type=JSON)
    levels: list[str] = Field(default_factory=list, sa_type=JSON)
    programmes: list[str] = Field(default_factory=list, sa_type=JSON)
    inferred: list[str] = Field(default_factory=list, sa_type=JSON)


class RuleRow(SQLModel, table=True):
    __tablename__ = "rule"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="rule.id", ondelete="CASCADE")
    position: int
    kind: str
    min_months: int | None = None
    max_months: int | None = None
    area: str | None = None
    gp_list: str | None = None
    text: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    status: str
    note: str | None = None


class RouteRow(SQLModel, table=True):
    __tablename__ = "route"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    position: int
    kind: str
    how: str
    contact: str | None = None
    status: str


class SourceRow(SQLModel, table=True):
    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    position: int
    title: str
    url: str | None = None
    status: str
    note: str | None = None


class EdgeRow(SQLModel, table=True):
    __tablename__ = "edge"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(index=True)
    source: str = Field(foreign_key="service.id", index=True)
    target: str = Field(foreign_key="service.id", index=True)
    kind: str
    note: str | None = None
    status: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class NeedRow(SQLModel, table=True):
    __tablename__ = "need"

    code: str = Field(primary_key=True)
    position: int
    label: str
    description: str
    group: str


class AreaRow(SQLModel, table=True):
    __tablename__ = "area"

    id: str = Field(primary_key=True)
    position: int
    name: str
    description: str
    status: str
    note: str | None = None
    any_of: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class GpListRow(SQLModel, table=True):
    __tablename__ = "gp_list"

    id: str = Field(primary_key=True)
    position: int
    name: str
    description: str
    check_text: str
    loaded: bool = False


class GpPracticeRow(SQLModel, table=True):
    __tablename__ = "gp_practice"

    list_id: str = Field(foreign_key="gp_list.id", primary_key=True, ondelete="CASCADE")
    ods_code: str = Field(primary_key=True)


class SettingRow(SQLModel, table=True):
    """Small documents kept whole: the map's meta, levels, rings, LMM's offer, and its version."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: Any = Field(sa_type=JSON)


class ApiKeyRow(SQLModel, table=True):
    """An API key: only a slow salted hash of its secret is kept, never the key itself."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    prefix: str = Field(unique=True)
    hash: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class AuditRow(SQLModel, table=True):
    """Who changed what, when, before and after. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str = Field(index=True)
    action: str
    entity: str = Field(index=True)
    entity_id: str = Field(index=True)
    before: Any = Field(default=None, sa_type=JSON)
    after: Any = Field(default=None, sa_type=JSON)


# --- engine -----------------------------------------------------------------------------------


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets foreign keys, WAL and a write lock."""
    if not url.startswith("sqlite"):
        return create_engine(url, echo=echo, pool_pre_ping=True)
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if memory:
        # One shared connection (tests): there is nobody to take a write lock against.
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False}, poolclass=StaticPool
        )
    else:
        Path(url.split("///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30}
        )

    @event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            # pysqlite's own transaction handling cannot take the write lock up front, so we
            # begin transactions ourselves (SQLAlchemy's documented recipe for pysqlite).
            dbapi_conn.isolation_level = None
        cur.close()

    if not memory:

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            write = conn.get_execution_options().get(WRITE_OPTION)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


WRITE_OPTION = "navigator_write"

_APPEND_ONLY = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
        "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the audit log is append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_append_only ON audit",
        "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    ],
}


def create_tables(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
    append_only_audit(engine)


def append_only_audit(engine: Engine) -> None:
    """Database triggers that refuse any UPDATE or DELETE of audit rows."""
    with engine.begin() as conn:
        for statement in _APPEND_ONLY.get(engine.dialect.name, []):
            conn.exec_driver_sql(statement)


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """A transaction holding the map's write lock, committed on success.

    Edits serialise on it, so an ETag check and the write it guards can never interleave with
    another edit: on SQLite through BEGIN IMMEDIATE, elsewhere by locking the map version row.
    """
    with Session(engine.execution_options(**{WRITE_OPTION: True})) as session:
        if engine.dialect.name != "sqlite":
            lock = select(SettingRow).where(SettingRow.key == "map_version").with_for_update()
            if session.exec(lock).first() is None:
                session.add(SettingRow(key="map_version", value=0))
                session.flush()
                session.exec(lock).first()
        yield session
        session.commit()


# --- reading ----------------------------------------------------------------------------------


def _setting(session: Session, key: str) -> Any:
    row = session.get(SettingRow, key)
    return None if row is None else row.value


def map_version(session: Session) -> int:
    """The map's version: bumped in the same transaction as every change. 0 when empty."""
    value = _setting(session, "map_version")
    return int(value) if value is not None else 0


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(ServiceRow)).one() == 0


def _rules(rows: list[RuleRow]) -> list[Rule]:
    children: dict[int | None, list[RuleRow]] = defaultdict(list)
    for row in rows:
        children[row.parent_id].append(row)

    def build(parent: int | None) -> list[Rule]:
        out = []
        for row in sorted(children[parent], key=lambda r: r.position):
            data = row.model_dump(exclude={"id", "service_id", "parent_id", "position"})
            out.append(Rule.model_validate({**data, "rules": build(row.id)}))
        return out

    return build(None)


def _service(row: ServiceRow, children: dict[str, list[Any]]) -> Service:
    data = row.model_dump(exclude={"position"})
    data["rules"] = _rules(children.get("rules", []))
    data["routes"] = [
        Route.model_validate(r.model_dump(include={"kind", "how", "contact", "status"}))
        for r in sorted(children.get("routes", []), key=lambda r: r.position)
    ]
    data["sources"] = [
        Source.model_validate(s.model_dump(include={"title", "url", "status", "note"}))
        for s in sorted(children.get("sources", []), key=lambda s: s.position)
    ]
    return Service.model_validate(data)


def load_map(session: Session) -> Map:
    """Build the frozen in-memory map from the tables."""
    by_service: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for table, key in _CHILDREN:
        for row in session.exec(select(table)).all():
            by_service[row.service_id][key].append(row)

    services = [
        _service(row, by_service[row.id])
        for row in session.exec(select(ServiceRow).order_by(col(ServiceRow.position))).all()
    ]

    practices: dict[str, list[str]] = defaultdict(list)
    for p in session.exec(select(GpPracticeRow).order_by(col(GpPracticeRow.ods_code))).all():
        practices[p.list_id].append(p.ods_code)

    def ordered(table: Any) -> list[Any]:
        return list(session.exec(select(table).order_by(table.position)).all())

    return Map(
        meta=Meta.model_validate(_setting(session, "meta")),
        levels=[LevelInfo.model_validate(x) for x in _setting(session, "levels")],
        rings=[RingInfo.model_validate(x) for x in _setting(session, "rings")],
        lmm=LmmOffer.model_validate(_setting(session, "lmm")),
        policy=Policy.model_validate(_setting(session, "policy")),
        needs=[Need.model_validate(r.model_dump(exclude={"position"})) for r in ordered(NeedRow)],
        areas=[Area.model_validate(r.model_dump(exclude={"position"})) for r in ordered(AreaRow)],
        gp_lists=[
            GpList.model_validate(
                {
                    **r.model_dump(exclude={"position", "loaded"}),
                    "practices": practices[r.id] if r.loaded else None,
                }
            )
            for r in ordered(GpListRow)
        ],
        services=services,
        edges=[
            Edge.model_validate(r.model_dump(exclude={"id", "position"})) for r in ordered(EdgeRow)
        ],
    )


# --- writing ----------------------------------------------------------------------------------


def bump_version(session: Session) -> int:
    row = session.get(SettingRow, "map_version")
    version = (int(row.value) if row else 0) + 1
    session.merge(SettingRow(key="map_version", value=version))
    return version


def _add_rules(session: Session, service_id: str, rules: list[Rule], parent: int | None) -> None:
    for i, rule in enumerate(rules):
        row = RuleRow(
            service_id=service_id,
            parent_id=parent,
            position=i,
            **rule.model_dump(mode="python", exclude={"rules"}),
        )
        session.add(row)
        if rule.rules:
            session.flush()
            _add_rules(session, service_id, rule.rules, row.id)


def _service_columns(service: Service) -> dict[str, Any]:
    data = service.model_dump(mode="json", exclude={"rules", "routes", "sources"})
    for field in ("valid_from", "valid_to", "last_verified"):
        data[field] = getattr(service, field)
    return data


def _add_children(session: Session, service: Service) -> None:
    _add_rules(session, service.id, service.rules, None)
    for i, route in enumerate(service.routes):
        session.add(RouteRow(service_id=service.id, position=i, **route.model_dump(mode="json")))
    for i, source in enumerate(service.sources):
        session.add(SourceRow(service_id=service.id, position=i, **source.model_dump(mode="json")))


def add_service(session: Session, service: Service, position: int) -> None:
    session.add(ServiceRow(position=position, **_service_columns(service)))
    session.flush()
    _add_children(session, service)


def replace_map(session: Session, m: Map) -> int:
    """Replace everything with `m`, in the caller's transaction; returns the new version.

    The caller commits; if anything fails it rolls back and the database is as it was.
    """
    for table in (
        GpPracticeRow,
        GpListRow,
        EdgeRow,
        RuleRow,
        RouteRow,
        SourceRow,
        ServiceRow,
        AreaRow,
        NeedRow,
    ):
        session.exec(delete(table))
    for key, value in (
        ("meta", dump(m.meta)),
        ("levels", [dump(x) for x in m.levels]),
        ("rings", [dump(x) for x in m.rings]),
        ("lmm", dump(m.lmm)),
        ("policy", dump(m.policy)),
    ):
        session.merge(SettingRow(key=key, value=value))
    for i, need in enumerate(m.needs):
        session.add(NeedRow(position=i, **need.model_dump()))
    for i, area in enumerate(m.areas):
        session.add(AreaRow(position=i, **area.model_dump(mode="json")))
    for i, gp in enumerate(m.gp_lists):
        data = gp.model_dump(exclude={"practices"})
        session.add(GpListRow(position=i, loaded=gp.practices is not None, **data))
    session.flush()
    for gp in m.gp_lists:
        for code in sorted(set(gp.practices or [])):
            session.add(GpPracticeRow(list_id=gp.id, ods_code=code))
    for i, service in enumerate(m.services):
        add_service(session, service, i)
    session.flush()
    for i, edge in enumerate(m.edges):
        session.add(EdgeRow(position=i, **edge.model_dump(mode="python")))
    return bump_version(session)


# --- one entity at a time (editing) ------------------------------------------------------------

# A service's child tables, and the Service field each fills.
_CHILDREN: tuple[tuple[Any, str], ...] = (
    (RuleRow, "rules"),
    (RouteRow, "routes"),
    (SourceRow, "sources"),
)


def get_service(session: Session, service_id: str) -> Service | None:
    row = session.get(ServiceRow, service_id)
    if row is None:
        return None
    children = {
        key: list(session.exec(select(table).where(col(table.service_id) == service_id)).all())
        for table, key in _CHILDREN
    }
    return _service(row, children)


def put_service(session: Session, service: Service) -> None:
    """Insert a new service at the end, or replace an existing one in place (edges kept)."""
    row = session.get(ServiceRow, service.id)
    if row is None:
        last = session.exec(select(func.max(ServiceRow.position))).one()
        add_service(session, service, (last if last is not None else -1) + 1)
        return
    for table, _key in _CHILDREN:
        session.exec(delete(table).where(col(table.service_id) == service.id))
    for key, value in _service_columns(service).items():
        setattr(row, key, value)
    session.add(row)
    session.flush()
    _add_children(session, service)


def references(session: Session) -> dict[str, set[str]]:
    """The ids an edit may refer to: needs, areas, GP lists and services."""
    return {
        "needs": set(session.exec(select(NeedRow.code)).all()),
        "areas": set(session.exec(select(AreaRow.id)).all()),
        "gp_lists": set(session.exec(select(GpListRow.id)).all()),
        "services": set(session.exec(select(ServiceRow.id)).all()),
    }


def list_edges(session: Session) -> list[tuple[int, Edge]]:
    rows = session.exec(select(EdgeRow).order_by(col(EdgeRow.position))).all()
    return [
        (int(r.id or 0), Edge.model_validate(r.model_dump(exclude={"id", "position"})))
        for r in rows
    ]


def get_edge(session: Session, edge_id: int) -> Edge | None:
    row = session.get(EdgeRow, edge_id)
    return None if row is None else Edge.model_validate(row.model_dump(exclude={"id", "position"}))


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


# --- audit and keys ---------------------------------------------------------------------------


def audit(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: Any,
    after: Any,
) -> None:
    session.add(
        AuditRow(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before,
            after=after,
        )
    )


def audit_entries(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[list[AuditRow], int]:
    """Newest first, filtered; with the total before paging."""
    query = select(AuditRow)
    for column, value in (
        (AuditRow.entity, entity),
        (AuditRow.entity_id, entity_id),
        (AuditRow.actor, actor),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if since is not None:
        query = query.where(col(AuditRow.at) >= since)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(AuditRow.id).desc()).offset(offset).limit(limit)).all()
    return list(rows), int(total)


def create_key(session: Session, *, name: str, role: str) -> str:
    """Store a new key's hash and return the key itself, which is never stored."""
    key, prefix, hashed = keys.new_key()
    session.add(
        ApiKeyRow(
            name=name, role=role, prefix=prefix, hash=hashed, created_at=dt.datetime.now(dt.UTC)
        )
    )
    return key


def find_key(session: Session, key: str) -> ApiKeyRow | None:
    """The live key row matching a presented key, or None (unknown, wrong or revoked)."""
    parts = keys.split(key)
    if parts is None:
        return None
    prefix, secret = parts
    row = session.exec(select(ApiKeyRow).where(col(ApiKeyRow.prefix) == prefix)).first()
    if row is None or row.revoked_at is not None or not keys.verify(secret, row.hash):
        return None
    return row


def list_keys(session: Session) -> list[ApiKeyRow]:
    return list(session.exec(select(ApiKeyRow).order_by(col(ApiKeyRow.id))).all())


def revoke_key(session: Session, ident: str) -> ApiKeyRow | None:
    """Revoke a key by id or name; returns it, or None when there is no such live key."""
    query = select(ApiKeyRow).where(
        (col(ApiKeyRow.name) == ident)
        | (col(ApiKeyRow.id) == (int(ident) if ident.isdigit() else -1))
    )
    row = session.exec(query).first()
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = dt.datetime.now(dt.UTC)
    session.add(row)
    return row

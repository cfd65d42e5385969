"""SQLModel tables and the only code that talks to the database.

The store holds the map in normalised tables and hands the rest of the program a frozen `Map`.
Every change to the map bumps `map_version` in the same transaction, so each process can tell
cheaply when its in-memory map is stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, event, func
from sqlalchemy.pool import StaticPool
from sqlmodel import Field, Session, SQLModel, col, create_engine, delete, select

from navigator.models import (
    Area,
    Edge,
    GpList,
    LevelInfo,
    LmmOffer,
    Map,
    Meta,
    Need,
    RingInfo,
    Route,
    Rule,
    Service,
    Source,
    dump,
)

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


# --- engine -----------------------------------------------------------------------------------


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets foreign keys on and a parent folder."""
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            engine = create_engine(
                url,
                echo=echo,
                connect_args={"check_same_thread": False},
                poolclass=StaticPool,
            )
        else:
            path = url.split("///", 1)[-1]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def create_tables(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)


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


def load_map(session: Session) -> Map:
    """Build the frozen in-memory map from the tables."""
    by_service: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    tables: tuple[tuple[Any, str], ...] = (
        (RuleRow, "rules"),
        (RouteRow, "routes"),
        (SourceRow, "sources"),
    )
    for table, key in tables:
        for row in session.exec(select(table)).all():
            by_service[row.service_id][key].append(row)

    services = []
    for row in session.exec(select(ServiceRow).order_by(col(ServiceRow.position))).all():
        extra = by_service[row.id]
        data = row.model_dump(exclude={"position"})
        data["rules"] = _rules(extra["rules"])
        data["routes"] = [
            Route.model_validate(r.model_dump(include={"kind", "how", "contact", "status"}))
            for r in sorted(extra["routes"], key=lambda r: r.position)
        ]
        data["sources"] = [
            Source.model_validate(s.model_dump(include={"title", "url", "status", "note"}))
            for s in sorted(extra["sources"], key=lambda s: s.position)
        ]
        services.append(Service.model_validate(data))

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


def add_service(session: Session, service: Service, position: int) -> None:
    data = service.model_dump(mode="json", exclude={"rules", "routes", "sources"})
    for field in ("valid_from", "valid_to", "last_verified"):
        data[field] = getattr(service, field)
    session.add(ServiceRow(position=position, **data))
    session.flush()
    _add_rules(session, service.id, service.rules, None)
    for i, route in enumerate(service.routes):
        session.add(RouteRow(service_id=service.id, position=i, **route.model_dump(mode="json")))
    for i, source in enumerate(service.sources):
        session.add(SourceRow(service_id=service.id, position=i, **source.model_dump(mode="json")))


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

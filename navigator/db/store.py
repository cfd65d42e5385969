"""The map in the database: read whole into a frozen `Map`, replaced whole, or edited one entity
at a time. Every change to the map bumps `map_version` in the same transaction, so each process
can tell cheaply when its in-memory map is stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

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
from navigator.db.tables import (
    AreaRow,
    AuditRow,
    EdgeRow,
    GpListRow,
    GpPracticeRow,
    NeedRow,
    RouteRow,
    RuleRow,
    ServiceRow,
    SettingRow,
    SourceRow,
)

# --- reading ----------------------------------------------------------------------------------


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
        organisations=organisations(session),
        # A map stored before these sections existed answers without them until re-seeded.
        navigation=Navigation.model_validate(_setting(session, "navigation") or {}),
        vocabulary=Vocabulary.model_validate(_setting(session, "vocabulary") or {}),
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
        ("organisations", [dump(x) for x in m.organisations]),
        ("seeded_at", dt.datetime.now(dt.UTC).isoformat()),
        ("navigation", dump(m.navigation)),
        ("vocabulary", dump(m.vocabulary)),
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
        "organisations": {o.id for o in organisations(session)},
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

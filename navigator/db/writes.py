"""Keeping the map true: validated, ETag-guarded, audited edits, each all or nothing.

Every edit runs in one write transaction (store.writing) that checks the ETag, writes, records
the audit entry and bumps the map version together, so no edit is lost and none half-written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from navigator.core.errors import (
    AlreadyExists,
    InvalidEdit,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from navigator.core.models import Edge, GpList, Service, dump, public
from navigator.core.snapshot import etag_of, service_etag
from navigator.core.validation import check_edge, check_service
from navigator.db import store


def edge_etag(edge_id: int, edge: Edge) -> str:
    return etag_of({"id": edge_id, **dump(edge)})


def gp_list_etag(gp: GpList) -> str:
    return etag_of(dump(gp))


def _match(if_match: str | None, current: str) -> None:
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag you last read", loc=("If-Match",))
    if current not in [t.strip() for t in if_match.split(",")] and if_match.strip() != "*":
        raise PreconditionFailed(
            "Someone changed this since you read it: fetch it again and redo your change",
            loc=("If-Match",),
        )


def _validated(model: type[Service] | type[Edge], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidEdit(err["msg"], loc=tuple(err["loc"])) from None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


# --- services ---------------------------------------------------------------------------------


def _current_service(session: Session, service_id: str) -> Service:
    found = store.get_service(session, service_id)
    if found is None:
        raise NotFound(f"No service with id {service_id!r}")
    return found


def _write_service(
    session: Session, *, before: Service | None, after: Service, actor: str, action: str
) -> Service:
    check_service(after, store.references(session))
    store.put_service(session, after)
    store.audit(
        session,
        actor=actor,
        action=action,
        entity="service",
        entity_id=after.id,
        before=dump(public(before)) if before else None,
        after=dump(public(after)),
    )
    store.bump_version(session)
    return after


def create_service(engine: Engine, *, service: Service, actor: str) -> Service:
    with store.writing(engine) as session:
        if store.get_service(session, service.id) is not None:
            raise AlreadyExists(f"A service with id {service.id!r} exists", loc=("id",))
        return _write_service(session, before=None, after=service, actor=actor, action="create")


def replace_service(
    engine: Engine, *, service_id: str, service: Service, if_match: str | None, actor: str
) -> Service:
    if service.id != service_id:
        raise InvalidEdit(f"id must be {service_id!r}, the id in the path", loc=("id",))
    with store.writing(engine) as session:
        before = _current_service(session, service_id)
        _match(if_match, service_etag(before))
        if before.confidential_address and service.confidential_address and not service.address:
            # Clients never see a confidential address, so their PUT cannot carry it: keep it.
            service = service.model_copy(update={"address": before.address})
        return _write_service(session, before=before, after=service, actor=actor, action="replace")


def patch_service(
    engine: Engine, *, service_id: str, patch: dict[str, Any], if_match: str | None, actor: str
) -> Service:
    with store.writing(engine) as session:
        before = _current_service(session, service_id)
        _match(if_match, service_etag(before))
        # The confidential address is never served, so a client cannot patch from it: keep it.
        data = merge_patch(before.model_dump(mode="json", exclude_defaults=True), patch)
        after = _validated(Service, data)
        if after.id != service_id:
            raise InvalidEdit("id cannot be changed", loc=("id",))
        return _write_service(session, before=before, after=after, actor=actor, action="patch")


def retire_service(
    engine: Engine, *, service_id: str, on: dt.date, if_match: str | None, actor: str
) -> Service:
    """Stop offering a service from `on`; it stays in the map for "as of" questions before."""
    with store.writing(engine) as session:
        before = _current_service(session, service_id)
        if if_match is not None:
            _match(if_match, service_etag(before))
        last_day = on - dt.timedelta(days=1)
        if before.valid_from and last_day < before.valid_from:
            raise InvalidEdit(
                f"the service starts on {before.valid_from}: it cannot be retired before then",
                loc=("on",),
            )
        after = before.model_copy(update={"valid_to": last_day})
        return _write_service(session, before=before, after=after, actor=actor, action="retire")


# --- edges ------------------------------------------------------------------------------------


def _current_edge(session: Session, edge_id: int) -> Edge:
    found = store.get_edge(session, edge_id)
    if found is None:
        raise NotFound(f"No edge with id {edge_id}")
    return found


def _write_edge(
    session: Session,
    *,
    edge_id: int | None,
    before: Edge | None,
    after: Edge,
    actor: str,
    action: str,
) -> tuple[int, Edge]:
    check_edge(after, store.references(session))
    new_id = store.put_edge(session, after, edge_id)
    store.audit(
        session,
        actor=actor,
        action=action,
        entity="edge",
        entity_id=str(new_id),
        before=dump(before) if before else None,
        after=dump(after),
    )
    store.bump_version(session)
    return new_id, after


def create_edge(engine: Engine, *, edge: Edge, actor: str) -> tuple[int, Edge]:
    with store.writing(engine) as session:
        return _write_edge(
            session, edge_id=None, before=None, after=edge, actor=actor, action="create"
        )


def replace_edge(
    engine: Engine, *, edge_id: int, edge: Edge, if_match: str | None, actor: str
) -> tuple[int, Edge]:
    with store.writing(engine) as session:
        before = _current_edge(session, edge_id)
        _match(if_match, edge_etag(edge_id, before))
        return _write_edge(
            session, edge_id=edge_id, before=before, after=edge, actor=actor, action="replace"
        )


def patch_edge(
    engine: Engine, *, edge_id: int, patch: dict[str, Any], if_match: str | None, actor: str
) -> tuple[int, Edge]:
    with store.writing(engine) as session:
        before = _current_edge(session, edge_id)
        _match(if_match, edge_etag(edge_id, before))
        after = _validated(Edge, merge_patch(before.model_dump(mode="json"), patch))
        return _write_edge(
            session, edge_id=edge_id, before=before, after=after, actor=actor, action="patch"
        )


def retire_edge(
    engine: Engine, *, edge_id: int, on: dt.date, if_match: str | None, actor: str
) -> tuple[int, Edge]:
    with store.writing(engine) as session:
        before = _current_edge(session, edge_id)
        if if_match is not None:
            _match(if_match, edge_etag(edge_id, before))
        last_day = on - dt.timedelta(days=1)
        if before.valid_from and last_day < before.valid_from:
            raise InvalidEdit(f"the edge starts on {before.valid_from}", loc=("on",))
        after = before.model_copy(update={"valid_to": last_day})
        return _write_edge(
            session, edge_id=edge_id, before=before, after=after, actor=actor, action="retire"
        )


# --- GP lists ---------------------------------------------------------------------------------


def save_gp_list(
    engine: Engine, *, gp: GpList, if_match: str | None, actor: str, create: bool = False
) -> GpList:
    """Create a GP list, or replace one (its practices) given its current ETag."""
    with store.writing(engine) as session:
        before = store.get_gp_list(session, gp.id)
        if create and before is not None:
            raise AlreadyExists(f"A GP list with id {gp.id!r} exists", loc=("id",))
        if not create:
            if before is None:
                raise NotFound(f"No GP list with id {gp.id!r}")
            _match(if_match, gp_list_etag(before))
        store.put_gp_list(session, gp)
        store.audit(
            session,
            actor=actor,
            action="create" if create else "replace",
            entity="gp_list",
            entity_id=gp.id,
            before=dump(before) if before else None,
            after=dump(gp),
        )
        store.bump_version(session)
        return gp

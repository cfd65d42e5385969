"""API keys (kept only as slow salted hashes) and the append-only audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, func, select

from navigator.db import keys
from navigator.db.tables import ApiKeyRow, AuditRow


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

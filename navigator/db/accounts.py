"""API keys (kept only as slow salted hashes), browser sessions (kept only as hashes of their
tokens) and the append-only audit log."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from sqlmodel import Session, col, delete, func, select

from navigator.db import keys
from navigator.db.tables import ApiKeyRow, AuditRow, WebSessionRow


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


def key_by_prefix(session: Session, prefix: str) -> ApiKeyRow | None:
    """The key row with this prefix, live or revoked; None when there is none."""
    return session.exec(select(ApiKeyRow).where(col(ApiKeyRow.prefix) == prefix)).first()


def find_key(session: Session, key: str) -> ApiKeyRow | None:
    """The live key row matching a presented key, or None (unknown, wrong or revoked).

    Always one scrypt for a well-formed key, whether or not its prefix exists.
    """
    parts = keys.split(key)
    if parts is None:
        return None
    prefix, secret = parts
    row = key_by_prefix(session, prefix)
    live = row is not None and row.revoked_at is None
    ok = keys.verify(secret, row.hash if row is not None and live else keys.DECOY_HASH)
    return row if ok and live else None


def list_keys(session: Session) -> list[ApiKeyRow]:
    return list(session.exec(select(ApiKeyRow).order_by(col(ApiKeyRow.id))).all())


# --- browser sessions ----------------------------------------------------------------------


def utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive UTC datetimes; PostgreSQL aware ones. Compare them alike."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def session_id(token: str) -> str:
    """What is stored for a session's token: its SHA-256 (the token is 256 random bits)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    session: Session, *, key_id: int, now: dt.datetime, lifetime: dt.timedelta
) -> str:
    """A new session for a key; returns its token (for the cookie), which is never stored.

    Sessions past their absolute expiry are cleared out on the way.
    """
    session.exec(delete(WebSessionRow).where(col(WebSessionRow.expires_at) < now))
    token = secrets.token_urlsafe(32)
    session.add(
        WebSessionRow(
            id=session_id(token),
            key_id=key_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


def find_session(
    session: Session, token: str, *, now: dt.datetime, idle: dt.timedelta
) -> tuple[WebSessionRow, ApiKeyRow] | None:
    """The live session for a token and its key; None when unknown, expired, idle too long, or
    its key revoked."""
    if not token or len(token) > 128:
        return None
    row = session.get(WebSessionRow, session_id(token))
    if row is None:
        return None
    key = session.get(ApiKeyRow, row.key_id)
    if key is None or key.revoked_at is not None:
        return None
    if now >= utc(row.expires_at) or now - utc(row.last_seen_at) > idle:
        return None
    return row, key


def touch_session(session: Session, token: str, now: dt.datetime) -> None:
    """Record that the session was used (its idle timeout starts again)."""
    row = session.get(WebSessionRow, session_id(token))
    if row is not None:
        row.last_seen_at = now
        session.add(row)


def end_session(session: Session, token: str) -> None:
    session.exec(delete(WebSessionRow).where(col(WebSessionRow.id) == session_id(token)))


def end_sessions_of_key(session: Session, key_id: int) -> None:
    session.exec(delete(WebSessionRow).where(col(WebSessionRow.key_id) == key_id))


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

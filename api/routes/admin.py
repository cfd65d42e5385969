"""Key management (admin) and the audit trail (editors and admins)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field

from api.auth import AdminDep, EditorDep
from api.deps import SessionDep, WriterDep
from navigator.core.models import Moment
from navigator.db import accounts, tables
from navigator.db.keys import Role

router = APIRouter(prefix="/api/v1", tags=["admin"])
AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key's role may not do this"},
}


class KeyPublic(BaseModel):
    id: int
    name: str
    role: Role
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class KeyCreate(BaseModel):
    model_config = {"extra": "forbid"}

    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w .@-]+$")
    role: Role


class KeyCreated(KeyPublic):
    key: str = Field(description="Shown once: only its hash is kept")


class AuditEntry(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any


class AuditPage(BaseModel):
    items: list[AuditEntry]
    total: int
    page: int
    per_page: int


def _key_public(row: tables.ApiKeyRow) -> KeyPublic:
    return KeyPublic(**row.model_dump(include=set(KeyPublic.model_fields)))


@router.get("/keys", response_model=list[KeyPublic], responses=AUTH)
def list_keys(_: AdminDep, session: SessionDep) -> list[KeyPublic]:
    return [_key_public(r) for r in accounts.list_keys(session)]


@router.post(
    "/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=KeyCreated,
    responses={**AUTH, 409: {"description": "A key with that name exists"}},
)
def create_key(body: KeyCreate, actor: AdminDep, writer: WriterDep) -> KeyCreated:
    row, key = writer.create_key(name=body.name, role=body.role, actor=actor.name)
    return KeyCreated(**_key_public(row).model_dump(), key=key)


@router.delete(
    "/keys/{key_id}",
    response_model=KeyPublic,
    responses={**AUTH, 404: {"description": "No such live key"}},
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], actor: AdminDep, writer: WriterDep
) -> KeyPublic:
    return _key_public(writer.revoke_key(ident=str(key_id), actor=actor.name))


@router.get("/audit", response_model=AuditPage, responses=AUTH, summary="Who changed what, when")
def audit(
    _: EditorDep,
    session: SessionDep,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=80)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    since: Moment | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AuditPage:
    rows, total = accounts.audit_entries(
        session,
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        since=since,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return AuditPage(
        items=[AuditEntry(**r.model_dump()) for r in rows],
        total=total,
        page=page,
        per_page=per_page,
    )

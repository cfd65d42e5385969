"""API keys as Bearer tokens, and the roles they carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from api.deps import SessionDep
from navigator.db import accounts
from navigator.db.keys import Role

bearer = HTTPBearer(auto_error=False, description="An API key from `navigator keys create`")


@dataclass(frozen=True)
class Actor:
    """Who is making a change: the key's name goes into the audit log."""

    name: str
    role: Role


def key_actor(session: Session, key: str) -> Actor | None:
    row = accounts.find_key(session, key)
    return None if row is None else Actor(name=row.name, role=Role(row.role))


def _actor(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "An API key is required", headers={"WWW-Authenticate": "Bearer"})
    actor = key_actor(session, credentials.credentials)
    if actor is None:
        raise HTTPException(
            401, "The API key is not valid, or was revoked", headers={"WWW-Authenticate": "Bearer"}
        )
    return actor


def _editor(actor: Annotated[Actor, Depends(_actor)]) -> Actor:
    return actor


def _admin(actor: Annotated[Actor, Depends(_actor)]) -> Actor:
    if not actor.role.allows(Role.admin):
        raise HTTPException(403, "This needs an admin key")
    return actor


EditorDep = Annotated[Actor, Depends(_editor)]
AdminDep = Annotated[Actor, Depends(_admin)]

# Paths that stay open even when reads need a key: health checks and the docs.
OPEN_PATHS = ("/healthz", "/docs", "/openapi.json", "/redoc", "/static")


def read_guard(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """With NAVIGATOR_READ_KEY_REQUIRED=true, every read needs a valid key too."""
    if request.url.path.startswith(OPEN_PATHS):
        return
    if credentials is None or key_actor(session, credentials.credentials) is None:
        raise HTTPException(
            401, "This deployment needs an API key", headers={"WWW-Authenticate": "Bearer"}
        )

"""Who is asking: API keys as Bearer tokens, browser sessions, and the roles they carry.

Checking a key costs one scrypt (tens of milliseconds of CPU), whether or not its prefix exists,
so the answer's timing says nothing about which prefixes are live. To keep that from becoming a
way to slow everyone down:
- scrypt runs off the event loop, one at a time (waiting costs no thread), so other requests
  keep a core;
- a key that checked out is remembered (by its stored hash and a digest of the secret), so a live
  key is not hashed again on every request; its row is still read, so revocation is immediate;
- wrong keys are rate-limited per client and per key prefix: past the limit, 429 with
  Retry-After, before any scrypt.

Browsers sign in once (web/edit.py) and carry a random session token in a cookie; only its hash
is stored (navigator.db.accounts). In private mode (NAVIGATOR_READ_KEY_REQUIRED) the cookie opens
every page and every read, so the pages work in a browser; writes to the API always need Bearer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from navigator.db import accounts, connection, keys
from navigator.db.keys import Role
from navigator.settings import Settings

logger = logging.getLogger("navigator.auth")
bearer = HTTPBearer(auto_error=False, description="An API key from `navigator keys create`")

SESSION_COOKIE = "navigator_session"
# Paths that stay open even when reads need a key: health checks, the docs, the static files,
# and the sign-in page (every /edit route checks the session itself).
OPEN_PATHS = ("/healthz", "/readyz", "/docs", "/openapi.json", "/static/", "/edit")
# Answers for programs, not pages: a missing key there is a 401, not a sign-in page.
API_PREFIXES = ("/api/", "/oruk", "/fhir", "/openapi.json")
# How often a session's last use is written (its idle timeout counts from it).
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class Actor:
    """Who is making a change: the key's name goes into the audit log."""

    name: str
    role: Role
    key_id: int = 0


class AuthFailed(Exception):
    """No valid key (401) or too many wrong ones (429, `retry_after` seconds)."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        if self.retry_after is not None:
            return {"Retry-After": str(self.retry_after)}
        return {"WWW-Authenticate": "Bearer"}

    def http(self) -> HTTPException:
        return HTTPException(self.status, self.message, headers=self.headers())


class FailureLimit:
    """Token buckets of wrong attempts, one per client or key prefix: `per_minute` in a burst,
    refilled at `per_minute` a minute. Bounded in memory: the least recently used go first."""

    def __init__(self, per_minute: int, size: int = 50_000) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.size = size
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, at

    def _level(self, key: str, now: float) -> float:
        tokens, at = self._buckets.get(key, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate)

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again; None when it may now."""
        with self._lock:
            level = self._level(key, time.monotonic())
        if level >= 1:
            return None
        return max(1, math.ceil((1 - level) / self.rate))

    def failed(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._buckets[key] = (max(0.0, self._level(key, now) - 1), now)
            self._buckets.move_to_end(key)
            while len(self._buckets) > self.size:
                self._buckets.popitem(last=False)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Authenticator:
    """Checks API keys and browser sessions for one app (one per process)."""

    def __init__(self, settings: Settings, *, remembered: int = 1024) -> None:
        self.limit = FailureLimit(settings.auth_failures_per_minute)
        self.idle = dt.timedelta(minutes=settings.session_idle_minutes)
        self.lifetime = dt.timedelta(hours=settings.session_hours)
        self.remembered = remembered
        self._verified: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._lock = threading.Lock()
        self._scrypt: anyio.CapacityLimiter | None = None

    def _scrypt_slot(self) -> anyio.CapacityLimiter:
        # Made on first use: a capacity limiter belongs to the running event loop's library.
        if self._scrypt is None:
            self._scrypt = anyio.CapacityLimiter(1)
        return self._scrypt

    def _known(self, stored: str, secret: str) -> bool:
        with self._lock:
            key = (stored, _digest(secret))
            if key in self._verified:
                self._verified.move_to_end(key)
                return True
            return False

    def _remember(self, stored: str, secret: str) -> None:
        with self._lock:
            self._verified[(stored, _digest(secret))] = None
            while len(self._verified) > self.remembered:
                self._verified.popitem(last=False)

    async def key_actor(self, engine: Engine, key: str, client: str) -> Actor:
        """The actor a presented API key belongs to; AuthFailed (401 or 429) otherwise."""
        wait = self.limit.retry_after(f"client:{client}")
        if wait is not None:
            raise AuthFailed(429, "Too many wrong keys from here: wait, then try again", wait)
        parts = keys.split(key.strip())
        if parts is None:
            self.limit.failed(f"client:{client}")
            raise AuthFailed(401, "The API key is not valid, or was revoked")
        prefix, secret = parts

        def lookup() -> tuple[int, str, str, str] | None:
            with Session(engine) as session:
                row = accounts.key_by_prefix(session, prefix)
                if row is None or row.revoked_at is not None or row.id is None:
                    return None
                return row.id, row.name, row.role, row.hash

        found = await run_in_threadpool(lookup)
        if found is not None and self._known(found[3], secret):
            return Actor(name=found[1], role=Role(found[2]), key_id=found[0])
        wait = self.limit.retry_after(f"prefix:{prefix}")
        if wait is not None:
            raise AuthFailed(429, "Too many wrong keys for this key: wait, then try again", wait)
        stored = found[3] if found is not None else keys.DECOY_HASH
        ok = await anyio.to_thread.run_sync(
            keys.verify, secret, stored, limiter=self._scrypt_slot()
        )
        if found is None or not ok:
            self.limit.failed(f"client:{client}")
            self.limit.failed(f"prefix:{prefix}")
            raise AuthFailed(401, "The API key is not valid, or was revoked")
        self._remember(stored, secret)
        return Actor(name=found[1], role=Role(found[2]), key_id=found[0])

    def session_actor(self, engine: Engine, token: str | None) -> Actor | None:
        """The actor of a live browser session (sync: call it from a thread).

        A use more than TOUCH_EVERY after the last recorded one is written, so the idle timeout
        counts from it; if the database cannot take the write (read-only), reading goes on.
        """
        if not token:
            return None
        now = dt.datetime.now(dt.UTC)
        with Session(engine) as session:
            found = accounts.find_session(session, token, now=now, idle=self.idle)
            if found is None:
                return None
            row, key = found
            assert key.id is not None
            actor = Actor(name=key.name, role=Role(key.role), key_id=key.id)
            last_seen = accounts.utc(row.last_seen_at)
        if now - last_seen >= TOUCH_EVERY:
            try:
                with connection.writing(engine) as writing:
                    accounts.touch_session(writing, token, now)
            except SQLAlchemyError:
                logger.warning("Could not record a session's use; the database refused a write")
        return actor


def client_of(request: Request) -> str:
    """The client's address (uvicorn takes it from X-Forwarded-For behind a trusted proxy)."""
    return request.client.host if request.client else "unknown"


def authenticator(request: Request) -> Authenticator:
    auth: Authenticator = request.app.state.auth
    return auth


async def bearer_actor(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "An API key is required", headers={"WWW-Authenticate": "Bearer"})
    try:
        return await authenticator(request).key_actor(
            request.app.state.engine, credentials.credentials, client_of(request)
        )
    except AuthFailed as exc:
        raise exc.http() from None


async def _actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    return await bearer_actor(request, credentials)


def _editor(actor: Annotated[Actor, Depends(_actor)]) -> Actor:
    if not actor.role.allows(Role.editor):
        raise HTTPException(403, "This needs an editor key")
    return actor


def _admin(actor: Annotated[Actor, Depends(_actor)]) -> Actor:
    if not actor.role.allows(Role.admin):
        raise HTTPException(403, "This needs an admin key")
    return actor


EditorDep = Annotated[Actor, Depends(_editor)]
AdminDep = Annotated[Actor, Depends(_admin)]


class SignInRequired(Exception):
    """A page asked for without a session in a private deployment: go and sign in."""


def is_page(path: str) -> bool:
    return not path.startswith(API_PREFIXES)


async def read_guard(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """With NAVIGATOR_READ_KEY_REQUIRED=true, every read needs a key: a Bearer key, or the
    session cookie of a browser that signed in with one."""
    path = request.url.path
    if path.startswith(OPEN_PATHS):
        return
    if credentials is not None:
        await bearer_actor(request, credentials)
        return
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth, engine = authenticator(request), request.app.state.engine
        if await run_in_threadpool(auth.session_actor, engine, token) is not None:
            return
    if is_page(path):
        raise SignInRequired
    raise HTTPException(
        401, "This deployment needs an API key", headers={"WWW-Authenticate": "Bearer"}
    )


async def sign_in_required(request: Request, exc: Exception) -> Response:
    """A page without a session goes to the sign-in page, and comes back after it."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = request.url.path
    return RedirectResponse(f"/edit?next={quote(target, safe='/')}", status_code=303)


async def auth_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AuthFailed)
    return JSONResponse({"detail": exc.message}, status_code=exc.status, headers=exc.headers())

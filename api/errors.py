"""Domain errors mapped to HTTP, once."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import is_page
from api.routing import matching, route_template
from navigator.core.errors import (
    AlreadyExists,
    NavigatorError,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)
from navigator.db import connection

logger = logging.getLogger("navigator.api")

# Errors that are not about a field's value: a status and a sentence.
STATUS = {NotFound: 404, AlreadyExists: 409, PreconditionFailed: 412, PreconditionRequired: 428}


def _where(request: Request, field: str) -> str:
    if field in request.path_params:
        return "path"
    if field in request.query_params:
        return "query"
    return "body"


async def navigator_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NavigatorError)
    for kind, status in STATUS.items():
        if isinstance(exc, kind):
            return JSONResponse({"detail": exc.message}, status_code=status)
    loc = [_where(request, exc.field), *exc.loc] if exc.field else ["body"]
    detail = [{"type": "value_error", "loc": loc, "msg": exc.message}]
    return JSONResponse({"detail": detail}, status_code=422)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at this path (the router names only the first route's)."""
    methods: set[str] = set()
    for route, _match in matching(request.app, request.scope):
        # A mount (the static files) has no methods of its own: it serves GET and HEAD.
        methods |= getattr(route, "methods", None) or {"GET", "HEAD"}
    return sorted(methods)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTP errors as FastAPI answers them; a 405's Allow lists every method."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        methods = allowed_methods(request)
        if methods:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(methods)}
    return await http_exception_handler(request, exc)


UNAVAILABLE_WRITE = "{reason}: changes cannot be saved just now. The map can still be read."
UNAVAILABLE_READ = "{reason}: this cannot be answered just now. Try again shortly."


async def database_unavailable(request: Request, exc: Exception) -> Response:
    """The database is down, unreachable or read-only: 503 with a plain message, never a 500.

    Reads from the map keep working from memory (navigator.db.holder); what needs the database
    itself (a write, the audit log, a key check) waits until it is back.
    """
    if not connection.is_unavailable(exc):
        raise exc
    template = UNAVAILABLE_READ if request.method in ("GET", "HEAD") else UNAVAILABLE_WRITE
    message = template.format(reason=connection.failure_reason(exc))
    logger.warning("%s %s: %s", request.method, route_template(request.scope) or "-", message)
    headers = {"Retry-After": "5"}
    if is_page(request.url.path):
        return PlainTextResponse(message, status_code=503, headers=headers)
    return JSONResponse({"detail": message}, status_code=503, headers=headers)


def install(app: FastAPI) -> None:
    app.add_exception_handler(NavigatorError, navigator_error)
    app.add_exception_handler(SQLAlchemyError, database_unavailable)
    app.add_exception_handler(StarletteHTTPException, http_error)

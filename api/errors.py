"""Domain errors mapped to HTTP, once."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from navigator.core.errors import (
    AlreadyExists,
    NavigatorError,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
)

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


def install(app: FastAPI) -> None:
    app.add_exception_handler(NavigatorError, navigator_error)

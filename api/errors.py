"""Domain errors mapped to HTTP, once."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from navigator.errors import NavigatorError, NotFound


def _where(request: Request, field: str) -> str:
    if field in request.path_params:
        return "path"
    if field in request.query_params:
        return "query"
    return "body"


async def navigator_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NavigatorError)
    if isinstance(exc, NotFound):
        return JSONResponse({"detail": exc.message}, status_code=404)
    loc = [_where(request, exc.field), *exc.loc] if exc.field else ["body"]
    detail = [{"type": "value_error", "loc": loc, "msg": exc.message}]
    return JSONResponse({"detail": detail}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(NavigatorError, navigator_error)

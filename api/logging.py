"""Structured logs: one JSON object per line, and a request id and an access line per request.

The access line holds the method, the route, the status and the time taken, never a query string
or a body: navigate's body describes a family, and nothing about a family may be logged. The
route is the matched route's template (`/api/v1/postcodes/{postcode}`), never the raw path: a
path can carry a postcode however it is spelt (`//api/v1/postcodes/...`, `/API/v1/...`), so a
path that matches no route is logged as the fixed word UNMATCHED.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
import uuid
from contextvars import ContextVar
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.routing import route_template

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is kept only if it is short and plain, so nobody can write into our logs.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# What the access log says for a path no route matched (its words may be a family's postcode).
UNMATCHED = "(unmatched)"
ACCESS_FIELDS = ("method", "path", "status", "duration_ms")

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access_logger = logging.getLogger("navigator.access")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, and the access fields when there are any."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
        }
        for field in ACCESS_FIELDS:
            if hasattr(record, field):
                out[field] = getattr(record, field)
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """logging.config.dictConfig for the server: everything as JSON lines on stdout.

    uvicorn's own access log is switched off (ours replaces it: it would log query strings).
    """
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stdout",
            }
        },
        "root": {"handlers": ["stdout"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        },
    }


def loggable_path(scope: Scope, pristine: Scope | None = None) -> str:
    """The template of the route that answered, else UNMATCHED: never the raw path.

    `pristine`: the scope as it came in, for matching again (a mount rewrites the path).
    """
    return route_template(scope, pristine) or UNMATCHED


class RequestLog:
    """ASGI middleware: a request id for every request (X-Request-ID both ways) and one access
    line when the response is done."""

    def __init__(self, app: ASGIApp, *, enabled: bool = True) -> None:
        self.app = app
        self.enabled = enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers", [])).get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        start = time.perf_counter()
        pristine = dict(scope)
        status, started = 500, False  # 500: what the client gets if the app raises first

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started, status = True, message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Answer the 500 here, so it carries the request id too; Starlette's error
            # middleware outside sees the answer started and only re-raises for the server log.
            if not started:
                await PlainTextResponse(
                    "Internal Server Error", 500, headers={REQUEST_ID_HEADER: rid}
                )(scope, receive, send)
            raise
        finally:
            if self.enabled:
                method, path = scope["method"], loggable_path(scope, pristine)
                access_logger.info(
                    "%s %s %d",
                    method,
                    path,
                    status,
                    extra={
                        "request_id": rid,
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round((time.perf_counter() - start) * 1000, 2),
                    },
                )
            request_id.reset(token)

"""Request hardening: a body size limit (413), strict JSON (400), and 422s that always encode.

Nothing a client sends may reach a 500. JSON bodies are read strictly before any route sees them:
`NaN`, `Infinity` and numbers too large for a float are not JSON numbers (RFC 8259), a lone
surrogate (`"\\ud800"`) is not text, a NUL cannot be stored by PostgreSQL, and nesting deeper than
`MAX_JSON_DEPTH` is refused before it can exhaust the stack. Each is a 400 naming the problem.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Deeper than any service (rules inside any_of rules) or proposal needs; far from the stack's end.
MAX_JSON_DEPTH = 32
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A lone surrogate cannot be encoded as UTF-8; NUL cannot be stored in PostgreSQL text.
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        too_big = False

        async def counted() -> Message:
            nonlocal seen, too_big
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    too_big = True
                    # Hand the app an empty end of body; the 413 below replaces its answer.
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        started = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if too_big:
                if not started:
                    started = True
                    await self._refuse(scope, receive, send)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, counted, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = {"detail": f"Request body too large: the limit is {self.max_bytes} bytes"}
        await JSONResponse(body, status_code=413)(scope, receive, send)


class BadJson(ValueError):
    """A body that is not JSON we can take; the message says why, in plain words."""


def _no_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number: send a finite number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson(f"{text[:20]} is too large for a number")
    return value


def check_text(text: str, where: str = "") -> None:
    """Refuse a lone surrogate (not Unicode) or a NUL (no database stores it)."""
    bad = _BAD_TEXT.search(text)
    if bad is None:
        return
    char = bad.group()
    what = "a NUL character" if char == "\x00" else f"a lone surrogate (\\u{ord(char):04x})"
    raise BadJson(f"{where or 'The text'} contains {what}, which is not valid text")


def check_tree(value: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Every string (keys too) is valid text and nothing nests deeper than `max_depth`.

    Iterative, so a deep value cannot exhaust the stack here.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, "A string")
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise BadJson(f"The JSON is nested more than {max_depth} levels deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    check_text(key, "A key")
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def strict_loads(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads for what a client sends: finite numbers, valid text, bounded nesting.

    Raises BadJson with a message fit to show the client.
    """
    try:
        value = json.loads(data, parse_constant=_no_constant, parse_float=_finite)
    except BadJson:
        raise
    except RecursionError:
        raise BadJson(f"The JSON is nested more than {max_depth} levels deep") from None
    except json.JSONDecodeError as exc:
        raise BadJson(f"{exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except UnicodeDecodeError:
        raise BadJson("The body is not UTF-8") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise BadJson(str(exc)) from None
    check_tree(value, max_depth=max_depth)
    return value


def _is_json(content_type: bytes | None) -> bool:
    """FastAPI reads a body as JSON when there is no Content-Type, or it is */json or */*+json."""
    if content_type is None:
        return True
    media = content_type.split(b";", 1)[0].strip().lower()
    return media.startswith(b"application/") and (
        media.endswith(b"/json") or media.endswith(b"+json")
    )


def _bad_request(message: str) -> JSONResponse:
    detail = [{"type": "json_invalid", "loc": ["body"], "msg": message}]
    return JSONResponse({"detail": detail}, status_code=400)


class StrictInput:
    """ASGI middleware: JSON bodies read strictly (see the module), NUL refused in the URL.

    The body is read whole (BodySizeLimit, outside, bounds it), checked, then handed on
    unchanged, so routes parse exactly the bytes that passed.
    """

    def __init__(self, app: ASGIApp, *, max_depth: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A NUL decoded from the path or the query would reach PostgreSQL as a parameter.
        if "\x00" in scope["path"] or b"%00" in scope.get("query_string", b""):
            response = JSONResponse(
                {"detail": "The address contains a NUL character (%00)"}, status_code=400
            )
            await response(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if scope["method"] not in BODY_METHODS or not _is_json(headers.get(b"content-type")):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body:
            try:
                strict_loads(body, max_depth=self.max_depth)
            except BadJson as exc:
                await _bad_request(str(exc))(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def json_safe(value: Any) -> Any:
    """Anything an error may echo, made encodable: non-finite numbers and bad text as words."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return _BAD_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    if isinstance(value, dict):
        return {json_safe(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


async def validation_error(request: Request, exc: Exception) -> Response:
    """Malformed JSON is a bad request (400); a well-formed body with bad fields stays 422.

    What a 422 echoes back is made safe to encode first: a query's `nan` must not become a 500.
    """
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = [
            {"type": "json_invalid", "loc": list(e["loc"]), "msg": "The body is not valid JSON"}
            for e in errors
        ]
        return JSONResponse({"detail": detail}, status_code=400)
    return JSONResponse({"detail": json_safe(jsonable_encoder(errors))}, status_code=422)

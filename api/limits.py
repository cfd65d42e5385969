"""Request hardening: a body size limit (413) and malformed JSON as 400, not 422."""

from __future__ import annotations

from fastapi import Request
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


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


async def validation_error(request: Request, exc: Exception) -> Response:
    """Malformed JSON is a bad request (400); a well-formed body with bad fields stays 422."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        detail = [
            {"type": "json_invalid", "loc": list(e["loc"]), "msg": "The body is not valid JSON"}
            for e in errors
        ]
        return JSONResponse({"detail": detail}, status_code=400)
    return await request_validation_exception_handler(request, exc)

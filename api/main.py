"""The API app: thin routes over the domain core (the web pages are added by navigator.app)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware

from api import docs, errors
from api.auth import (
    Authenticator,
    AuthFailed,
    SignInRequired,
    auth_failed,
    read_guard,
    sign_in_required,
)
from api.headers import SecurityHeaders
from api.limits import BodySizeLimit, StrictInput, validation_error
from api.logging import RequestLog
from api.routes import (
    admin,
    analytics,
    editing,
    fhir,
    health,
    navigate,
    oruk,
    postcodes,
    reference,
    services,
)
from navigator.db import bootstrap
from navigator.db.holder import MapHolder
from navigator.settings import Settings, get_settings

BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "The body is not valid JSON"},
    413: {"description": "The body is larger than the limit (NAVIGATOR_MAX_BODY_BYTES)"},
}


def document_body_errors(app: FastAPI) -> None:
    """Every operation that reads a body can answer 400 and 413: say so in the schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        for status, doc in BODY_ERRORS.items():
                            operation["responses"].setdefault(str(status), doc)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


ROUTERS = (
    health.router,
    docs.router,
    navigate.router,
    services.router,
    reference.router,
    postcodes.router,
    oruk.router,
    fhir.router,
    analytics.router,
    editing.router,
    admin.router,
)


def lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up (navigator.db.bootstrap) and shut-down: `app.state.engine` and `.maps` between."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        # Replicas may start together: one at a time migrates, and seeds an empty database.
        engine = bootstrap.open_engine(settings)
        app.state.engine = engine
        app.state.maps = MapHolder(
            engine, bootstrap.load_postcodes(settings), settings.map_check_interval
        )
        yield
        engine.dispose()

    return run


def create_api(settings: Settings | None = None) -> FastAPI:
    """The API alone: middleware, routers, error handlers and the start-up lifespan.

    The served app (API and web pages together) is `navigator.app.create_app`.
    """
    settings = settings or get_settings()
    app = FastAPI(
        title="Bradford Early Years Navigator",
        version="1.0.0",
        summary="Bradford's early-years system map and pathway navigator",
        lifespan=lifespan(settings),
        # /docs is ours (api/docs.py): Swagger UI from the package, not a CDN. No ReDoc.
        docs_url=None,
        redoc_url=None,
        # Private deployments only: public ones pay nothing for it.
        dependencies=[Depends(read_guard)] if settings.read_key_required else [],
    )
    app.state.settings = settings
    app.state.auth = Authenticator(settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Location"],
        )
    # Inside the size limit: the strict JSON check reads a body only once it is known small enough.
    app.add_middleware(StrictInput)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(AuthFailed, auth_failed)
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    document_body_errors(app)
    app.add_middleware(SecurityHeaders)
    # Added last, so outermost: every answer (a 413, a 500) gets a request id and an access line.
    app.add_middleware(RequestLog, enabled=settings.access_log)
    return app

"""The FastAPI app: thin routes over the domain core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.auth import read_guard
from api.limits import BodySizeLimit, validation_error
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
from navigator.core.geography import PostcodeTable
from navigator.db import migrations, store
from navigator.db.holder import MapHolder
from navigator.db.seeding import ensure_seeded
from navigator.settings import Settings, get_settings
from web import commission as commission_pages
from web import edit as edit_pages
from web.routes import mount as mount_pages

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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = store.make_engine(settings.db_url)
        # Replicas may start together: one at a time migrates, and seeds an empty database.
        with migrations.exclusive(engine):
            migrations.upgrade(engine)
            ensure_seeded(engine, settings.seed_file)
        app.state.engine = engine
        app.state.maps = MapHolder(
            engine, PostcodeTable.load(settings.postcode_dir), settings.map_check_interval
        )
        yield
        engine.dispose()

    app = FastAPI(
        title="Bradford Early Years Navigator",
        version="1.0.0",
        summary="Bradford's early-years system map and pathway navigator",
        lifespan=lifespan,
        # Private deployments only: public ones pay nothing for it.
        dependencies=[Depends(read_guard)] if settings.read_key_required else [],
    )
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=["ETag", "Location"],
        )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_exception_handler(RequestValidationError, validation_error)
    errors.install(app)
    for router in (
        health.router,
        navigate.router,
        services.router,
        reference.router,
        postcodes.router,
        oruk.router,
        fhir.router,
        analytics.router,
        editing.router,
        admin.router,
    ):
        app.include_router(router)
    mount_pages(app)
    app.include_router(edit_pages.router)
    app.include_router(commission_pages.router)
    document_body_errors(app)
    # Added last, so outermost: every answer (a 413, a 500) gets a request id and an access line.
    app.add_middleware(RequestLog, enabled=settings.access_log)
    return app

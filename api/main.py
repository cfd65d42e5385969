"""The FastAPI app: thin routes over the domain core."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware

from api import errors
from api.limits import BodySizeLimit, validation_error
from api.routes import fhir, health, navigate, oruk, postcodes, reference, services
from api.state import MapHolder
from navigator import store
from navigator.config import Settings, get_settings
from navigator.postcodes import PostcodeTable
from navigator.seed import ensure_seeded


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = store.make_engine(settings.db_url)
        store.create_tables(engine)
        ensure_seeded(engine, settings.seed_file)
        app.state.engine = engine
        app.state.maps = MapHolder(engine, PostcodeTable.load())
        yield
        engine.dispose()

    app = FastAPI(
        title="Bradford Early Years Navigator",
        version="1.0.0",
        summary="Bradford's early-years system map and pathway navigator",
        lifespan=lifespan,
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
    ):
        app.include_router(router)
    return app

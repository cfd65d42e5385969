"""The served app, assembled in one place: the API, and the web pages mounted on it.

`navigator serve` runs `navigator.app:create_app` (a uvicorn factory); tests build it the same way.
"""

from __future__ import annotations

from fastapi import FastAPI

from api.main import create_api
from navigator.settings import Settings
from web import commission as commission_pages
from web import edit as edit_pages
from web.routes import mount as mount_pages


def create_app(settings: Settings | None = None) -> FastAPI:
    """The API (with its middleware, error handlers and start-up) plus the pages for people."""
    app = create_api(settings)
    mount_pages(app)
    app.include_router(edit_pages.router)
    app.include_router(commission_pages.router)
    return app

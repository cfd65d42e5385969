"""Jinja2 templates for the pages, and the one way every page is rendered."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from navigator.core.snapshot import Snapshot

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"

# Starlette turns autoescape on for .html templates: every value is escaped unless marked safe.
templates = Jinja2Templates(directory=HERE / "templates")
# Block tags leave no blank lines behind: smaller pages, readable source.
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True

# The header's links, in order. Another page (such as /commission) joins by appending here.
NAV: list[tuple[str, str]] = [
    ("/", "Find services"),
    ("/services", "Directory"),
    ("/map", "System map"),
    ("/commission", "Commissioners"),
]
templates.env.globals["nav"] = NAV

# Pages that show a family's answers must not stay in a shared PC's browser cache.
NO_STORE = {"Cache-Control": "no-store"}


def render(
    request: Request,
    name: str,
    snap: Snapshot,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render a page that extends base.html: the footer's attribution comes from the map."""
    ctx = {"attribution": snap.map.meta.attribution, **(context or {})}
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)

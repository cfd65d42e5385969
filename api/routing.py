"""The app's routes, flattened: for a 405's Allow header and the access log's route template."""

from __future__ import annotations

from typing import Any

from starlette.routing import Match, Mount
from starlette.types import Scope


def all_routes(app: Any) -> list[Any]:
    """Every route, those of included routers too (FastAPI >= 0.130 includes them lazily)."""
    routes = list(app.router.routes)
    try:
        from fastapi.routing import iter_route_contexts  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # older FastAPI: the app's routes are already flat
        return routes
    return list(iter_route_contexts(routes))


def matching(app: Any, scope: Scope) -> list[tuple[Any, Match]]:
    """The routes that match the scope's path, fully or by path alone (another method)."""
    out = []
    for route in all_routes(app):
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            out.append((route, match))
    return out


def _template(route: Any) -> str | None:
    if isinstance(route, Mount) or isinstance(getattr(route, "original_route", None), Mount):
        return str(route.path).rstrip("/") + "/{path}"
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template or "/" if isinstance(template, str) else None


def route_template(scope: Scope, pristine: Scope | None = None) -> str | None:
    """The template of the route that answered the request (`/api/v1/postcodes/{postcode}`).

    Taken from the scope when the router recorded it there, else by matching the path again
    against the app's routes (`pristine`: the scope before routing changed it); None when no
    route matches.
    """
    recorded = _template(scope.get("route"))
    if recorded is not None and not isinstance(scope.get("route"), Mount):
        return recorded
    app = scope.get("app")
    if app is None or not hasattr(app, "router"):
        return recorded
    found = matching(app, pristine or scope)
    full = [route for route, match in found if match is Match.FULL]
    for route in full or [route for route, _ in found]:
        template = _template(route)
        if template is not None:
            return template
    return None

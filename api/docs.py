"""The interactive API docs at /docs, fully offline: Swagger UI served from our own host.

FastAPI's own /docs page loads Swagger UI from a CDN (blank offline, and an outside script on a
trust network) and starts it with an inline script (refused by our Content-Security-Policy).
Here the Swagger UI files come from the `fastapi-offline` package, which ships the current
Swagger UI release, and the page starts it with a script of ours: no CDN, nothing inline.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

router = APIRouter(include_in_schema=False)

ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon.png": "image/png",
}
START = """// Starts Swagger UI on /openapi.json: served as a file so no inline script is needed.
window.addEventListener("DOMContentLoaded", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
"""
PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} – API docs</title>
  <link rel="icon" type="image/png" href="/docs/assets/{version}/favicon.png">
  <link rel="stylesheet" href="/docs/assets/{version}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/{version}/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/{version}/start.js"></script>
</body>
</html>
"""


@cache
def asset(name: str) -> bytes:
    if name == "start.js":
        return START.encode()
    return (files("fastapi_offline") / "static" / name).read_bytes()


@cache
def version() -> str:
    """Part of the assets' URLs, so browsers may keep them for good."""
    digest = hashlib.sha256()
    for name in sorted(ASSETS):
        digest.update(asset(name))
    digest.update(START.encode())
    return digest.hexdigest()[:12]


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE.format(title=request.app.title, version=version()))


@router.get("/docs/assets/{tag}/{name}")
def docs_asset(tag: str, name: str) -> Response:
    media = "text/javascript; charset=utf-8" if name == "start.js" else ASSETS.get(name)
    if media is None or tag != version():
        return Response("Not found", status_code=404, media_type="text/plain")
    return Response(
        asset(name),
        media_type=media,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )

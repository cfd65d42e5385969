"""Security headers on every response: a strict Content-Security-Policy, nosniff, no framing,
no referrer.

The policy allows scripts and styles from this origin only. The one inline script the pages have
(pyvis's drawing of the system map), and its one style attribute, are allowed by their SHA-256,
which the route that renders them records with `allow_inline`; everything else inline is refused
by the browser.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from html import unescape

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Scope state keys: 'sha256-...' sources for inline scripts and style attributes, set by routes.
SCRIPT_HASHES = "csp_script_hashes"
STYLE_HASHES = "csp_style_hashes"

POLICY = (
    "default-src 'none'",
    "script-src 'self'{scripts}",
    "style-src 'self'{styles}",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}

_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)
_DATA_BLOCK = re.compile(r"\btype=[\"']application/(ld\+)?json[\"']", re.I)
_STYLE_ATTRIBUTE = re.compile(r"""\sstyle=(?:"([^"]*)"|'([^']*)')""", re.I)


def _source(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def script_hashes(html: str) -> list[str]:
    """CSP sources ('sha256-...') for each inline script in `html` (JSON data blocks are not
    run, and need none)."""
    return [
        _source(m.group(1))
        for m in _INLINE_SCRIPT.finditer(html)
        if not _DATA_BLOCK.search(m.group(0).split(">", 1)[0])
    ]


def style_hashes(html: str) -> list[str]:
    """CSP sources for each distinct style attribute in `html` (allowed by 'unsafe-hashes':
    exactly these declarations, nothing else)."""
    values = {unescape(m.group(1) or m.group(2) or "") for m in _STYLE_ATTRIBUTE.finditer(html)}
    return sorted(_source(v) for v in values)


def allow_inline(request: Request, html: str) -> None:
    """Let this response use the inline scripts and style attributes in `html` (by hash), and
    nothing else inline. For HTML we did not write (pyvis's drawing of the map)."""
    state = request.scope.setdefault("state", {})
    for key, found in ((SCRIPT_HASHES, script_hashes(html)), (STYLE_HASHES, style_hashes(html))):
        hashes: list[str] = state.setdefault(key, [])
        hashes.extend(h for h in found if h not in hashes)


def policy(scripts: Iterable[str] = (), styles: Iterable[str] = ()) -> str:
    extra_styles = list(styles)
    return "; ".join(POLICY).format(
        scripts="".join(f" {s}" for s in scripts),
        # Style attributes only (style-src-attr), and only these exact ones.
        styles="; style-src-attr 'unsafe-hashes' " + " ".join(extra_styles) if extra_styles else "",
    )


DEFAULT_POLICY = policy()


class SecurityHeaders:
    """ASGI middleware: the headers above on every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                state = scope.get("state", {})
                scripts, styles = state.get(SCRIPT_HASHES), state.get(STYLE_HASHES)
                headers.setdefault(
                    "Content-Security-Policy",
                    policy(scripts or (), styles or ()) if scripts or styles else DEFAULT_POLICY,
                )
            await send(message)

        await self.app(scope, receive, with_headers)

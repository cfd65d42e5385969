"""A real server and a real browser for the pages' browser tests.

The app runs under uvicorn on 127.0.0.1 in a background thread; Playwright drives Debian's
Chromium (it cannot download its own here). Every request and console error a page makes is
recorded, so tests can say the pages work offline and without errors.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import uvicorn
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from navigator.app import create_app
from navigator.settings import Settings
from tests.conftest import need_tool

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The whole app on a free port of 127.0.0.1, over a SQLite file loaded from the seed."""
    need_tool(CHROMIUM, "the browser tests drive Chromium against a live server")
    folder = tmp_path_factory.mktemp("live")
    app = create_app(Settings(database_url=f"sqlite:///{folder}/navigator.db"))
    # Bound here and handed to uvicorn: the port cannot be taken between choosing and serving.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("the live server did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    need_tool(CHROMIUM, "the browser tests drive Chromium")
    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield chromium
    finally:
        chromium.close()


@dataclass
class Watched:
    """A page with every request it made and every error its console printed."""

    page: Page
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None
        assert response.ok, (path, response.status)

    def outside_requests(self) -> list[str]:
        """Requests to anywhere but our own server (data: and about: stay in the browser)."""
        local = (self.base + "/", "data:", "about:")
        return [url for url in self.requests if not url.startswith(local)]

    def serious_violations(self) -> list[str]:
        """axe-core's serious and critical findings on the page as it is now."""
        result = Axe().run(self.page)
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
            for v in result.response["violations"]
            if v["impact"] in SERIOUS
        ]


@pytest.fixture
def watched(browser: Browser, live_server: str) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    seen = Watched(page, live_server)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    try:
        yield seen
    finally:
        context.close()

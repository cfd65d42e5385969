"""The server runner: uvicorn serving `navigator.app:create_app` (through `create_app` here), in one
process or several."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import socket
import sys
from typing import TYPE_CHECKING

import uvicorn
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

from api.logging import log_config
from navigator.db.collector import collector_paused
from navigator.settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

APP = "navigator.serve:create_app"
STARTUP_FAILURE = 3  # uvicorn's exit code when the app cannot start (e.g. no database)
MALLOC_ARENAS = "2"
M_ARENA_MAX = -8  # glibc's mallopt parameter number


class CannotListen(Exception):
    """The address is taken or not ours: nothing was started."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"{host}:{port}: {reason}")
        self.host, self.port, self.reason = host, port, reason


def run(settings: Settings, host: str, port: int, workers: int | None = None) -> int:
    """Serve until stopped; the exit status: 0, or STARTUP_FAILURE when the app could not start."""
    fewer_malloc_arenas()
    config = server_config(settings, host, port, workers)
    if config.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    return _run_workers(config, host, port)


def server_config(
    settings: Settings, host: str, port: int, workers: int | None = None
) -> uvicorn.Config:
    """uvicorn's settings for `navigator serve`.

    HTTP is parsed by httptools and the event loop is uvloop's, both C, both named here so a
    missing one fails at start rather than falling back unseen to the pure-Python ones. Measured
    with wrk on the seed (bench/README.md): the server's CPU per request fell from 0.68 to
    0.38 ms for /healthz and from 3.7 to 3.2 ms for a navigate; two workers on PostgreSQL went
    from 458 to 560 navigates a second."""
    return uvicorn.Config(
        APP,
        factory=True,
        host=host,
        port=port,
        workers=workers or settings.workers,
        http="httptools",
        loop="uvloop",
        # JSON lines, and our access log instead of uvicorn's (which would log query strings).
        log_config=log_config(settings.log_level),
        access_log=False,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )


def create_app() -> FastAPI:
    """uvicorn's factory, in every worker: `navigator.app.create_app`, imported and built with
    the garbage collector paused.

    Start-up makes tens of thousands of objects that live as long as the process (modules,
    classes, pydantic's validators, the routes), and the collector would walk them over and
    over while they are made: pausing it saved about 0.2 s of a 2 s cold start (bench/README.md).
    """
    with collector_paused():
        try:
            from navigator.app import create_app as build

            return build()
        finally:
            gc.freeze()  # as they are now: collecting them later would walk them once more


def fewer_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at two, unless MALLOC_ARENA_MAX says otherwise.

    glibc gives threads their own arenas (up to eight a core): each new map is built in
    whichever of the thread pool's threads checked the version, so the maps an edit replaces
    leave holes in many arenas and RSS creeps up. Measured in one soak run (bench/README.md,
    an edit a second): workers grew 4 to 5 MB in 2 to 5 minutes with glibc's default and
    0 to 2 MB with two arenas. Workers are spawned, so they read the variable as they start;
    this process is already running, so it is told through mallopt.
    """
    arenas = os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)
    with contextlib.suppress(OSError, AttributeError, ValueError):  # not glibc: nothing to do
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, int(arenas))


def _run_workers(config: uvicorn.Config, host: str, port: int) -> int:
    # The listening sockets are bound here rather than by uvicorn, for two measured reasons:
    # - uvicorn's own leaves the protocol number at 0, so asyncio never sets TCP_NODELAY and
    #   every keep-alive request waits ~40 ms for a delayed ACK (uvicorn issue #3149);
    # - with one socket shared by all workers, whichever worker's event loop wakes first
    #   accepts a whole burst of connections and the others idle. On Linux each worker gets
    #   its own SO_REUSEPORT socket instead, and the kernel spreads connections over them.
    reuse_port = sys.platform == "linux"
    sockets = _bind(host, port, config.workers if reuse_port else 1, reuse_port=reuse_port)
    port = sockets[0].getsockname()[1]
    logging.getLogger("uvicorn.error").info(
        "Listening on %s:%d with %d workers", host, port, config.workers
    )
    supervisor = _Workers(config, sockets=sockets)
    try:
        supervisor.run()
    finally:
        for sock in sockets:
            sock.close()
    if any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes):
        return STARTUP_FAILURE
    return 0


def _bind(host: str, port: int, count: int, *, reuse_port: bool) -> list[socket.socket]:
    """`count` listening sockets on one address; all closed again if any cannot bind."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            for other in sockets:
                other.close()
            raise CannotListen(host, port, str(exc)) from exc
        port = sock.getsockname()[1]  # with --port 0, the others join the port the first got
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


class _Workers(Multiprocess):
    def init_processes(self) -> None:
        # Worker i listens on socket i. A worker restarted later listens on all of them:
        # still correct (every socket keeps a listener), if less evenly spread.
        for i in range(self.processes_num):
            process = Process(self.config, [self.sockets[i % len(self.sockets)]])
            process.start()
            self.processes.append(process)

"""Dependency aliases, declared once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from navigator.core.snapshot import Snapshot
from navigator.db.holder import MapHolder
from navigator.db.writes import MapWriter
from navigator.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    with Session(request.app.state.engine) as session:
        yield session


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_snapshot(request: Request) -> Snapshot:
    """The map, from this process's cache; the database is asked only when the check is due.

    Async, so a cached answer costs no trip through the thread pool (measured: navigate went
    from 1.44 ms to 0.85 ms in-process).
    """
    maps: MapHolder = request.app.state.maps
    snap = maps.cached()
    if snap is None:
        snap = await run_in_threadpool(maps.current)
    return snap


MapDep = Annotated[Snapshot, Depends(get_snapshot)]


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_writer(request: Request) -> MapWriter:
    """The one write path, telling this process's map holder after each change commits."""
    maps: MapHolder = request.app.state.maps
    return MapWriter(request.app.state.engine, on_change=maps.expire)


WriterDep = Annotated[MapWriter, Depends(get_writer)]

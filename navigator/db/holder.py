"""The per-process map cache: rebuilt when the stored map's version changes."""

from __future__ import annotations

import gc
import logging
import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from navigator.core.geography import PostcodeTable
from navigator.core.snapshot import Snapshot
from navigator.db import connection, store
from navigator.db.bootstrap import load_snapshot

logger = logging.getLogger("navigator.db")


class MapHolder:
    """Holds the current Snapshot, checking the stored version at most every `interval` s.

    Measured (bench/README.md): a keyed read on every request cost 0.15 ms on SQLite and
    0.48 ms on PostgreSQL, about half of PostgreSQL's throughput; a half-second interval keeps
    replicas within a second of each other, and this process's own edits call `expire` (the
    write path's `on_change`): nothing else expires it, so reads never cost a database trip.

    When the database cannot be reached, the map it last gave keeps being served (reads go on
    from memory) and the check is tried again after the interval; `failure` says what went
    wrong until a check succeeds again. One request at a time checks: the others meanwhile get
    the map in hand, so a slow database never holds up a crowd of readers.
    """

    def __init__(
        self,
        engine: Engine,
        postcodes: PostcodeTable,
        interval: float = 0.5,
        sweep_every: float = 60.0,
    ) -> None:
        self.engine = engine
        self.postcodes = postcodes
        self.interval = interval
        self.sweep_every = sweep_every
        self._swept = -float("inf")
        self._lock = threading.Lock()
        self._checking = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = -float("inf")
        self.failure: str | None = None

    def cached(self) -> Snapshot | None:
        """The snapshot when it was checked within the interval, else None (call `current`)."""
        if time.monotonic() - self._checked < self.interval:
            return self._snapshot
        return None

    @property
    def snapshot(self) -> Snapshot | None:
        """The map in hand, however old (None before the first load)."""
        return self._snapshot

    def expire(self) -> None:
        """Check the stored version on the next request: this process has just written."""
        self._checked = -float("inf")

    def current(self) -> Snapshot:
        """The map, asking the database only when the last check is older than the interval."""
        # No local reference to the map in hand while checking: if it is replaced, nothing here
        # may keep it from the collector (see _check).
        if (fresh := self.cached()) is not None:
            return fresh
        if self._snapshot is not None and not self._checking.acquire(blocking=False):
            return self._snapshot  # another request is checking right now: no need to wait
        if self._snapshot is None:
            self._checking.acquire()
        try:
            if (fresh := self.cached()) is not None:  # the request it waited for checked
                return fresh
            return self._check()
        except SQLAlchemyError as exc:
            if self._snapshot is None:
                raise
            self.failure = connection.failure_reason(exc)
            logger.warning("%s: serving the map in memory", self.failure)
            self._checked = time.monotonic()  # try again after the interval, not on every read
            return self._snapshot
        finally:
            self._checking.release()

    def _check(self) -> Snapshot:
        checked = time.monotonic()
        with Session(self.engine) as session:
            version = store.map_version(session)
        self.failure = None
        if self._snapshot is not None and self._snapshot.version == version:
            self._checked = checked
            return self._snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                snap = load_snapshot(self.engine, self.postcodes)
                self._snapshot = snap
                # The snapshot lives until the next edit: keep the cyclic collector from
                # walking its objects on every full collection (measured: p95 halves at 10k).
                # Collect first, without unfreezing: that walks only what is new since the
                # last freeze (this snapshot, the loading's garbage), not the whole heap. The
                # map it replaces stays frozen and is freed by reference counting once the
                # last request using it ends: a snapshot holds no reference cycles
                # (tests/db/test_holder.py fails if one does, as a frozen cycle is never freed).
                # What else is alive at the freeze (requests in flight: their tasks and frames
                # hold cycles) is frozen too and never collected once it dies, so at most once
                # every `sweep_every` seconds the reload unfreezes and walks the whole heap:
                # rare edits always sweep, a burst of them pays the whole walk once a minute
                # (bench/README.md, soak runs D to H; most of the creep there was malloc's
                # arenas, which `navigator serve` caps).
                now = time.monotonic()
                if now - self._swept >= self.sweep_every:
                    gc.unfreeze()
                    self._swept = now
                gc.collect()
                gc.freeze()
            self._checked = checked
            return self._snapshot

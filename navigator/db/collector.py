"""The cyclic garbage collector, paused while a whole map is read or written."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the block, as it was afterwards.

    Reading or writing a whole map makes hundreds of thousands of objects that live as long as
    the read map (or the write), and the collector walks every one of them again each time it
    runs: at 10,000 services that was over a third of the read and a sixth of the write
    (bench/README.md). Whatever the block leaves in cycles is collected once the collector is
    back on; MapHolder collects and freezes right after a load."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

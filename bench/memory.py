"""A process's own memory, for the benchmarks: imports nothing of the navigator, so a figure taken
right after it is the interpreter's alone."""

from __future__ import annotations

from pathlib import Path


def rss_mb() -> tuple[float, float]:
    """This process's resident memory now and at its peak, MB (Linux /proc)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]

"""Key checks: what a wrong key costs with a live prefix and an unknown one (they must match),
what a live key costs once remembered, and how much a flood of wrong keys slows other requests.

    python bench/bench_auth.py

One server process on 127.0.0.1, SQLite, the rate limit lifted so the wrong keys reach scrypt.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.soak import Conn, server


def ms(xs: list[float]) -> str:
    xs = sorted(x * 1000 for x in xs)
    p95 = xs[min(len(xs) - 1, int(len(xs) * 0.95))]
    return f"median {statistics.median(xs):.1f} ms, p95 {p95:.1f} ms (n={len(xs)})"


async def timed(conn: Conn, path: str, key: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        await conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
        out.append(time.perf_counter() - t)
    return out


async def run(port: int, key: str) -> None:
    prefix = key.split("_")[1]
    conn = Conn(port)
    audit = "/api/v1/audit?per_page=1"
    cases = {
        "wrong secret, live prefix": f"nav_{prefix}_wrong-secret",
        "wrong secret, unknown prefix": "nav_00000000_wrong-secret",
        "malformed key": "not-a-key",
        "the live key (remembered after its first check)": key,
    }
    await timed(conn, audit, key, 3)  # warm
    for label, bearer in cases.items():
        print(f"{label}: {ms(await timed(conn, audit, bearer, 20))}")

    async def reads(seconds: float) -> list[float]:
        reader = Conn(port)
        out = []
        stop = time.monotonic() + seconds
        while time.monotonic() < stop:
            t = time.perf_counter()
            await reader.request("GET", "/api/v1/services?per_page=1")
            out.append(time.perf_counter() - t)
        reader.close()
        return out

    print(f"other requests, quiet: {ms(await reads(3.0))}")
    stop = time.monotonic() + 5.0

    async def flood() -> None:
        c = Conn(port)
        while time.monotonic() < stop:
            await c.request("GET", audit, headers={"Authorization": f"Bearer nav_{prefix}_guess"})
        c.close()

    floods = [asyncio.create_task(flood()) for _ in range(16)]
    during = await reads(4.5)
    await asyncio.gather(*floods)
    print(f"other requests, during 16 parallel wrong keys (live prefix): {ms(during)}")
    conn.close()


def main() -> None:
    os.environ["NAVIGATOR_AUTH_FAILURES_PER_MINUTE"] = "100000"
    with (
        tempfile.TemporaryDirectory(prefix="navigator-auth-") as folder,
        server(Path(folder), workers=1) as (port, _proc, key),
    ):
        asyncio.run(run(port, key))


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        print(exc.stderr)
        raise

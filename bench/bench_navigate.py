"""Navigate: the engine in-process (seed and a synthetic 10,000-service map), over HTTP against
/healthz in the same run (the seed, and the 10,000-service worst case), and cold start from an
empty data folder to the first 200."""

from __future__ import annotations

import datetime as dt
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# Only when run as a script: bench_load's --baseline steps import this module with another
# revision's navigator first on the path, which this must not push back behind ours.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import summary, synthetic_map, timed, write_map
from navigator.core.family import Family
from navigator.core.geography import PostcodeTable
from navigator.core.seedfile import load_seed
from navigator.core.snapshot import Snapshot
from navigator.db import connection
from navigator.settings import DEFAULT_SEED, POSTCODE_DIR

BODY = {
    "postcode": "BD21 1AA",
    "stage": "postnatal",
    "child_age_months": 7,
    "needs": ["parent_infant_relationship", "perinatal_mental_health"],
    "level": "universal_plus",
    "from_service": "health-visiting",
}
FAMILY = Family.model_validate(BODY)
DAY = dt.date(2025, 6, 1)


def engine(label: str, snap: Snapshot, repeat: int) -> None:
    first = timed(lambda: snap.navigate(FAMILY, DAY), 1)[0]  # builds the day's graph
    gc.collect()
    gc.freeze()  # as the server does after building a snapshot
    result = snap.navigate(FAMILY, DAY)
    listed = len(result.recommendations) + len(result.not_eligible)
    total = result.totals.recommendations + result.totals.not_eligible
    print(f"{label}: first request {first * 1000:.1f} ms; {listed} of {total} services listed")
    print(summary(f"{label}, later requests", timed(lambda: snap.navigate(FAMILY, DAY), repeat)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(data_dir: str, port: int) -> tuple[subprocess.Popen[bytes], float]:
    env = {**os.environ, "NAVIGATOR_DATA_DIR": data_dir}
    env.pop("NAVIGATOR_DATABASE_URL", None)
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "navigator", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc, time.perf_counter() - t
        except httpx.TransportError:
            time.sleep(0.02)


def main() -> None:
    table = PostcodeTable.load(POSTCODE_DIR)
    engine(
        "engine, seed map", Snapshot(map=load_seed(DEFAULT_SEED), version=1, postcodes=table), 300
    )
    for label, vocabulary in (("directory mix, 200 need codes", 200), ("worst case", 0)):
        big = Snapshot(map=synthetic_map(10_000, vocabulary=vocabulary), version=1, postcodes=table)
        engine(f"engine, 10,000 services, {label}", big, 100)

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc, cold = serve(tmp, port)
        print(f"cold start (empty data folder, seed load, first 200): {cold:.2f} s")
        try:
            over_http(port, "seed", 500)
        finally:
            proc.terminate()
            proc.wait()

    # The worst case over HTTP: 10,000 services stored, every early-years need (the engine's
    # worst case above), the whole answer serialised; against /healthz in the same run.
    with tempfile.TemporaryDirectory() as tmp:
        database = connection.make_engine(f"sqlite:///{Path(tmp) / 'navigator.db'}")
        write_map(database, synthetic_map(10_000, vocabulary=0))
        database.dispose()
        port = free_port()
        proc, _ = serve(tmp, port)
        try:
            over_http(port, "10,000 services, worst case", 100)
        finally:
            proc.terminate()
            proc.wait()


def over_http(port: int, label: str, repeat: int) -> None:
    """POST /api/v1/navigate against GET /healthz, interleaved so both see the same load."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for _ in range(20):  # warm up both paths (the first navigate builds the day's graph)
            client.get("/healthz")
            client.post("/api/v1/navigate", json=BODY)
        health, nav = [], []
        for _ in range(repeat):
            health += timed(lambda: client.get("/healthz"), 1)
            nav += timed(lambda: client.post("/api/v1/navigate", json=BODY), 1)
    print(summary("HTTP /healthz", health))
    print(summary(f"HTTP POST /api/v1/navigate ({label})", nav))
    ratio = sorted(nav)[len(nav) // 2] / sorted(health)[len(health) // 2]
    print(f"navigate ({label}) / healthz median ratio: {ratio:.2f}x")


if __name__ == "__main__":
    main()

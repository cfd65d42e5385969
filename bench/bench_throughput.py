"""Production figures: cold start and memory by map size, the per-request map version check, and
POST /api/v1/navigate throughput with 1 and 2 uvicorn workers.

    python bench/bench_throughput.py [--quick] [--sizes 1000,10000,50000] [--skip-postgres]

Load comes from a separate process (asyncio + httpx, a fixed number of concurrent connections,
bounded in requests and in time), on 127.0.0.1 only. PostgreSQL figures use
$NAVIGATOR_BENCH_POSTGRES_URL, else a throwaway cluster like the tests' (skipped without one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_navigate import BODY, free_port
from bench.common import families
from bench.memory import rss_mb
from navigator.settings import DEFAULT_SEED, POSTCODE_DIR

# --- cold start and memory, in a fresh process per size ---------------------------------------


def cold_start_child(url: str) -> None:
    """Run in a fresh process: what a replica does at start, timed, then its memory."""
    t0 = time.perf_counter()
    from sqlmodel import Session

    from navigator.core.family import Family
    from navigator.core.geography import PostcodeTable
    from navigator.core.snapshot import Snapshot
    from navigator.db import connection, store

    out: dict[str, float] = {"imports_s": time.perf_counter() - t0}
    rss_before, _ = rss_mb()
    t = time.perf_counter()
    postcodes = PostcodeTable.load(POSTCODE_DIR)
    out["postcodes_s"] = time.perf_counter() - t
    engine = connection.make_engine(url)
    t = time.perf_counter()
    with Session(engine) as session:
        m = store.load_map(session)
        version = store.map_version(session)
    out["map_from_db_s"] = time.perf_counter() - t
    t = time.perf_counter()
    snap = Snapshot(map=m, version=version, postcodes=postcodes)
    snap.graph  # noqa: B018 - built on first use; a replica's first request pays it
    out["snapshot_s"] = time.perf_counter() - t
    import datetime as dt

    t = time.perf_counter()
    snap.navigate(Family.model_validate(BODY), dt.date(2025, 6, 1))
    out["first_navigate_s"] = time.perf_counter() - t
    out["rss_mb"], out["peak_rss_mb"] = rss_mb()
    out["rss_at_imports_mb"] = rss_before
    engine.dispose()
    print(json.dumps(out))


def cold_start(sizes: list[int]) -> None:
    from bench.common import synthetic_map, write_map
    from navigator.db import connection

    print("\n## Cold start and memory (SQLite file, synthetic maps, directory mix)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            m = synthetic_map(n, vocabulary=200)
            engine = connection.make_engine(url)
            load_s = write_map(engine, m)
            engine.dispose()
            size_mb = Path(f"{tmp}/bench.db").stat().st_size / 1e6
            child = subprocess.run(
                [sys.executable, __file__, "--cold-start-child", url],
                capture_output=True,
                text=True,
                check=True,
            )
            r = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                f"{n:>6,} services, {len(m.edges):>7,} edges: load into SQLite {load_s:.1f} s "
                f"({size_mb:.0f} MB); start: imports {r['imports_s']:.2f} s, "
                f"postcodes {r['postcodes_s'] * 1000:.0f} ms, "
                f"map from DB {r['map_from_db_s']:.2f} s, "
                f"snapshot+graph {r['snapshot_s']:.2f} s, first navigate "
                f"{r['first_navigate_s'] * 1000:.0f} ms; RSS {r['rss_mb']:.0f} MB "
                f"(peak {r['peak_rss_mb']:.0f}, after imports {r['rss_at_imports_mb']:.0f})"
            )


# --- the per-request version check ------------------------------------------------------------


def version_check(urls: dict[str, str], repeat: int) -> None:
    """What each request pays to learn whether its map is current, against a TTL's nothing."""
    from sqlalchemy import Engine
    from sqlmodel import Session

    from bench.common import summary, timed
    from navigator.db import connection, migrations, store
    from navigator.db.seeding import seed_database

    print("\n## Per-request map version check (in-process)")
    for label, url in urls.items():
        engine = connection.make_engine(url)
        migrations.upgrade(engine)
        seed_database(engine, DEFAULT_SEED)

        def check(engine: Engine = engine) -> None:
            with Session(engine) as s:
                store.map_version(s)

        def session_only(engine: Engine = engine) -> None:
            with Session(engine) as s:
                s.is_active  # noqa: B018 - a TTL still opens the request's session, unused

        for _ in range(200):
            check()
        print(summary(f"{label}: session + keyed read of map_version", timed(check, repeat)))
        print(summary(f"{label}: session only (a TTL's cost)", timed(session_only, repeat)))
        engine.dispose()


# --- throughput over HTTP ---------------------------------------------------------------------


@contextlib.contextmanager
def server(env: dict[str, str], workers: int, *, access_log: bool = True) -> Iterator[str]:
    import httpx

    port = free_port()
    full_env = {**os.environ, **env, "NAVIGATOR_ACCESS_LOG": str(access_log).lower()}
    if "NAVIGATOR_DATABASE_URL" not in env:
        full_env.pop("NAVIGATOR_DATABASE_URL", None)
    command = [sys.executable, "-m", "navigator", "serve", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        # With several workers, warm each one (its first navigate builds the day's graph).
        with httpx.Client(base_url=base) as client:
            for _ in range(20 * workers):
                client.post("/api/v1/navigate", json=BODY)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def _drive(url: str, method: str, requests: int, concurrency: int, limit_s: float) -> None:
    """`concurrency` connections, each its own client: one shared httpx pool of many
    connections caps out near 700 req/s on this machine (measured against a bare ASGI app),
    whereas a client per connection reaches several thousand."""
    import httpx

    latencies: list[float] = []
    errors = 0
    body = json.dumps(BODY).encode() if method == "POST" else None
    headers = {"content-type": "application/json"} if body else {}
    next_index = 0
    deadline = time.perf_counter() + limit_s

    async def connection(i: int) -> None:
        nonlocal next_index, errors
        # Connections open a few ms apart, as clients do, not in the same microsecond: with
        # several workers on one socket, a burst is accepted whole by whichever wakes first.
        await asyncio.sleep(i * 0.01)
        async with httpx.AsyncClient(timeout=10) as client:
            while next_index < requests and time.perf_counter() < deadline:
                next_index += 1
                t = time.perf_counter()
                r = await client.request(method, url, content=body, headers=headers)
                latencies.append(time.perf_counter() - t)
                if r.status_code != 200:
                    errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(connection(i) for i in range(concurrency)))
    elapsed = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    print(
        json.dumps(
            {
                "requests": len(ms),
                "errors": errors,
                "rate": len(ms) / elapsed,
                "median_ms": statistics.median(ms),
                "p95_ms": ms[int(len(ms) * 0.95)],
            }
        )
    )


def load(url: str, method: str, requests: int, concurrency: int, limit_s: float) -> dict[str, Any]:
    """Drive load from a separate process, so the client's CPU is not the server's."""
    run = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load-child",
            json.dumps([url, method, requests, concurrency, limit_s]),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"load generator failed: {run.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    return result


def throughput(databases: dict[str, dict[str, str]], requests: int, concurrency: int) -> None:
    print(
        f"\n## Throughput over HTTP (seed map; {concurrency} connections, {requests} requests "
        "per run, load from a separate process)"
    )
    for label, env in databases.items():
        for workers in (1, 2):
            with server(env, workers) as base:
                for path, method in (("/api/v1/navigate", "POST"), ("/healthz", "GET")):
                    r = load(base + path, method, requests, concurrency, 60.0)
                    print(
                        f"{label}, {workers} worker(s), {method} {path}: {r['rate']:.0f} req/s, "
                        f"median {r['median_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms "
                        f"({r['requests']} requests, {r['errors']} errors)"
                    )


# --- throughput with wrk, navigate against /healthz in alternating rounds ------------------------


def wrk(url: str, *, seconds: float, connections: int, script: Path | None) -> float:
    """Requests a second from one wrk run (a C load generator: it takes far less of the CPU
    than a Python one, so more of it is left to the server)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s"]
    if script is not None:
        command += ["-s", str(script)]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    if "Non-2xx" in done.stdout:  # a rate of errors would be no figure at all
        raise RuntimeError(f"{url} answered with errors: {done.stdout}")
    for line in done.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"no rate in wrk's output: {done.stdout}")


def wrk_rounds(
    databases: dict[str, dict[str, str]], rounds: int, seconds: float, connections: int
) -> None:
    """Per database and number of workers: `rounds` rounds of navigate (one body again and
    again, and 256 different families in turn), /healthz and /readyz, access log off; medians,
    and the median of each round's ratios.

    /readyz asks the database through the thread pool, as /healthz did when the goal of 0.9x
    was set (issue #17); /healthz now answers without it, so it measures the server alone."""
    import shutil

    if shutil.which("wrk") is None:
        print("\n(wrk not installed: wrk rounds skipped)")
        return
    print(
        f"\n## Throughput with wrk (seed map; -t1 -c{connections}, {rounds} alternating rounds "
        f"of {seconds:g} s, access log off)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "navigate.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = {json.dumps(json.dumps(BODY))}\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        # Each connection sends the next of 256 families: what the remembered tables (kinds of
        # family, practitioners' routes) save when the questions differ.
        varied = Path(tmp) / "families.lua"
        bodies = ",\n".join(json.dumps(json.dumps(b)) for b in families(256))
        varied.write_text(
            f"local bodies = {{\n{bodies}\n}}\n"
            "local i = 0\n"
            'local headers = {["Content-Type"] = "application/json"}\n'
            "request = function()\n"
            "  i = i % #bodies + 1\n"
            '  return wrk.format("POST", nil, headers, bodies[i])\n'
            "end\n"
        )
        for label, env in databases.items():
            for workers in (1, 2):
                with server(env, workers, access_log=False) as base:
                    rates: dict[str, list[float]] = {
                        "navigate": [], "varied": [], "healthz": [], "readyz": []
                    }  # fmt: skip
                    for _ in range(rounds):
                        for name, path, lua in (
                            ("navigate", "/api/v1/navigate", script),
                            ("varied", "/api/v1/navigate", varied),
                            ("healthz", "/healthz", None),
                            ("readyz", "/readyz", None),
                        ):
                            rates[name].append(
                                wrk(f"{base}{path}", seconds=seconds, connections=connections,
                                    script=lua)
                            )  # fmt: skip
                    nav = rates["navigate"]
                    words = [f"{label}, {workers} worker(s): POST /api/v1/navigate "
                             f"{statistics.median(nav):,.0f} req/s (256 families in turn: "
                             f"{statistics.median(rates['varied']):,.0f})"]  # fmt: skip
                    for name in ("healthz", "readyz"):
                        ratios = [n / r for n, r in zip(nav, rates[name], strict=True)]
                        words.append(
                            f"GET /{name} {statistics.median(rates[name]):,.0f} req/s, navigate "
                            f"/ {name} {statistics.median(ratios):.2f}x "
                            f"({min(ratios):.2f} to {max(ratios):.2f})"
                        )
                    print("; ".join(words))


# --- PostgreSQL, when there is one -------------------------------------------------------------


@contextlib.contextmanager
def postgres(skip: bool) -> Iterator[str | None]:
    """A database URL on PostgreSQL: the given server, a throwaway cluster, or None."""
    if skip:
        yield None
        return
    given = os.environ.get("NAVIGATOR_BENCH_POSTGRES_URL")
    if given:
        yield given
        return
    from tests.conftest import PgServer, _pg_bindir, _throwaway_cluster

    bindir = _pg_bindir()
    if bindir is None:
        print("(no PostgreSQL binaries: PostgreSQL figures skipped)")
        yield None
        return
    with _throwaway_cluster(bindir) as url:
        pg = PgServer(url)
        db = pg.create_database()
        try:
            yield db
        finally:
            pg.drop_database(db)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes and counts")
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--only", choices=["cold", "check", "http", "wrk"], help="one section")
    parser.add_argument("--rounds", type=int, default=5, help="wrk rounds per server")
    parser.add_argument("--seconds", type=float, default=3.0, help="each wrk round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--cold-start-child")
    parser.add_argument("--load-child")
    args = parser.parse_args()
    if args.cold_start_child:
        cold_start_child(args.cold_start_child)
        return
    if args.load_child:
        url, method, requests, concurrency, limit_s = json.loads(args.load_child)
        asyncio.run(_drive(url, method, requests, concurrency, limit_s))
        return

    sizes = [1000] if args.quick else [int(x) for x in args.sizes.split(",")]
    requests = 500 if args.quick else 4000
    print(f"# bench_throughput: {os.cpu_count()} CPUs")
    if args.only in (None, "cold"):
        cold_start(sizes)
    if args.only == "cold":
        return
    with tempfile.TemporaryDirectory() as tmp, postgres(args.skip_postgres) as pg_url:
        urls = {"SQLite file": f"sqlite:///{tmp}/check.db"}
        if pg_url:
            urls["PostgreSQL"] = pg_url
        if args.only in (None, "check"):
            version_check(urls, 500 if args.quick else 5000)
        databases = {"SQLite": {"NAVIGATOR_DATA_DIR": f"{tmp}/serve"}}
        if pg_url:
            databases["PostgreSQL"] = {"NAVIGATOR_DATABASE_URL": pg_url}
        if args.only in (None, "http"):
            throughput(databases, requests, concurrency=args.connections)
        if args.only in (None, "wrk"):
            rounds = 2 if args.quick else args.rounds
            wrk_rounds(databases, rounds, args.seconds, args.connections)


if __name__ == "__main__":
    main()

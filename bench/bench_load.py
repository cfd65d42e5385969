"""Loading the map: a whole map written into the database, read back as a server starts, and the
peak memory of that start; cold start to the first navigate with the seed and with a big map.

    python bench/bench_load.py                          # 10,000 services; SQLite and PostgreSQL
    python bench/bench_load.py --baseline main          # the same for the code at a git revision
    python bench/bench_load.py --services 10000,50000,100000 --postcodes 1800000 --engine
                                                        # the whole country (opt-in: minutes, GBs)

Every measurement runs in a fresh process, so each peak RSS (`VmHWM`) is that step's alone.
`--baseline REV` exports REV's `navigator` and `seed` folders (git archive) into a temporary
folder and runs the same steps with that code, in the same run: the figures to compare are the
ratios. Synthetic maps are `common.synthetic_map(n, vocabulary=200)`; synthetic postcodes are
`--postcodes N` made-up unit postcodes spread over 150 authorities of 20 wards each.
PostgreSQL: $NAVIGATOR_BENCH_POSTGRES_URL, else a throwaway cluster like the tests' (skipped
without one, or with --skip-postgres).
"""

from __future__ import annotations

import argparse
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
# BENCH_CODE (set for the steps of --baseline): that code's navigator comes before ours.
sys.path[:0] = [p for p in (os.environ.get("BENCH_CODE"), str(ROOT)) if p]

from bench.memory import rss_mb

# --- the steps, each in a fresh process -------------------------------------------------------


def child_write(url: str, services: int, rewrite: bool) -> dict[str, Any]:
    """Write a synthetic map of `services` into an empty, migrated database (timed); then, if
    `rewrite`, over itself (the baseline's rewrite grows with the square of the rules)."""
    from bench.common import synthetic_map, write_map
    from navigator.db import connection

    m = synthetic_map(services, vocabulary=200)
    engine = connection.make_engine(url)
    write_s = write_map(engine, m)
    # Rewriting a map already there: what `navigator seed` does on a live database.
    rewrite_s = write_map(engine, m, migrate=False) if rewrite else None
    engine.dispose()
    return {"write_s": write_s, "rewrite_s": rewrite_s, "edges": len(m.edges)}


def child_read(url: str, postcode_dir: str) -> dict[str, Any]:
    """What a server does at start, after its imports: postcodes, the map from the database
    (bootstrap.load_snapshot, as the map holder calls it), the referral graph; then memory."""
    import datetime as dt
    import gc

    from bench.bench_navigate import BODY
    from navigator.core.family import Family
    from navigator.core.geography import PostcodeTable
    from navigator.db import bootstrap, connection

    out: dict[str, Any] = {"rss_at_imports_mb": rss_mb()[0]}
    t = time.perf_counter()
    postcodes = PostcodeTable.load(Path(postcode_dir))
    out["postcodes_s"] = time.perf_counter() - t
    out["postcodes"] = len(postcodes)
    out["rss_with_postcodes_mb"] = rss_mb()[0]
    engine = connection.make_engine(url)
    t = time.perf_counter()
    snap = bootstrap.load_snapshot(engine, postcodes)
    out["read_s"] = time.perf_counter() - t
    gc.collect()  # as the map holder does after each load
    gc.freeze()
    t = time.perf_counter()
    snap.graph  # noqa: B018 - built on first use; a replica's first request pays it
    snap.navigate(Family.model_validate(BODY), dt.date(2025, 6, 1))
    out["graph_and_first_navigate_s"] = time.perf_counter() - t
    out["rss_mb"], out["peak_rss_mb"] = rss_mb()
    engine.dispose()
    return out


def child_engine(services: int, repeat: int) -> dict[str, Any]:
    """The navigate engine in-process on a synthetic map (directory mix and worst case)."""
    import datetime as dt
    import gc

    from bench.bench_navigate import FAMILY
    from bench.common import synthetic_map, timed
    from navigator.core.geography import PostcodeTable
    from navigator.core.snapshot import Snapshot
    from navigator.settings import POSTCODE_DIR

    table = PostcodeTable.load(POSTCODE_DIR)
    day = dt.date(2025, 6, 1)
    out: dict[str, Any] = {}
    for label, vocabulary in (("mix", 200), ("worst", 0)):
        snap = Snapshot(
            map=synthetic_map(services, vocabulary=vocabulary), version=1, postcodes=table
        )
        t = time.perf_counter()
        snap.navigate(FAMILY, day)
        out[f"{label}_first_s"] = time.perf_counter() - t
        gc.collect()
        gc.freeze()
        ms = sorted(x * 1000 for x in timed(lambda s=snap: s.navigate(FAMILY, day), repeat))
        out[f"{label}_median_ms"] = statistics.median(ms)
        out[f"{label}_p95_ms"] = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        del snap
        gc.unfreeze()
        gc.collect()
    out["peak_rss_mb"] = rss_mb()[1]
    return out


CHILDREN = {"write": child_write, "read": child_read, "engine": child_engine}


def run_child(code: Path | None, step: str, *args: Any) -> dict[str, Any]:
    env = {**os.environ}
    if code is not None:
        env["BENCH_CODE"] = str(code)
    done = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps([step, *args])],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tempfile.gettempdir(),  # never the repository: its navigator would come first
    )
    if done.returncode != 0:
        raise RuntimeError(f"{step} failed: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- synthetic postcodes ---------------------------------------------------------------------


def synthetic_postcodes(folder: Path, n: int) -> None:
    """`n` made-up unit postcodes in the table's format, over 150 authorities of 20 wards."""
    folder.mkdir(parents=True, exist_ok=True)
    lads = [f"E0{9000000 + i}" for i in range(150)]
    wards = [[f"E0{5900000 + i * 20 + w}" for w in range(20)] for i in range(150)]
    with (folder / "lads.csv").open("w") as fh:
        fh.write("lad_code,name\n")
        fh.writelines(f"{lad},Authority {i}\n" for i, lad in enumerate(lads))
    with (folder / "wards.csv").open("w") as fh:
        fh.write("ward_code,name\n")
        fh.writelines(f"{w},Ward {w}\n" for ws in wards for w in ws)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    with (folder / "postcodes.csv").open("w") as fh:
        fh.write("postcode,lad_code,ward_code\n")
        for k in range(n):
            area = k // 40_000  # 40,000 units an area, ~45 areas
            sector, unit = divmod(k % 40_000, 400)
            outward = f"{letters[area % 20]}{letters[area // 20]}{sector}"
            inward = f"{unit % 10}{letters[(unit // 10) % 20]}{letters[unit // 200]}"
            lad = (k * 150) // n
            fh.write(f"{outward} {inward},{lads[lad]},{wards[lad][k % 20]}\n")


# --- the run ------------------------------------------------------------------------------


@contextlib.contextmanager
def baseline_code(revision: str | None) -> Iterator[Path | None]:
    """`revision`'s navigator and seed folders, exported into a temporary folder."""
    if revision is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "navigator", "seed"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp)


def cold_start(code: Path | None, data_dir: Path) -> float:
    """`navigator serve` on `data_dir`, from the command to the first navigate's 200."""
    import httpx

    from bench.bench_navigate import BODY, free_port

    port = free_port()
    env = {**os.environ, "NAVIGATOR_DATA_DIR": str(data_dir), "PYTHONDONTWRITEBYTECODE": ""}
    env.pop("NAVIGATOR_DATABASE_URL", None)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    t = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "navigator", "serve", "--port", str(port)],
        env=env,
        cwd=tempfile.gettempdir(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/api/v1/navigate", json=BODY, timeout=30)
                if r.status_code == 200:
                    return time.perf_counter() - t
            except httpx.TransportError:
                time.sleep(0.02)
            if proc.poll() is not None:
                raise RuntimeError("the server stopped")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def measure(label: str, code: Path | None, args: argparse.Namespace, pg_url: str | None) -> None:
    sizes = [int(x) for x in args.services.split(",")]
    print(f"\n## {label}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.postcodes:
            postcode_dir = Path(tmp) / "postcodes"
            t = time.perf_counter()
            synthetic_postcodes(postcode_dir, args.postcodes)
            made_s = time.perf_counter() - t
            print(f"({args.postcodes:,} synthetic postcodes written in {made_s:.1f} s)")
        else:
            from navigator.settings import POSTCODE_DIR

            postcode_dir = POSTCODE_DIR
        databases = {"SQLite file": lambda n: f"sqlite:///{tmp}/load-{n}.db"}
        if pg_url is not None:
            databases["PostgreSQL"] = lambda n: pg_url
        for db, url_for in databases.items() if not args.no_load else ():
            for n in sizes:
                url = url_for(n)
                if db == "PostgreSQL":
                    reset_postgres(url)
                w = run_child(code, "write", url, n, code is None)
                r = run_child(code, "read", url, str(postcode_dir))
                postcodes_mb = r["rss_with_postcodes_mb"] - r["rss_at_imports_mb"]
                print(
                    f"{db}, {n:,} services ({w['edges']:,} edges): write {w['write_s']:.2f} s"
                    + (f", rewrite {w['rewrite_s']:.2f} s" if w["rewrite_s"] is not None else "")
                    + "; start: map from the database "
                    + f"{r['read_s']:.2f} s, graph + first navigate "
                    f"{r['graph_and_first_navigate_s']:.2f} s; postcodes ({r['postcodes']:,}) "
                    f"{r['postcodes_s']:.2f} s, +{postcodes_mb:.0f} MB; "
                    f"RSS {r['rss_mb']:.0f} MB, peak {r['peak_rss_mb']:.0f} MB "
                    f"(after imports {r['rss_at_imports_mb']:.0f})"
                )
        if not args.no_cold:
            seed_dir, big_dir = Path(tmp) / "cold-seed", Path(tmp) / "cold-big"
            n = sizes[0]
            big_dir.mkdir()
            run_child(code, "write", f"sqlite:///{big_dir}/navigator.db", n, False)
            seeded, big = [], []
            for i in range(3):  # alternating, so both see the same machine
                seeded.append(cold_start(code, Path(f"{seed_dir}-{i}")))
                big.append(cold_start(code, big_dir))
            s, b = statistics.median(seeded), statistics.median(big)
            print(
                f"cold start to the first navigate (median of 3): seed, empty data folder "
                f"{s:.2f} s; {n:,} services stored {b:.2f} s ({b / s:.2f}x)"
            )
    if args.engine:
        for n in sizes:
            e = run_child(code, "engine", n, max(5, min(30, 300_000 // n)))
            print(
                f"engine, {n:,} services: directory mix median {e['mix_median_ms']:.1f} ms, "
                f"p95 {e['mix_p95_ms']:.1f} ms (first {e['mix_first_s']:.2f} s); worst case "
                f"median {e['worst_median_ms']:.0f} ms, p95 {e['worst_p95_ms']:.0f} ms "
                f"(first {e['worst_first_s']:.2f} s); peak RSS {e['peak_rss_mb']:.0f} MB"
            )


def reset_postgres(url: str) -> None:
    """Every table dropped, so the next write starts from an empty database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", default="10000", help="sizes, comma-separated")
    parser.add_argument("--postcodes", type=int, default=0, help="synthetic postcodes (opt-in)")
    parser.add_argument("--engine", action="store_true", help="the engine at each size too")
    parser.add_argument("--baseline", help="also measure the code at this git revision")
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--no-cold", action="store_true", help="no cold starts")
    parser.add_argument("--no-load", action="store_true", help="no writes and reads")
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        step, *rest = json.loads(args.child)
        print(json.dumps(CHILDREN[step](*rest)))
        return
    from bench.bench_throughput import postgres

    print(f"# bench_load: {os.cpu_count()} CPUs")
    with postgres(args.skip_postgres) as pg_url:
        with baseline_code(args.baseline) as code:
            if code is not None:
                measure(f"baseline: {args.baseline}", code, args, pg_url)
        measure("this code", None, args, pg_url)


if __name__ == "__main__":
    main()

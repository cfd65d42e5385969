"""Postcode table load, lookups per second, seed validation and load into SQLite."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import summary, timed
from navigator.core.geography import PostcodeTable, locate
from navigator.core.seedfile import load_seed
from navigator.db import connection, store
from navigator.db.seeding import seed_database
from navigator.settings import DEFAULT_SEED, POSTCODE_DIR


def main() -> None:
    loads = timed(PostcodeTable.load, 5)
    print(summary("postcode table load (74,856 units)", loads))
    table = PostcodeTable.load(POSTCODE_DIR)
    m = load_seed(DEFAULT_SEED)
    codes = list(table.units)[:20000]
    t = time.perf_counter()
    for c in codes:
        locate(c, table=table, areas=m.areas)
    rate = len(codes) / (time.perf_counter() - t)
    print(f"locate (normalise + lookup + areas): {rate:,.0f} lookups/s")
    print(summary("seed parse + validate", timed(load_seed, 5)))
    with tempfile.TemporaryDirectory() as tmp:
        engine = connection.make_engine(f"sqlite:///{tmp}/bench.db")
        connection.create_tables(engine)
        print(
            summary(
                "seed load into SQLite (validate + replace)",
                timed(lambda: seed_database(engine, DEFAULT_SEED), 5),
            )
        )
        from sqlmodel import Session

        def build() -> None:
            with Session(engine) as s:
                store.load_map(s)

        print(summary("map build from SQLite", timed(build, 5)))


if __name__ == "__main__":
    main()

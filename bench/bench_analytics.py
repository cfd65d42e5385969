"""Commissioners' analytics: overlap, gaps, what-if and network at seed scale and on synthetic
10,000-service maps (a directory mix of 200 need codes, and the worst case where every service
keeps its early-years needs)."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import summary, synthetic_map, timed
from navigator.core import analytics
from navigator.core.geography import PostcodeTable
from navigator.core.models import Level, Map
from navigator.core.seedfile import load_seed
from navigator.core.snapshot import Snapshot
from navigator.settings import DEFAULT_SEED, POSTCODE_DIR

DAY = dt.date(2025, 6, 1)
NEED = "parent_infant_relationship"


def run(label: str, snap: Snapshot, repeat: int) -> None:
    index_s = timed(lambda: snap.area_index, 1)[0]  # once per snapshot, then cached
    m, index = snap.map, snap.area_index
    print(f"{label}: area index built in {index_s * 1000:.1f} ms ({index.size} postcodes)")
    result = analytics.overlap(map=m, index=index, as_of=DAY)
    print(
        summary(
            f"{label}, overlap (top {len(result.pairs)} pairs)",
            timed(lambda: analytics.overlap(map=m, index=index, as_of=DAY), repeat),
        )
    )
    print(
        summary(
            f"{label}, overlap (limit 5000)",
            timed(lambda: analytics.overlap(map=m, index=index, as_of=DAY, limit=5000), repeat),
        )
    )
    gaps = analytics.gaps(map=m, index=index, need=NEED, level=Level.targeted, as_of=DAY)
    print(
        summary(
            f"{label}, gaps ({len(gaps.cells)} cells, {sum(c.gap for c in gaps.cells)} gaps)",
            timed(
                lambda: analytics.gaps(
                    map=m, index=index, need=NEED, level=Level.targeted, as_of=DAY
                ),
                repeat,
            ),
        )
    )
    lmm = m.services_by_id["little-minds-matter"]
    clone = lmm.model_copy(update={"id": "proposed-clone", "name": "Proposed clone"})
    print(
        summary(
            f"{label}, what-if (LMM clone)",
            timed(
                lambda: analytics.what_if(
                    map=m, index=index, graph=snap.graph, proposal=clone, as_of=DAY
                ),
                max(1, repeat // 5),
            ),
        )
    )
    wards = [w.code for w in index.wards[:3]]
    minimal = analytics.Proposal(
        name="Proposed in three wards", needs=[NEED], levels=[Level.targeted], ward_codes=wards
    )
    print(
        summary(
            f"{label}, what-if (minimal proposal, 3 wards)",
            timed(
                lambda: analytics.what_if(
                    map=m, index=index, graph=snap.graph, proposal=minimal, as_of=DAY
                ),
                max(1, repeat // 5),
            ),
        )
    )
    print(
        summary(
            f"{label}, network",
            timed(lambda: analytics.network(map=m, graph=snap.graph, as_of=DAY), 1),
        )
    )


def all_different(n: int) -> Map:
    """Beyond the targets: three of the seed's 20 needs each and an age window of their own,
    so no two services share a profile and four in ten pairs share a need (20M pairs)."""
    m = synthetic_map(n, vocabulary=20)
    rng = random.Random(3)
    services = []
    for s in m.services:
        lo = rng.randint(-9, 60)
        services.append(
            s.model_copy(update={"min_age_months": lo, "max_age_months": lo + rng.randint(1, 60)})
        )
    return m.model_copy(update={"services": services})


def main() -> None:
    table = PostcodeTable.load(POSTCODE_DIR)
    run("seed map", Snapshot(map=load_seed(DEFAULT_SEED), version=1, postcodes=table), 50)
    for label, vocabulary in (("directory mix, 200 need codes", 200), ("worst case", 0)):
        big = Snapshot(map=synthetic_map(10_000, vocabulary=vocabulary), version=1, postcodes=table)
        run(f"10,000 services, {label}", big, 3)
    run(
        "10,000 services, all different, 20 need codes",
        Snapshot(map=all_different(10_000), version=1, postcodes=table),
        3,
    )


if __name__ == "__main__":
    main()

"""Shared helpers for the benchmark scripts: timing, a synthetic map of any size, and writing a
map into a database."""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from navigator.core.models import Edge, EdgeKind, Map, Need, Service
from navigator.core.seedfile import load_seed
from navigator.settings import DEFAULT_SEED

if TYPE_CHECKING:
    from sqlalchemy import Engine


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def summary(label: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"{label}: median {statistics.median(ms):.3f} ms, p95 {p95:.3f} ms (n={len(ms)})"


def families(count: int, *, seed: int = 17) -> list[dict[str, object]]:
    """`count` made-up navigate bodies: postcodes from the shipped table (four in five in
    Bradford's BD district, the rest from its neighbours), every stage, ages, one to three
    needs, every level, and a few practitioners' services or none. A load of one body repeated
    would find every remembered table warm; real questions are not all alike."""
    from navigator.settings import POSTCODE_DIR

    rng = random.Random(seed)
    with (POSTCODE_DIR / "postcodes.csv").open() as fh:
        postcodes = [line.split(",", 1)[0] for line in fh.readlines()[1:]]
    bradford = [p for p in postcodes if p.startswith("BD")]
    base = load_seed(DEFAULT_SEED)
    codes = [n.code for n in base.needs]
    sources = [None, "health-visiting", "midwifery", "gp-practices", "family-hubs"]
    out: list[dict[str, object]] = []
    for _ in range(count):
        body: dict[str, object] = {
            "postcode": rng.choice(bradford if rng.random() < 0.8 else postcodes),
            "needs": rng.sample(codes, rng.randint(1, 3)),
            "level": rng.choice(["universal", "universal_plus", "targeted", "specialist"]),
        }
        if rng.random() < 0.3:
            body["stage"] = "antenatal"
            body["weeks_pregnant"] = rng.randint(8, 40)
        else:
            body["stage"] = "postnatal"
            body["child_age_months"] = rng.randint(0, 36)
        if source := rng.choice(sources):
            body["from_service"] = source
        out.append(body)
    return out


def synthetic_map(n: int, *, vocabulary: int = 0, seed: int = 7) -> Map:
    """The real seed, then clones of its services up to `n`, with three random edges each.

    vocabulary=0: every clone keeps its early-years needs (the worst case: about 43% of all
    services meet a typical family's needs). vocabulary=K: clones draw three needs from the
    seed's plus K-20 other codes, as in a general directory where most services are about
    something else.
    """
    base = load_seed(DEFAULT_SEED)
    rng = random.Random(seed)
    needs = list(base.needs)
    for k in range(max(0, vocabulary - len(needs))):
        needs.append(Need(code=f"other_{k}", label=f"Other {k}", description="-", group="Other"))
    codes = [nd.code for nd in needs]
    services: list[Service] = list(base.services)
    for i in range(len(services), n):
        tmpl = base.services[i % len(base.services)]
        update: dict[str, object] = {"id": f"{tmpl.id}-{i}", "name": f"{tmpl.name} {i}"}
        if vocabulary:
            update["needs"] = rng.sample(codes, 3)
        services.append(tmpl.model_copy(update=update))
    ids = [s.id for s in services]
    edges = list(base.edges) + [
        Edge(source=rng.choice(ids), target=rng.choice(ids), kind=rng.choice(list(EdgeKind)))
        for _ in range(3 * (n - len(base.services)))
    ]
    return base.model_copy(update={"services": services, "edges": edges, "needs": needs})


def write_map(engine: Engine, m: Map, *, migrate: bool = True) -> float:
    """Write `m` over whatever the database holds (migrating it first unless `migrate` is
    False), in one transaction; the seconds the write and its commit took."""
    from sqlmodel import Session

    from navigator.db import migrations, store

    if migrate:
        migrations.upgrade(engine)
    t = time.perf_counter()
    with Session(engine) as session:
        store.replace_map(session, m)
        session.commit()
    return time.perf_counter() - t

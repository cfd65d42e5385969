"""Typo-tolerant search over service names, aliases and former names."""

from __future__ import annotations

from rapidfuzz import fuzz, process, utils

from navigator.core.models import Service

# WRatio scores 0-100; below this a match is more likely noise than a typo.
MIN_SCORE = 80


def search_services(query: str, services: list[Service]) -> list[Service]:
    """Services whose name, an alias or a former name matches `query`, best match first."""
    query = query.strip()
    if not query:
        return list(services)
    names: list[str] = []
    owner: list[int] = []
    for i, s in enumerate(services):
        for name in (s.name, s.id, *s.aliases, *s.former_names):
            names.append(name)
            owner.append(i)
    best: dict[int, float] = {}
    for _name, score, j in process.extract(
        query,
        names,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        score_cutoff=MIN_SCORE,
        limit=None,
    ):
        i = owner[j]
        best[i] = max(best.get(i, 0.0), score)
    return [services[i] for i in sorted(best, key=lambda i: (-best[i], i))]

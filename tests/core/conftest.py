"""The core's tests run fastest first: the small table-driven modules before those that load the
whole seed. Nothing depends on the order; mutation testing (`make mutation`) stops at the first
failing test, so a mutant is usually caught in milliseconds instead of after the analytics'
minute of fixtures."""

from __future__ import annotations

import pytest

FIRST = (
    "test_decide.py",
    "test_wording.py",
    "test_pathways.py",
    "test_navigate_policy.py",
    "test_navigate_answer.py",
    "test_ranking_table.py",
    "test_properties.py",
)
LAST = ("test_analytics.py",)


def _rank(item: pytest.Item) -> int:
    name = item.path.name
    if name in FIRST:
        return FIRST.index(name)
    return len(FIRST) + (1 if name in LAST else 0)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: each module keeps its own order

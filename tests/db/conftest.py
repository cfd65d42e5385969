"""Fixtures for the database tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from navigator.db import connection, migrations


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An empty database (SQLite in memory, or a fresh PostgreSQL one), migrated to the newest
    schema. Modules that need another start define their own."""
    engine = connection.make_engine(database_url)
    migrations.upgrade(engine)
    yield engine
    engine.dispose()

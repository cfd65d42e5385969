from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from navigator.config import Settings
from navigator.models import Map
from navigator.postcodes import PostcodeTable
from navigator.seed import DEFAULT_SEED, load_seed

DATA = Path(__file__).parent / "data"
MINI_SEED = DATA / "mini.yaml"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need_tool(path: str, why: str) -> None:
    """Skip when a tool is missing on a laptop; fail under CI=true, where it must be there."""
    if shutil.which(path) or Path(path).exists():
        return
    if IN_CI:
        pytest.fail(f"{path} is required under CI=true: {why}")
    pytest.skip(f"{path} not installed: {why}")


@pytest.fixture(scope="session")
def postcodes() -> PostcodeTable:
    return PostcodeTable.load()


@pytest.fixture(scope="session")
def mini_map() -> Map:
    return load_seed(MINI_SEED)


@pytest.fixture(scope="session")
def seed_map() -> Map:
    return load_seed(DEFAULT_SEED)


def _client(seed: Path, database_url: str = "sqlite://") -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, seed_file=seed)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def mini_client() -> Iterator[TestClient]:
    """The API over a fresh in-memory database holding the mini map."""
    yield from _client(MINI_SEED)


@pytest.fixture(scope="module")
def seed_client() -> Iterator[TestClient]:
    """The API over the real seed (shared by a module's tests: read-only use only)."""
    yield from _client(DEFAULT_SEED)

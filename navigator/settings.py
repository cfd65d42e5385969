"""Settings, from NAVIGATOR_* environment variables; shared by the CLI and the API."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# The repository's (or the image's) seed folder: the map and the postcode table.
SEED_DIR = Path(__file__).resolve().parent.parent / "seed"
DEFAULT_SEED = SEED_DIR / "services.yaml"
POSTCODE_DIR = SEED_DIR / "postcodes"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NAVIGATOR_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, description="Any SQLAlchemy URL; default: a SQLite file under data_dir"
    )
    seed_file: Path = DEFAULT_SEED
    map_check_interval: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="Seconds between checks of the stored map's version (0: every request)",
    )
    postcode_dir: Path = Field(
        default=POSTCODE_DIR, description="The postcode table (postcodes.csv, lads.csv, wards.csv)"
    )
    cors_origins: list[str] = Field(default=[], description="Origins of other trust systems")
    public_base_url: str | None = Field(
        default=None,
        description="Where the public reaches this service, e.g. https://navigator.example.org: "
        "the base of FHIR code systems, identifiers and links (default: the URL a request came "
        "in on; for command-line exports, http://127.0.0.1:8000)",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    read_key_required: bool = Field(
        default=False, description="Private deployments: every read needs an API key too"
    )
    auth_failures_per_minute: int = Field(
        default=10,
        ge=1,
        le=100_000,
        description="Wrong keys (sign-in or Bearer) a client, or a key prefix, may send a minute "
        "before it gets 429",
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=24 * 60, description="A signed-in browser idle this long is signed out"
    )
    session_hours: int = Field(
        default=10, ge=1, le=24 * 30, description="A browser session ends this long after sign-in"
    )
    log_level: str = "INFO"
    access_log: bool = Field(
        default=True, description="One JSON line per request: method, path, status, time taken"
    )
    demand_counts: bool = Field(
        default=False,
        description="Count navigate questions per need, ward and month (nothing else is kept)",
    )
    workers: int = Field(default=1, ge=1, description="Server processes (`serve --workers`)")
    shutdown_timeout: int = Field(
        default=10, ge=0, description="Seconds in-flight requests get to finish on shutdown"
    )

    def base_url(self, fallback: str = "http://127.0.0.1:8000") -> str:
        """The public base URL, without a trailing slash."""
        return (self.public_base_url or fallback).rstrip("/")

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'navigator.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""The database tables (SQLModel): the map in normalised rows, keys, audit and settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel


class ServiceRow(SQLModel, table=True):
    __tablename__ = "service"

    id: str = Field(primary_key=True)
    position: int = Field(index=True)
    name: str
    provider: str
    organisation_id: str | None = None
    ring: str = Field(index=True)
    remit: str
    min_age_months: int | None = None
    max_age_months: int | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    address: str | None = None
    confidential_address: bool = False
    last_verified: dt.date
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    former_names: list[str] = Field(default_factory=list, sa_type=JSON)
    needs: list[str] = Field(default_factory=list, sa_type=JSON)
    levels: list[str] = Field(default_factory=list, sa_type=JSON)
    programmes: list[str] = Field(default_factory=list, sa_type=JSON)
    inferred: list[str] = Field(default_factory=list, sa_type=JSON)
    levels_status: str | None = None
    no_public_contact: str | None = None
    contacts: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    sites: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    catchment: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class RuleRow(SQLModel, table=True):
    __tablename__ = "rule"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    # Indexed (migration 0006): deleting rules looks up each one's children by it, which
    # without an index is a scan of the whole table per rule (replace_map deletes them all).
    parent_id: int | None = Field(
        default=None, foreign_key="rule.id", ondelete="CASCADE", index=True
    )
    position: int
    kind: str
    min_months: int | None = None
    max_months: int | None = None
    area: str | None = None
    gp_list: str | None = None
    text: str | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    status: str
    note: str | None = None


class RouteRow(SQLModel, table=True):
    __tablename__ = "route"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    position: int
    kind: str
    how: str
    contact: str | None = None
    status: str


class SourceRow(SQLModel, table=True):
    __tablename__ = "source"

    id: int | None = Field(default=None, primary_key=True)
    service_id: str = Field(foreign_key="service.id", index=True, ondelete="CASCADE")
    position: int
    title: str
    url: str | None = None
    status: str
    note: str | None = None


class EdgeRow(SQLModel, table=True):
    __tablename__ = "edge"

    id: int | None = Field(default=None, primary_key=True)
    position: int = Field(index=True)
    source: str = Field(foreign_key="service.id", index=True)
    target: str = Field(foreign_key="service.id", index=True)
    kind: str
    note: str | None = None
    status: str
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


class NeedRow(SQLModel, table=True):
    __tablename__ = "need"

    code: str = Field(primary_key=True)
    position: int
    label: str
    description: str
    group: str


class AreaRow(SQLModel, table=True):
    __tablename__ = "area"

    id: str = Field(primary_key=True)
    position: int
    name: str
    description: str
    status: str
    note: str | None = None
    any_of: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class GpListRow(SQLModel, table=True):
    __tablename__ = "gp_list"

    id: str = Field(primary_key=True)
    position: int
    name: str
    description: str
    check_text: str
    loaded: bool = False


class GpPracticeRow(SQLModel, table=True):
    __tablename__ = "gp_practice"

    list_id: str = Field(foreign_key="gp_list.id", primary_key=True, ondelete="CASCADE")
    ods_code: str = Field(primary_key=True)


class SettingRow(SQLModel, table=True):
    """Small documents kept whole: the map's meta, levels, rings, LMM's offer, and its version."""

    __tablename__ = "setting"

    key: str = Field(primary_key=True)
    value: Any = Field(sa_type=JSON)


class ApiKeyRow(SQLModel, table=True):
    """An API key: only a slow salted hash of its secret is kept, never the key itself."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str
    prefix: str = Field(unique=True)
    hash: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser: only a hash of the cookie's random token is kept, never the token.

    It ends at `expires_at` (absolute), after the idle timeout since `last_seen_at`, on sign-out
    (the row is deleted) and when its key is revoked.
    """

    __tablename__ = "web_session"

    id: str = Field(primary_key=True, description="sha256 of the cookie's token, hex")
    key_id: int = Field(foreign_key="api_key.id", index=True, ondelete="CASCADE")
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime = Field(index=True)


class AuditRow(SQLModel, table=True):
    """Who changed what, when, before and after. Append-only: triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str = Field(index=True)
    action: str
    entity: str = Field(index=True)
    entity_id: str = Field(index=True)
    before: Any = Field(default=None, sa_type=JSON)
    after: Any = Field(default=None, sa_type=JSON)


class DemandCountRow(SQLModel, table=True):
    """Navigate questions per need, ward and month (only with NAVIGATOR_DEMAND_COUNTS=true).

    Nothing else about a question is kept: no postcode, age, day or time, or request id."""

    __tablename__ = "demand_count"

    need: str = Field(primary_key=True)
    ward_code: str = Field(primary_key=True)
    month: str = Field(primary_key=True)  # YYYY-MM
    count: int = 0


# Every table above, as the migrations compare and create them.
METADATA = SQLModel.metadata

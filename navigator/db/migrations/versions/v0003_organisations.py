"""organisations: a list of provider bodies (with ODS codes) and each service's organisation

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 16:00:00

Services gain an optional `organisation_id` column naming an entry of the new `organisations`
setting document (id, name, ods_code, status). A stored map gets the NHS bodies the seed names,
copied here so the revision keeps meaning what it meant, and each service whose provider starts
with one of their names is linked to it. A database that holds no map yet is left alone: the
seed brings its organisations with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORGANISATIONS = [
    {
        "id": "bthft",
        "name": "Bradford Teaching Hospitals NHS Foundation Trust",
        "ods_code": "RAE",
        "status": "inferred",
        "note": "The CQC page cited for maternity names Bradford Royal Infirmary's site code "
        "RAE01, which sits under RAE.",
    },
    {
        "id": "anhsft",
        "name": "Airedale NHS Foundation Trust",
        "ods_code": "RCF",
        "status": "inferred",
    },
    {
        "id": "bdct",
        "name": "Bradford District Care NHS Foundation Trust",
        "ods_code": "TAD",
        "status": "inferred",
    },
    {
        "id": "wy-icb",
        "name": "NHS West Yorkshire Integrated Care Board",
        "ods_code": "QWO",
        "status": "inferred",
        "note": "Commissions NHS services across West Yorkshire, Bradford District and Craven "
        "among its places.",
    },
]

setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))
service = sa.table(
    "service",
    sa.column("id", sa.String),
    sa.column("provider", sa.String),
    sa.column("organisation_id", sa.String),
)


def _get(key: str) -> Any:
    row = op.get_bind().execute(sa.select(setting.c.value).where(setting.c.key == key)).first()
    if row is None:
        return None
    value = row[0]
    return json.loads(value) if isinstance(value, str) else value


def upgrade() -> None:
    # A plain ADD COLUMN: SQLite's batch copy would trip over the tables that refer to services.
    op.add_column(
        "service", sa.Column("organisation_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )
    if _get("meta") is None:
        return  # no map yet: the seed brings its organisations with it
    bind = op.get_bind()
    if _get("organisations") is None:
        bind.execute(setting.insert().values(key="organisations", value=ORGANISATIONS))
    for row in bind.execute(sa.select(service.c.id, service.c.provider)).all():
        found = next((o for o in ORGANISATIONS if row.provider.startswith(o["name"])), None)
        if found is not None:
            bind.execute(
                service.update().where(service.c.id == row.id).values(organisation_id=found["id"])
            )


def downgrade() -> None:
    op.drop_column("service", "organisation_id")
    op.get_bind().execute(setting.delete().where(setting.c.key == "organisations"))

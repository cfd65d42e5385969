"""service facts: typed contacts, sites, catchment, levels status and no-public-contact text

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 04:00:00

Services gain the facts a practitioner acts on (issue #13): `contacts` (typed contact points,
each with its source and status, and whether it is the service's own line), `sites` (public
places it runs from; never for a confidential address), `catchment` (where it works, in words
and as the map's areas, with its status), `levels_status` (how sure the map is of its levels)
and `no_public_contact` (what to do where no public route exists). Organisations gain their
charity and company numbers and website inside the `organisations` setting document, which
needs no column.

Plain ADD COLUMNs, as 0003: SQLite's batch copy would trip over the tables that refer to
services. A stored map keeps its services and gains empty facts: import the seed again
(`navigator import`) to bring them in.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LISTS = ("contacts", "sites")


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.add_column("service", sa.Column("levels_status", text(), nullable=True))
    op.add_column("service", sa.Column("no_public_contact", text(), nullable=True))
    for name in _LISTS:
        op.add_column(
            "service",
            sa.Column(name, sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
        )
    op.add_column("service", sa.Column("catchment", sa.JSON(), nullable=True))


def downgrade() -> None:
    for name in ("catchment", *reversed(_LISTS), "no_public_contact", "levels_status"):
        op.drop_column("service", name)

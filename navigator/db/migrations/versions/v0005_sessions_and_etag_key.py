"""browser sessions and the ETag key

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:00:00

Signing in to the pages makes a session (a random token in the cookie, its hash in
`web_session`) instead of keeping the API key in the cookie. ETags cover a service's confidential
address, so they are keyed hashes: `etag_key` is the key, made at random here, once per database,
shared by every replica.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_key.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_key_id"), ["key_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_web_session_expires_at"), ["expires_at"], unique=False)
    bind = op.get_bind()
    found = bind.execute(sa.select(setting.c.key).where(setting.c.key == "etag_key")).first()
    if found is None:
        bind.execute(setting.insert().values(key="etag_key", value=secrets.token_hex(32)))


def downgrade() -> None:
    op.get_bind().execute(setting.delete().where(setting.c.key == "etag_key"))
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_expires_at"))
        batch_op.drop_index(batch_op.f("ix_web_session_key_id"))
    op.drop_table("web_session")

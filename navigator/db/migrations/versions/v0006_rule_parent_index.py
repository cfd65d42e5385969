"""an index on rule.parent_id

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 04:00:00

Deleting a rule finds the rules under it (ON DELETE CASCADE) by `parent_id`; without an index
that is a scan of the whole rule table per rule deleted, so replacing a map of 10,000 services
(which deletes every rule) grew with the square of its size.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rule", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_parent_id"), ["parent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_parent_id"))

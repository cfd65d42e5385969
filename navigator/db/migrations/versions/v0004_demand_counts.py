"""demand counts and localities: navigate questions per need, ward and month (opt-in), and
nothing else; the district's localities join the stored analytics policy

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 16:00:00

A stored policy without localities gains the seed's, copied here so the revision keeps meaning
what it meant. A database that holds no map yet is left alone: the seed brings them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCALITIES: list[dict[str, Any]] = [
    {
        "name": "Bradford East",
        "ward_codes": [
            "E05001344",
            "E05001345",
            "E05001346",
            "E05001350",
            "E05001353",
            "E05001358",
        ],
        "status": "inferred",
        "note": (
            "Bolton and Undercliffe, Bowling and Barkerend, Bradford Moor, Eccleshill, "
            "Idle and Thackley, Little Horton."
        ),
    },
    {
        "name": "Bradford South",
        "ward_codes": [
            "E05001351",
            "E05001360",
            "E05001361",
            "E05001365",
            "E05001367",
            "E05001370",
        ],
        "status": "inferred",
        "note": ("Great Horton, Queensbury, Royds, Tong, Wibsey, Wyke."),
    },
    {
        "name": "Bradford West",
        "ward_codes": [
            "E05001347",
            "E05001348",
            "E05001352",
            "E05001359",
            "E05001363",
            "E05001364",
        ],
        "status": "inferred",
        "note": (
            "City, Clayton and Fairweather Green, Heaton, Manningham, Thornton and "
            "Allerton, Toller."
        ),
    },
    {
        "name": "Keighley",
        "ward_codes": [
            "E05001349",
            "E05001354",
            "E05001355",
            "E05001356",
            "E05001357",
            "E05001369",
        ],
        "status": "inferred",
        "note": (
            "Craven, Ilkley, Keighley Central, Keighley East, Keighley West, Worth Valley "
            "(Bradford Council's Keighley locality plan counts Ilkley in the Keighley "
            "locality)."
        ),
    },
    {
        "name": "Shipley",
        "ward_codes": [
            "E05001341",
            "E05001342",
            "E05001343",
            "E05001362",
            "E05001366",
            "E05001368",
        ],
        "status": "inferred",
        "note": ("Baildon, Bingley, Bingley Rural, Shipley, Wharfedale, Windhill and Wrose."),
    },
]

setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))


def _policy() -> Any:
    row = op.get_bind().execute(sa.select(setting.c.value).where(setting.c.key == "policy")).first()
    if row is None:
        return None
    value = row[0]
    return json.loads(value) if isinstance(value, str) else value


def _put_policy(value: Any) -> None:
    op.get_bind().execute(setting.update().where(setting.c.key == "policy").values(value=value))


def upgrade() -> None:
    op.create_table(
        "demand_count",
        sa.Column("need", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("ward_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("month", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("need", "ward_code", "month"),
    )
    policy = _policy()
    if policy is not None and "localities" not in policy.get("analytics", {}):
        policy["analytics"]["localities"] = LOCALITIES
        _put_policy(policy)


def downgrade() -> None:
    op.drop_table("demand_count")
    policy = _policy()
    if policy is not None:
        policy.get("analytics", {}).pop("localities", None)
        _put_policy(policy)

"""policy as data: LMM's offer table and Bradford's analytics policy join the stored map

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 15:00:00

The map's settings gain a `policy` document and LMM's offer gains its policy table; consultation
type ids become snake_case (`drop_in`, `reflective_discussion`) like every other code. A database
that holds no map yet is left alone: the seed brings all of it. The values are those the code
applied before this revision, copied here so the revision keeps meaning what it meant.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICY = {
    "consult_first_levels": ["universal", "universal_plus"],
    "analytics": {
        "universe_areas": ["bradford-district", "bdc-nhs"],
        "district_area": "bradford-district",
        "universal_services": ["health-visiting", "midwifery", "family-hubs"],
        "default_need": "parent_infant_relationship",
    },
}
OFFER = {
    "offer_by_level": [
        {
            "levels": ["universal", "universal_plus"],
            "strand": "consultation",
            "options": ["triage", "drop_in"],
            "complex_options": ["ongoing"],
            "for_team": ["reflective_discussion"],
            "tier": "universal_plus",
            "summary": "Consult before you refer: talk the family through with LMM (strand 3 "
            "consultation). Universal Plus work may follow if LMM advise it.",
        },
        {
            "levels": ["targeted", "specialist"],
            "strand": "direct_clinical_work",
            "summary": "Refer for direct clinical work (strand 4) at the {level} tier.",
        },
    ],
    "complex_needs": 3,
    "training_text": "Your service is part of LMM's priority workforce: if you have not done "
    "{course} ({description}), ask LMM about strand 2 training.",
    "not_eligible_text": "Little Minds Matter cannot work with this family: {reasons}",
}
RENAMED = {"drop-in": "drop_in", "reflective-discussion": "reflective_discussion"}

setting = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.JSON))


def _get(key: str) -> Any:
    row = op.get_bind().execute(sa.select(setting.c.value).where(setting.c.key == key)).first()
    if row is None:
        return None
    value = row[0]
    return json.loads(value) if isinstance(value, str) else value


def _put(key: str, value: Any, *, new: bool) -> None:
    statement = (
        setting.insert().values(key=key, value=value)
        if new
        else setting.update().where(setting.c.key == key).values(value=value)
    )
    op.get_bind().execute(statement)


def upgrade() -> None:
    lmm = _get("lmm")
    if lmm is None:
        return  # no map yet: the seed brings the policy with it
    for consultation in lmm.get("consultation_types", []):
        consultation["id"] = RENAMED.get(consultation["id"], consultation["id"])
    for key, value in OFFER.items():
        lmm.setdefault(key, value)
    _put("lmm", lmm, new=False)
    if _get("policy") is None:
        _put("policy", POLICY, new=True)


def downgrade() -> None:
    lmm = _get("lmm")
    if lmm is None:
        return
    back = {v: k for k, v in RENAMED.items()}
    for consultation in lmm.get("consultation_types", []):
        consultation["id"] = back.get(consultation["id"], consultation["id"])
    for key in OFFER:
        lmm.pop(key, None)
    _put("lmm", lmm, new=False)
    op.get_bind().execute(setting.delete().where(setting.c.key == "policy"))

"""The practitioner's question about a family, and the three-valued decisions about it.

Never stored, never logged: a Family lives for one request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from navigator.core.geography import normalise
from navigator.core.models import MAX_AGE_MONTHS, NeedCode
from navigator.core.terms import Eligibility, Level, Stage

# Weeks of pregnancy a practitioner may give: from the first booking to two weeks past term.
MIN_WEEKS_PREGNANT = 4
MAX_WEEKS_PREGNANT = 42


class Family(BaseModel):
    """What a practitioner says about a family. Never stored, never logged."""

    # Lax for enums and dates (JSON carries them as strings), strict where coercion would accept
    # nonsense: `false` or "7" is not an age.
    model_config = ConfigDict(extra="forbid", frozen=True)

    postcode: Annotated[str, StringConstraints(min_length=1, max_length=16)]
    stage: Stage
    child_age_months: Annotated[StrictInt, Field(ge=0, le=MAX_AGE_MONTHS)] | None = Field(
        default=None, validate_default=True
    )
    weeks_pregnant: (
        Annotated[StrictInt, Field(ge=MIN_WEEKS_PREGNANT, le=MAX_WEEKS_PREGNANT)] | None
    ) = None
    needs: Annotated[list[NeedCode], Field(min_length=1, max_length=40)]
    level: Level = Level.universal_plus
    gp_practice: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{3,10}$")] | None = None
    from_service: Annotated[str, StringConstraints(max_length=80)] | None = None

    @field_validator("postcode", mode="after")
    @classmethod
    def _well_formed(cls, value: str) -> str:
        try:
            return normalise(value)
        except ValueError as exc:
            raise ValueError(str(exc)) from None

    @field_validator("child_age_months", mode="after")
    @classmethod
    def _age_fits_stage(cls, value: int | None, info: ValidationInfo) -> int | None:
        stage = info.data.get("stage")
        if stage is Stage.postnatal and value is None:
            raise ValueError("child_age_months is required when the baby is born (postnatal)")
        if stage is Stage.antenatal and value is not None:
            raise ValueError("child_age_months is not allowed in pregnancy (antenatal)")
        return value

    @field_validator("weeks_pregnant", mode="after")
    @classmethod
    def _weeks_fit_stage(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("stage") is Stage.postnatal and value is not None:
            raise ValueError("weeks_pregnant is not allowed once the baby is born (postnatal)")
        return value

    @field_validator("gp_practice", mode="after")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value


@dataclass(frozen=True, slots=True)
class Decision:
    """A three-valued answer with its plain-English reasons and what to check.

    A plain dataclass, not pydantic: navigate makes one per rule per service, and at 10,000
    services validation would cost more than the whole decision.
    """

    status: Eligibility
    reasons: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()

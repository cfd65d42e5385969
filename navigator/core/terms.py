"""The map's vocabulary: plain enums, without pydantic, cheap to import.

The command line builds its options from these (`--stage`, `--level`) without loading the models;
`navigator.core.models` re-exports them, so either import works.
"""

from __future__ import annotations

from enum import StrEnum


class Ring(StrEnum):
    """Figure 1 of the seed reports: how close a remit is to the parent-infant relationship."""

    core = "core"
    grey = "grey"
    outer = "outer"


class Level(StrEnum):
    """The health-visiting model's levels and LMM's tiers, lowest first."""

    universal = "universal"
    universal_plus = "universal_plus"
    targeted = "targeted"
    specialist = "specialist"

    @property
    def rank(self) -> int:
        return _LEVEL_RANK[self]


_LEVEL_RANK = {level: i for i, level in enumerate(Level)}


class Status(StrEnum):
    """How sure we are of a fact."""

    confirmed = "confirmed"
    inferred = "inferred"
    seed_report = "seed_report"
    imported = "imported"  # read from another directory's feed (its source says which)


class EdgeKind(StrEnum):
    refers = "refers"
    consults = "consults"
    signposts = "signposts"


class RouteKind(StrEnum):
    referral = "referral"
    self_referral = "self_referral"
    consultation = "consultation"


class RuleKind(StrEnum):
    age = "age"
    area = "area"
    gp_list = "gp_list"
    criterion = "criterion"
    any_of = "any_of"


class Stage(StrEnum):
    antenatal = "antenatal"
    postnatal = "postnatal"


class Eligibility(StrEnum):
    eligible = "eligible"
    check = "check"
    not_eligible = "not_eligible"

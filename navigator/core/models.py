"""The domain: Bradford's early-years map as plain, immutable pydantic objects.

Nothing here knows about the database or the web. The store builds a `Map` from its tables,
the seed builds one from YAML, and every logic module works on a `Map`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

# The plain enums live in terms (cheap to import); re-exported here, where the models use them.
from navigator.core.terms import EdgeKind as EdgeKind
from navigator.core.terms import Eligibility as Eligibility
from navigator.core.terms import Level as Level
from navigator.core.terms import Ring as Ring
from navigator.core.terms import RouteKind as RouteKind
from navigator.core.terms import RuleKind as RuleKind
from navigator.core.terms import Stage as Stage
from navigator.core.terms import Status as Status

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=80)]
NeedCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
OdsCode = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{3,10}$")]

# Ages are in months; pregnancy counts as negative months (-9 is the start of pregnancy).
MIN_AGE_MONTHS = -9
MAX_AGE_MONTHS = 216
# A service's or a rule's window may run past a child's 18th birthday (0-19 services end at 228).
AgeMonths = Annotated[int, Field(ge=MIN_AGE_MONTHS, le=MAX_AGE_MONTHS * 2)]
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_day(value: Any) -> Any:
    """Dates are ISO YYYY-MM-DD only: pydantic alone would read 0 or "0" as 1970-01-01."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise ValueError("a date must be written YYYY-MM-DD")


Day = Annotated[dt.date, BeforeValidator(_iso_day)]
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?"
)


def _iso_moment(value: Any) -> Any:
    """A date and time in ISO 8601 only (or a date: its midnight), never a number of seconds."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_MOMENT.fullmatch(value):
        return value
    raise ValueError("a time must be written YYYY-MM-DDTHH:MM[:SS][+HH:MM]")


Moment = Annotated[dt.datetime, BeforeValidator(_iso_moment)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Dated(Frozen):
    """Anything true over a period: `valid_from` and `valid_to` are inclusive; None is open."""

    valid_from: Day | None = None
    valid_to: Day | None = None

    @field_validator("valid_to", mode="after")
    @classmethod
    def _dates_in_order(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        start = info.data.get("valid_from")
        if value is not None and start is not None and value < start:
            raise ValueError(f"valid_to ({value}) is before valid_from ({start})")
        return value

    def active_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class Source(Frozen):
    title: str = Field(min_length=1)
    url: str | None = None
    status: Status
    note: str | None = None


class Need(Frozen):
    code: NeedCode
    label: str = Field(min_length=1)
    description: str = Field(min_length=1)
    group: str = Field(min_length=1)


class AreaClause(Frozen):
    """All the given conditions must hold; each list matches any of its values."""

    lad_codes: list[str] = []
    ward_codes: list[str] = []
    postcode_districts: list[str] = []

    @model_validator(mode="after")
    def _not_empty(self) -> AreaClause:
        if not (self.lad_codes or self.ward_codes or self.postcode_districts):
            raise ValueError("an area clause needs lad_codes, ward_codes or postcode_districts")
        return self


class Area(Frozen):
    """A named footprint, decided per unit postcode: a postcode is in it if any clause holds."""

    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    any_of: list[AreaClause] = Field(min_length=1)
    status: Status = Status.confirmed
    note: str | None = None


class GpList(Frozen):
    """A named list of GP practices. `practices` is None until an editor loads the list."""

    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    check_text: str = Field(min_length=1, description="What to check while the list is not loaded")
    practices: list[OdsCode] | None = None

    @field_validator("practices", mode="after")
    @classmethod
    def _one_order(cls, value: list[str] | None) -> list[str] | None:
        # Stored as a set: sorted and once each, so what is saved is what is read back (ETags).
        return None if value is None else sorted(set(value))


class Rule(Dated):
    """One eligibility condition of a service, in force over its dates.

    `age`: min_months/max_months; `area`: area; `gp_list`: gp_list; `criterion`: text the
    practitioner must confirm; `any_of`: rules, of which one must hold.
    """

    kind: RuleKind
    min_months: AgeMonths | None = None
    max_months: AgeMonths | None = None
    area: Slug | None = None
    gp_list: Slug | None = None
    text: str | None = None
    rules: list[Rule] = []
    status: Status = Status.confirmed
    note: str | None = None

    @model_validator(mode="after")
    def _fields_fit_kind(self) -> Rule:
        need: dict[RuleKind, tuple[str, ...]] = {
            RuleKind.age: (),
            RuleKind.area: ("area",),
            RuleKind.gp_list: ("gp_list",),
            RuleKind.criterion: ("text",),
            RuleKind.any_of: ("rules",),
        }
        for name in need[self.kind]:
            if not getattr(self, name):
                raise ValueError(f"a {self.kind} rule needs {name}")
        if self.kind is RuleKind.age:
            if self.min_months is None and self.max_months is None:
                raise ValueError("an age rule needs min_months or max_months")
            if (
                self.min_months is not None
                and self.max_months is not None
                and self.max_months < self.min_months
            ):
                raise ValueError("max_months is below min_months")
        if self.kind is RuleKind.any_of and len(self.rules) < 2:
            raise ValueError("an any_of rule needs at least two rules")
        return self

    def signature(self) -> tuple[object, ...]:
        """Everything that decides this rule's outcome, hashable: equal rules decide alike."""
        return (
            self.kind,
            self.valid_from,
            self.valid_to,
            self.min_months,
            self.max_months,
            self.area,
            self.gp_list,
            self.text,
            tuple(r.signature() for r in self.rules),
        )


class Route(Frozen):
    kind: RouteKind
    how: str = Field(min_length=1)
    contact: str | None = None
    status: Status = Status.confirmed


class Service(Dated):
    id: Slug
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = []
    former_names: list[str] = []
    provider: str = Field(min_length=1)
    ring: Ring
    remit: str = Field(min_length=1)
    needs: list[NeedCode] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    min_age_months: AgeMonths | None = None
    max_age_months: AgeMonths | None = None
    rules: list[Rule] = []
    routes: list[Route] = []
    programmes: list[str] = []
    address: str | None = None
    confidential_address: bool = False
    inferred: list[str] = Field(
        default=[], description="Names of this service's fields that are inferred, not confirmed"
    )
    sources: list[Source] = Field(min_length=1)
    last_verified: Day

    @field_validator("max_age_months", mode="after")
    @classmethod
    def _ages_in_order(cls, value: int | None, info: ValidationInfo) -> int | None:
        lo = info.data.get("min_age_months")
        if value is not None and lo is not None and value < lo:
            raise ValueError(f"max_age_months ({value}) is below min_age_months ({lo})")
        return value

    @property
    def self_referral(self) -> bool:
        return any(r.kind is RouteKind.self_referral for r in self.routes)

    def public_address(self) -> str | None:
        """The address, unless it is confidential (refuges): never publish those."""
        return None if self.confidential_address else self.address


class Edge(Dated):
    source: Slug
    target: Slug
    kind: EdgeKind
    note: str | None = None
    status: Status = Status.seed_report


class Intervention(Frozen):
    name: str
    description: str = ""


class Tier(Frozen):
    level: Level
    description: str
    interventions: list[str] = Field(min_length=1)
    includes: Level | None = Field(
        default=None, description="A lower tier whose interventions this tier also offers"
    )


# Codes of LMM's offer (consultation types, strands) are snake_case like every other code.
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class ConsultationType(Frozen):
    id: Code
    name: str
    description: str
    when: str = Field(description="When a practitioner should use it, in plain words")


class Training(Frozen):
    id: Slug
    name: str
    description: str
    audience: str


class Strand(Frozen):
    number: int = Field(ge=1, le=4)
    id: Literal["community_messaging", "training", "consultation", "direct_clinical_work"]
    name: str
    description: str


class OfferRule(Frozen):
    """Which of LMM's strands a family at these levels gets, with which options and at which tier.

    `tier` None means the family's own level. `summary` may use {level}: the tier in words.
    """

    levels: list[Level] = Field(min_length=1)
    strand: Literal["consultation", "direct_clinical_work"]
    options: list[Code] = []
    complex_options: list[Code] = Field(
        default=[], description="Added when the family has at least `complex_needs` needs"
    )
    for_team: list[Code] = []
    tier: Level | None = None
    summary: str = Field(min_length=1)


class LmmOffer(Frozen):
    """Little Minds Matter's offer catalogue: strands, consultation types, tiers and training,
    and the policy table that picks the offer for a family's level."""

    service_id: Slug
    strands: list[Strand] = Field(min_length=4, max_length=4)
    consultation_types: list[ConsultationType] = Field(min_length=1)
    tiers: list[Tier] = Field(min_length=1)
    training: list[Training] = Field(min_length=1)
    training_priority_services: list[Slug] = Field(
        default=[], description="Services of the priority workforce for strand 2 training"
    )
    offer_by_level: list[OfferRule] = Field(min_length=1)
    complex_needs: int = Field(
        ge=1, description="A family with this many needs or more is a complex case"
    )
    training_text: str = Field(
        min_length=1,
        description="Said to the priority workforce; may use {course} and {description}",
    )
    not_eligible_text: str = Field(
        min_length=1, description="When LMM cannot work with the family; may use {reasons}"
    )
    contact: str | None = None
    sources: list[Source] = []

    @model_validator(mode="after")
    def _offer_covers_levels(self) -> LmmOffer:
        covered = [lv for rule in self.offer_by_level for lv in rule.levels]
        missing = [lv.value for lv in Level if lv not in covered]
        if missing or len(covered) != len(set(covered)):
            raise ValueError(
                f"offer_by_level must name every level once (missing: {missing or 'none'})"
            )
        known = {c.id for c in self.consultation_types}
        for rule in self.offer_by_level:
            for code in (*rule.options, *rule.complex_options, *rule.for_team):
                if code not in known:
                    raise ValueError(f"offer_by_level names unknown consultation type {code!r}")
        return self

    def offer_rule(self, level: Level) -> OfferRule:
        return next(r for r in self.offer_by_level if level in r.levels)

    def interventions(self, level: Level) -> list[str]:
        """Interventions at a tier, including those of the tiers it builds on, lowest first."""
        by_level = {t.level: t for t in self.tiers}
        tier = by_level.get(level)
        if tier is None:
            return []
        inherited = self.interventions(tier.includes) if tier.includes else []
        return inherited + [i for i in tier.interventions if i not in inherited]


class LevelInfo(Frozen):
    id: Level
    label: str
    description: str


class RingInfo(Frozen):
    id: Ring
    label: str
    description: str


class Meta(Frozen):
    title: str
    description: str = ""
    attribution: list[str] = []
    last_reviewed: dt.date | None = None


class AnalyticsPolicy(Frozen):
    """Which areas and services the commissioners' analytics start from."""

    universe_areas: list[Slug] = Field(
        min_length=1, description="Postcodes in any of these areas are the analytics' universe"
    )
    district_area: Slug = Field(description="The area whose wards the gaps grid lists")
    universal_services: list[Slug] = Field(
        min_length=1, description="Where every family starts: the network's reach is from these"
    )
    default_need: NeedCode = Field(description="The need the commissioners' page opens on")


class Policy(Frozen):
    """Bradford's policy choices, as data: consult before refer, and what analytics start from."""

    consult_first_levels: list[Level] = Field(
        min_length=1,
        description="At these levels practitioners consult a service before they refer",
    )
    analytics: AnalyticsPolicy


class Map(Frozen):
    """The whole map: every service ever recorded (with dates), and everything they refer to."""

    meta: Meta
    levels: list[LevelInfo]
    rings: list[RingInfo]
    needs: list[Need]
    areas: list[Area]
    gp_lists: list[GpList]
    services: list[Service]
    edges: list[Edge]
    lmm: LmmOffer
    policy: Policy

    CACHED: ClassVar[tuple[str, ...]] = (
        "services_by_id",
        "eligibility_signatures",
        "services_by_need",
    )

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Map:
        # pydantic copies __dict__ whole, cached indexes included: drop them, or they go stale.
        copy = super().model_copy(update=update, deep=deep)
        for name in self.CACHED:
            copy.__dict__.pop(name, None)
        return copy

    def service(self, service_id: str) -> Service | None:
        return self.services_by_id.get(service_id)

    @cached_property
    def services_by_id(self) -> dict[str, Service]:
        # Safe to cache: the map is frozen, so the index never goes stale.
        return {s.id: s for s in self.services}

    @cached_property
    def eligibility_signatures(self) -> dict[str, tuple[object, ...]]:
        """Per service, what its age window and rules decide on: many services share one."""
        return {
            s.id: (s.min_age_months, s.max_age_months, tuple(r.signature() for r in s.rules))
            for s in self.services
        }

    @cached_property
    def services_by_need(self) -> dict[str, list[Service]]:
        index: dict[str, list[Service]] = {}
        for s in self.services:
            for code in s.needs:
                index.setdefault(code, []).append(s)
        return index

    def need_codes(self) -> set[str]:
        return {n.code for n in self.needs}

    def active_services(self, day: dt.date) -> list[Service]:
        return [s for s in self.services if s.active_on(day)]

    def active_edges(self, day: dt.date) -> list[Edge]:
        return [
            e
            for e in self.edges
            if e.active_on(day)
            and (src := self.service(e.source)) is not None
            and src.active_on(day)
            and (dst := self.service(e.target)) is not None
            and dst.active_on(day)
        ]


def public(service: Service) -> Service:
    """The service as it may be published: a confidential address is removed."""
    if service.confidential_address and service.address is not None:
        return service.model_copy(update={"address": None})
    return service


def dump(model: BaseModel) -> dict[str, Any]:
    """A model as plain JSON-ready data, leaving out fields at their defaults."""
    return model.model_dump(mode="json", exclude_defaults=True)

"""The domain: Bradford's early-years map as plain, immutable pydantic objects.

Nothing here knows about the database or the web. The store builds a `Map` from its tables,
the seed builds one from YAML, and every logic module works on a `Map`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

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

if TYPE_CHECKING:
    from navigator.core.service_index import ServiceIndex

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


# ONS (GSS) country codes. The first letter of every GSS code names its country, so a local
# authority's code says which country a postcode is in.
COUNTRY_CODES = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}


class AreaClause(Frozen):
    """All the given conditions must hold; each list matches any of its values.

    `countries` (GSS country codes, e.g. E92000001 for England) is for national services: a
    postcode is in a country when its local authority's code is.
    """

    lad_codes: list[str] = []
    ward_codes: list[str] = []
    postcode_districts: list[str] = []
    countries: list[Annotated[str, StringConstraints(pattern=r"^[EWSN]92\d{6}$")]] = []

    @model_validator(mode="after")
    def _not_empty(self) -> AreaClause:
        if not (self.lad_codes or self.ward_codes or self.postcode_districts or self.countries):
            raise ValueError(
                "an area clause needs lad_codes, ward_codes, postcode_districts or countries"
            )
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


ContactKind = Literal["phone", "email", "website", "referral_form", "portal", "address"]
# Short national numbers people dial; 999 and 112 are never a service's own line.
SHARED_NUMBERS = frozenset({"999", "111", "112", "116123"})
NEVER_OWN = frozenset({"999", "112"})
_URL = re.compile(r"^https?://\S+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def dialable(number: str) -> str | None:
    """The digits to dial for a number as written, or None when it is not a UK phone number."""
    digits = re.sub(r"\D", "", number)
    if digits in SHARED_NUMBERS or (len(digits) in (10, 11) and digits.startswith("0")):
        return digits
    return None


class ContactPoint(Frozen):
    """One way to reach a service, as a source gives it: a phone number, an email address, a
    web page, a referral form or portal, or a postal address.

    `own` is false for a number or page that is not the service's own (999, NHS 111, a national
    helpline, a trust switchboard, a directory): it is shown with its label and never exported
    as the service's phone or URL. `source` is the URL (or the title) of the page stating it.
    """

    kind: ContactKind
    value: str = Field(min_length=1, max_length=500)
    label: str = Field(min_length=1, max_length=500)
    hours: str | None = None
    own: bool
    source: str = Field(min_length=1, description="The URL or title of the source stating it")
    source_title: str | None = None
    status: Status
    note: str | None = None

    @model_validator(mode="after")
    def _value_fits_kind(self) -> ContactPoint:
        if self.kind == "phone":
            digits = dialable(self.value)
            if digits is None:
                raise ValueError(f"value {self.value!r} is not a UK phone number")
            if digits in NEVER_OWN and self.own:
                raise ValueError(f"{self.value} is never a service's own number: set own: false")
        elif self.kind == "email" and not _EMAIL.match(self.value):
            raise ValueError(f"value {self.value!r} is not an email address")
        elif self.kind in ("website", "referral_form", "portal") and not _URL.match(self.value):
            raise ValueError(f"value {self.value!r} is not a web address (http:// or https://)")
        return self

    @property
    def dial(self) -> str | None:
        return dialable(self.value) if self.kind == "phone" else None


class Site(Frozen):
    """A public place a service runs from (never a confidential address)."""

    name: str = Field(min_length=1)
    address: str | None = None
    postcode: str | None = Field(default=None, pattern=r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")
    ward: str | None = None
    source: str = Field(min_length=1, description="The URL or title of the source naming it")
    status: Status
    note: str | None = None


class Catchment(Frozen):
    """Where a service works, in words as a source gives it, with the map's areas it covers
    (`areas`) where they are known; `anywhere` for national lines. Eligibility stays in the
    rules: this is where the service normally serves, which is what overlap compares."""

    text: str = Field(min_length=1)
    areas: list[Slug] = []
    anywhere: bool = False
    source: str | None = None
    status: Status
    note: str | None = None

    @model_validator(mode="after")
    def _anywhere_or_areas(self) -> Catchment:
        if self.anywhere and self.areas:
            raise ValueError("a catchment is either anywhere or some areas, not both")
        return self


class Service(Dated):
    id: Slug
    name: str = Field(min_length=1, max_length=200)
    aliases: list[str] = []
    former_names: list[str] = []
    provider: str = Field(min_length=1)
    organisation_id: Slug | None = Field(
        default=None, description="The id of the providing organisation in the map's list"
    )
    ring: Ring
    remit: str = Field(min_length=1)
    needs: list[NeedCode] = Field(min_length=1)
    levels: list[Level] = Field(min_length=1)
    levels_status: Status | None = Field(
        default=None, description="How sure we are of the levels: confirmed, inferred, seed_report"
    )
    min_age_months: AgeMonths | None = None
    max_age_months: AgeMonths | None = None
    rules: list[Rule] = []
    routes: list[Route] = []
    programmes: list[str] = []
    address: str | None = None
    confidential_address: bool = False
    contacts: list[ContactPoint] = []
    no_public_contact: str | None = Field(
        default=None,
        description="Where no public route exists: says so, and what to do instead",
    )
    sites: list[Site] = []
    catchment: Catchment | None = None
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

    @model_validator(mode="after")
    def _levels_status_agrees(self) -> Service:
        # One truth about the levels: `levels_status` and the `inferred` list may not disagree.
        if self.levels_status is not None and (self.levels_status is Status.inferred) != (
            "levels" in self.inferred
        ):
            raise ValueError(
                "levels_status and the inferred list disagree: levels_status is "
                f"{self.levels_status.value}, and 'levels' is "
                f"{'' if 'levels' in self.inferred else 'not '}in inferred"
            )
        return self

    @model_validator(mode="after")
    def _no_sites_when_confidential(self) -> Service:
        if self.confidential_address and (
            self.sites or any(c.kind == "address" for c in self.contacts)
        ):
            raise ValueError(
                "a service with a confidential address lists no sites and no address contacts"
            )
        return self

    @property
    def self_referral(self) -> bool:
        return any(r.kind is RouteKind.self_referral for r in self.routes)

    def public_address(self) -> str | None:
        """The address, unless it is confidential (refuges): never publish those."""
        return None if self.confidential_address else self.address

    def own_contacts(self, *kinds: str) -> list[ContactPoint]:
        """The service's own contact points (of these kinds, if given), in order."""
        return [c for c in self.contacts if c.own and (not kinds or c.kind in kinds)]

    def url(self) -> str | None:
        """The service's own web page: its own website, else its own referral form or portal.
        Never a citation."""
        for kind in ("website", "referral_form", "portal"):
            found = self.own_contacts(kind)
            if found:
                return found[0].value
        return None

    def direct_contact(self) -> bool:
        """Whether it has a direct, sourced own way in: a phone, an email or a referral route."""
        return bool(self.own_contacts("phone", "email", "referral_form", "portal"))


class Organisation(Frozen):
    """A body that provides services; `ods_code` for NHS bodies (the NHS Organisation Data
    Service). `status` says how sure we are of the code: `inferred` until a cited source
    confirms it."""

    id: Slug
    name: str = Field(min_length=1)
    ods_code: OdsCode | None = None
    status: Status = Status.confirmed
    charity_number: str | None = Field(default=None, max_length=40)
    company_number: str | None = Field(default=None, pattern=r"^[A-Z0-9]{8}$")
    website: str | None = Field(default=None, pattern=r"^https?://\S+$")
    note: str | None = None
    sources: list[Source] = []

    @model_validator(mode="after")
    def _sourced(self) -> Organisation:
        if (self.charity_number or self.company_number or self.website) and not self.sources:
            raise ValueError("an organisation's numbers and website need a source")
        return self


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
    """One of LMM's strands of work, as the seed lists them."""

    number: int = Field(ge=1)
    id: Code
    name: str
    description: str


class OfferRule(Frozen):
    """Which of LMM's strands a family at these levels gets, with which options and at which tier.

    `tier` None means the family's own level. `summary` may use {level}: the tier in words.
    """

    levels: list[Level] = Field(min_length=1)
    # The contract's two answers that lead to LMM; each must be one of the seed's strands.
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
    strands: list[Strand] = Field(min_length=1)
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
        strands = {s.id for s in self.strands}
        for rule in self.offer_by_level:
            if rule.strand not in strands:
                raise ValueError(f"offer_by_level names strand {rule.strand!r}, not in strands")
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


class Locality(Frozen):
    """A named group of the district's wards, for choosing wards by place (what-if)."""

    name: str = Field(min_length=1)
    ward_codes: list[str] = Field(min_length=1)
    status: Status = Status.confirmed
    note: str | None = None


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
    localities: list[Locality] = Field(
        default=[], description="The district's wards grouped by place, for choosing wards"
    )


class Policy(Frozen):
    """Bradford's policy choices, as data: consult before refer, and what analytics start from."""

    consult_first_levels: list[Level] = Field(
        min_length=1,
        description="At these levels practitioners consult a service before they refer",
    )
    analytics: AnalyticsPolicy


class Lead(Frozen):
    """Services whose remit is *for* a need: for a family with that need they rank first, at
    the levels they offer. `services` are listed in order of preference; `rings` take every
    service of the ring that meets the need."""

    need: NeedCode
    rings: list[Ring] = []
    services: list[Slug] = []
    urgent: bool = Field(
        default=False, description="First whatever the level asked: the urgent route for a crisis"
    )
    because: str = Field(
        min_length=1, description="Why such a service leads, completing 'its remit is ...'"
    )

    @model_validator(mode="after")
    def _names_someone(self) -> Lead:
        if not (self.rings or self.services):
            raise ValueError("a lead needs rings or services")
        return self


class NoticeRule(Frozen):
    """A notice raised by any of `needs`. It names the first of `services` the family can use:
    `text` may use {service} and {contact} (that service's contact). When the family can use
    none of them and lives outside the district, `outside_text` is said instead, with
    {authority} and {contact} (the authority's own, as a source gives it, or nothing)."""

    needs: list[NeedCode] = Field(min_length=1)
    services: list[Slug] = []
    text: str = Field(min_length=1)
    outside_text: str | None = None


class Notices(Frozen):
    """What the top of an answer says before any service: words are data, codes are the API's."""

    safeguarding: NoticeRule | None = None
    crisis: NoticeRule | None = None
    outside_district: str | None = Field(
        default=None,
        description="May use {authority}, {district} and {pointer} (the authority's services)",
    )
    outside_pointer: str = Field(
        default="{authority}: {services}",
        description="The pointer when a source gives the authority's services; {services}",
    )
    outside_no_pointer: str = Field(
        default="", description="The pointer when no source gives them; may use {authority}"
    )
    unknown_postcode: str | None = Field(default=None, description="May use {postcode}")


class Authority(Frozen):
    """Another local authority near the district: where its families should be pointed."""

    lad_code: str = Field(pattern=r"^[EWSN]\d{8}$")
    name: str = Field(min_length=1)
    family_services: str | None = Field(
        default=None, description="The authority's own family services, as a source gives them"
    )
    safeguarding: str | None = Field(
        default=None, description="Its children's social care front door, as a source gives it"
    )
    sources: list[Source] = []
    status: Status = Status.confirmed

    @model_validator(mode="after")
    def _sourced(self) -> Authority:
        if (self.family_services or self.safeguarding) and not self.sources:
            raise ValueError("an authority's services need a source")
        return self


class Navigation(Frozen):
    """How an answer for a family is put together: which services lead for which need, the
    notices at its top, and where families outside the district are pointed."""

    district_area: Slug | None = Field(
        default=None, description="Families living outside this area get an outside_district notice"
    )
    leads: list[Lead] = []
    notices: Notices = Notices()
    authorities: list[Authority] = []

    def authority(self, lad_code: str | None) -> Authority | None:
        return next((a for a in self.authorities if a.lad_code == lad_code), None)


class Synonym(Frozen):
    """Words people type for a need or a service: search finds those services by them."""

    terms: list[str] = Field(min_length=1)
    needs: list[NeedCode] = []
    services: list[Slug] = []

    @model_validator(mode="after")
    def _means_something(self) -> Synonym:
        if not (self.needs or self.services):
            raise ValueError("a synonym needs needs or services")
        return self


class Place(Frozen):
    """A town or village by name, as areas are drawn: search finds the services working there."""

    name: str = Field(min_length=1)
    any_of: list[AreaClause] = Field(min_length=1)
    status: Status = Status.confirmed
    note: str | None = None


class Vocabulary(Frozen):
    """The words search understands beyond names: synonyms and place names (wards come from
    the postcode table)."""

    synonyms: list[Synonym] = []
    places: list[Place] = []


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
    organisations: list[Organisation] = []
    navigation: Navigation = Navigation()
    vocabulary: Vocabulary = Vocabulary()

    CACHED: ClassVar[tuple[str, ...]] = (
        "services_by_id",
        "eligibility_signatures",
        "service_index",
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
    def service_index(self) -> ServiceIndex:
        """The services as bitsets by what decides and ranks them (navigate's fast path)."""
        from navigator.core.service_index import ServiceIndex

        return ServiceIndex.build(self)

    def organisation(self, organisation_id: str | None) -> Organisation | None:
        return next((o for o in self.organisations if o.id == organisation_id), None)

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
    """The service as it may be published: a confidential address is removed, and with it
    any site or address contact."""
    if service.confidential_address and (
        service.address is not None
        or service.sites
        or any(c.kind == "address" for c in service.contacts)
    ):
        return service.model_copy(
            update={
                "address": None,
                "sites": [],
                "contacts": [c for c in service.contacts if c.kind != "address"],
            }
        )
    return service


def dump(model: BaseModel) -> dict[str, Any]:
    """A model as plain JSON-ready data, leaving out fields at their defaults."""
    return model.model_dump(mode="json", exclude_defaults=True)

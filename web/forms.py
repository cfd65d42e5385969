"""The navigator form: its fields as typed, turned into a Family, and errors in plain words.

Validation itself is Family's (navigator/models.py) and navigate's: this module converts the
form's strings to the types Family expects and words each error for the field it names.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ValidationError

from navigator.core.errors import NavigatorError, UnknownNeed
from navigator.core.family import Family
from navigator.core.models import Map
from navigator.core.search import require_need


class NavigateForm(BaseModel):
    """The form exactly as typed: every field a string, so any input can be shown back."""

    postcode: str = ""
    stage: str = ""
    child_age_months: str = ""
    weeks_pregnant: str = ""
    needs: list[str] = []
    from_service: str = ""
    level: str = ""
    gp_practice: str = ""
    # The day asked about, as GOV.UK's three boxes; `as_of` (YYYY-MM-DD) is still understood.
    as_of_day: str = ""
    as_of_month: str = ""
    as_of_year: str = ""
    as_of: str = ""

    def answers(self) -> list[tuple[str, str]]:
        """The answers as (name, value) pairs, each need its own pair, empty ones left out:
        for hidden fields and the share link's fragment."""
        out: list[tuple[str, str]] = []
        for name in FIELDS:
            value = getattr(self, name)
            if name == "needs":
                out += [("needs", code) for code in value]
            elif value:
                out.append((name, value))
        return out

    def with_date_boxes(self) -> NavigateForm:
        """An ISO `as_of` (from an older link or client) shown in the three date boxes."""
        if not self.as_of or self.as_of_day or self.as_of_month or self.as_of_year:
            return self
        try:
            day = dt.date.fromisoformat(self.as_of.strip())
        except ValueError:
            return self
        return self.model_copy(
            update={
                "as_of": "",
                "as_of_day": str(day.day),
                "as_of_month": str(day.month),
                "as_of_year": str(day.year),
            }
        )

    @property
    def more_options_given(self) -> bool:
        """Whether the folded-away answers (level, GP practice, date) were given."""
        return any(
            (self.level, self.gp_practice, self.as_of_day, self.as_of_month, self.as_of_year)
        ) or bool(self.as_of)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    @property
    def anchor(self) -> str:
        # The first radio or checkbox of a group carries the field's name as its id.
        return self.field


class FormErrors:
    """Errors in the order of the form, at most one per field."""

    def __init__(self, errors: Iterable[FieldError] = ()) -> None:
        self.by_field: dict[str, FieldError] = {}
        for e in errors:
            self.by_field.setdefault(e.field, e)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def get(self, field: str) -> FieldError | None:
        return self.by_field.get(field)

    def items(self, order: Iterable[str]) -> list[FieldError]:
        order = list(order)
        return sorted(
            self.by_field.values(),
            key=lambda e: order.index(e.field) if e.field in order else len(order),
        )


class InvalidForm(Exception):
    def __init__(self, errors: FormErrors) -> None:
        super().__init__("the form has errors")
        self.errors = errors


FIELDS = list(NavigateForm.model_fields)
BAD_DATE = "Enter the date as year, month and day, like 2021-06-01"
# Errors name the date by its first box, where the error summary's link lands.
DATE_FIELD = "as_of"
NOT_A_DATE = "Enter a real date, for example 1 6 2021"
PART_MISSING = "The date must include a day, month and year"

# (when left empty, when filled in wrongly); None keeps the navigator's own words, which
# already name the field ("'BD3 9A' is not a UK postcode: expected something like BD3 9AB").
MESSAGES: dict[str, tuple[str, str | None]] = {
    "postcode": ("Enter the family's postcode", None),
    "stage": ("Select Pregnant or Baby is born", "Select Pregnant or Baby is born"),
    "child_age_months": (
        "Enter the child's age in whole months",
        "Enter the child's age in whole months, from 0 to 216",
    ),
    "weeks_pregnant": (
        "Enter how many weeks pregnant she is",
        "Enter the weeks of pregnancy as a whole number, from 4 to 42",
    ),
    "needs": ("Select at least one need", "Select needs from the list"),
    "level": ("Select a level of need", "Select a level of need from the list"),
    "gp_practice": (
        "Enter the GP practice's ODS code",
        "Enter the GP practice's ODS code: 3 to 10 letters and numbers, like B83001",
    ),
    "from_service": ("Select your service", "Select your service from the list"),
    "as_of": ("Enter a date", NOT_A_DATE),
}


def _message(field: str, raw: str, form: NavigateForm) -> str:
    given = getattr(form, field, "")
    empty, wrong = MESSAGES.get(field, ("Answer this question", None))
    if not given:
        return empty
    if field == "child_age_months" and form.stage == "antenatal":
        return "Leave the child's age empty when the mother is pregnant"
    if field == "weeks_pregnant" and form.stage == "postnatal":
        return "Leave the weeks of pregnancy empty when the baby is born"
    return wrong or raw.removeprefix("Value error, ")


def _field_errors(exc: ValidationError, form: NavigateForm) -> list[FieldError]:
    out = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "postcode"
        out.append(FieldError(field, _message(field, err["msg"], form)))
    return out


def navigator_error(exc: NavigatorError, form: NavigateForm) -> FormErrors:
    """A typed domain error (unknown need, unknown service, bad postcode) as a form error."""
    field = exc.field or "postcode"
    return FormErrors([FieldError(field, _message(field, exc.message, form))])


def _age(text: str) -> int | str:
    # Whole numbers become ints; anything else goes to Family as typed, to be refused there.
    return int(text) if re.fullmatch(r"-?\d{1,6}", text) else text


def _day(form: NavigateForm, today: dt.date) -> dt.date | FieldError:
    """The day asked about: the three boxes, else an ISO `as_of`, else today."""
    parts = [form.as_of_day.strip(), form.as_of_month.strip(), form.as_of_year.strip()]
    if any(parts):
        if not all(parts):
            return FieldError(DATE_FIELD, PART_MISSING)
        if not all(re.fullmatch(r"\d{1,4}", p) for p in parts) or len(parts[2]) != 4:
            return FieldError(DATE_FIELD, NOT_A_DATE)
        try:
            return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            return FieldError(DATE_FIELD, NOT_A_DATE)
    if form.as_of.strip():
        try:
            return dt.date.fromisoformat(form.as_of.strip())
        except ValueError:
            return FieldError(DATE_FIELD, NOT_A_DATE)
    return today


def parse(form: NavigateForm, today: dt.date) -> tuple[Family, dt.date]:
    """The Family and the day asked about; raises InvalidForm with every error at once."""
    data: dict[str, object] = {
        "postcode": form.postcode.strip(),
        "stage": form.stage,
        "child_age_months": _age(form.child_age_months.strip()),
        "weeks_pregnant": _age(form.weeks_pregnant.strip()),
        "needs": form.needs,
        "level": form.level,
        "gp_practice": form.gp_practice.strip(),
        "from_service": form.from_service,
    }
    # An empty answer is no answer: Family then applies its default or says it is required.
    data = {k: v for k, v in data.items() if v not in ("", [])}
    errors: list[FieldError] = []
    day = _day(form, today)
    if isinstance(day, FieldError):
        errors.append(day)
        day = today
    try:
        family = Family.model_validate(data)
    except ValidationError as exc:
        errors = _field_errors(exc, form) + errors
    if errors:
        raise InvalidForm(FormErrors(errors))
    return family, day


def need_error(m: Map, need: str) -> FieldError | None:
    """A chosen need the map does not know, as the form's error (the core decides)."""
    if not need:
        return None
    try:
        require_need(need, m.need_codes(), loc=("need",))
    except UnknownNeed:
        return FieldError("need", "Select a need from the list")
    return None

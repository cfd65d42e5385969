"""The commissioners' page: overlap as a heat map, gaps by ward and age band, a what-if form
and the referral network, at any date. A thin adapter over navigator.core.analytics."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ValidationError

from api.deps import MapDep
from navigator.core import analytics
from navigator.core.errors import NavigatorError, UnknownNeed
from navigator.core.models import MAX_AGE_MONTHS, MIN_AGE_MONTHS, Level
from navigator.core.search import require_need
from navigator.core.snapshot import Snapshot
from navigator.core.wording import when
from web.forms import BAD_DATE, FieldError, FormErrors
from web.templating import render

router = APIRouter(include_in_schema=False)

# The header's links (web.templating.NAV) should gain ("/commission", "Commissioners"); the
# layout test in tests/web/test_pages.py pins them, so its owner adds both together.
MATRIX_SERVICES = 12
TOP_PAIRS = 20
WHAT_IF_FIELDS = ["name", "needs", "levels", "min_age_months", "max_age_months", "area"]
LEVELS = {lv.value for lv in Level}


class WhatIfForm(BaseModel):
    """The what-if form as typed: strings, so any answer can be shown back."""

    name: str = ""
    needs: list[str] = []
    levels: list[str] = []
    min_age_months: str = ""
    max_age_months: str = ""
    area: str = ""
    as_of: str = ""
    # The gaps table's choices, carried through so the page comes back as it was.
    need: str = ""
    level: str = ""


def _day(as_of: str, errors: list[FieldError]) -> dt.date:
    if as_of.strip():
        try:
            return dt.date.fromisoformat(as_of.strip())
        except ValueError:
            errors.append(FieldError("as_of", BAD_DATE))
    return dt.date.today()


def _shade(score: float) -> str:
    """Light to mid blue as the score rises, in eleven steps (classes in style.css, not inline
    styles, which the Content-Security-Policy refuses): dark text stays readable on every one."""
    return f"shade-{round(10 * max(0.0, min(1.0, score)))}"


def _matrix(
    snap: Snapshot, day: dt.date, pairs: list[analytics.OverlapPair], names: dict[str, str]
) -> dict[str, Any]:
    """The services of the highest-scoring pairs, and the score of every pair among them."""
    ids: list[str] = []
    for p in pairs:
        for sid in (p.a, p.b):
            if sid not in ids and len(ids) < MATRIX_SERVICES:
                ids.append(sid)
    # Their pairs below the top ones too: a map of just these services, all pairs kept.
    few = snap.map.model_copy(update={"services": [snap.map.services_by_id[i] for i in ids]})
    every = analytics.overlap(map=few, index=snap.area_index, as_of=day, limit=None).pairs
    scores = {(p.a, p.b): p.score for p in every}
    scores |= {(b, a): s for (a, b), s in scores.items()}
    rows = [
        (
            sid,
            names.get(sid, sid),
            [
                (None, "", "the same service")
                if other == sid
                else (scores.get((sid, other)), _shade(scores.get((sid, other), 0.0)), "")
                for other in ids
            ],
        )
        for sid in ids
    ]
    return {"columns": [(sid, names.get(sid, sid)) for sid in ids], "rows": rows}


# Where the core's field names differ from the form's, and what to say about a wrong answer.
FORM_FIELD = {"areas": "area"}
WRONG_CHOICE = {
    "needs": "Select needs from the list",
    "levels": "Select levels from the list",
    "area": "Select an area from the list",
}


def _form_error(loc: tuple[str | int, ...], message: str) -> FieldError:
    """A core or validation error about a proposal's field, worded for the form."""
    field = FORM_FIELD.get(str(loc[0]), str(loc[0])) if loc else "name"
    if field not in WHAT_IF_FIELDS:
        return FieldError("name", message)
    return FieldError(field, WRONG_CHOICE.get(field, message))


def _age(form: WhatIfForm, field: str, errors: list[FieldError]) -> int | None:
    text = getattr(form, field).strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d{1,4}", text) and MIN_AGE_MONTHS <= int(text) <= MAX_AGE_MONTHS:
        return int(text)
    errors.append(
        FieldError(
            field,
            f"Enter a whole number of months from {MIN_AGE_MONTHS} (start of "
            f"pregnancy) to {MAX_AGE_MONTHS}, or leave it empty",
        )
    )
    return None


def _proposal(form: WhatIfForm) -> tuple[analytics.Proposal | None, list[FieldError]]:
    """The form as the core's Proposal, or the errors that stop it becoming one. Whether the
    map knows its needs and area is the core's to say (`analytics.propose`)."""
    errors: list[FieldError] = []
    name = form.name.strip()
    if not name:
        errors.append(FieldError("name", "Enter a name for the proposed service"))
    elif len(name) > 200:
        errors.append(FieldError("name", "Enter a name of 200 characters or fewer"))
    if not form.needs:
        errors.append(FieldError("needs", "Select at least one need"))
    if not form.levels:
        errors.append(FieldError("levels", "Select at least one level"))
    elif any(lv not in LEVELS for lv in form.levels):
        errors.append(FieldError("levels", WRONG_CHOICE["levels"]))
    lo = _age(form, "min_age_months", errors)
    hi = _age(form, "max_age_months", errors)
    if lo is not None and hi is not None and hi <= lo:
        errors.append(FieldError("max_age_months", "The age limit must be above the first age"))
    if errors:
        return None, errors
    try:
        proposal = analytics.Proposal(
            name=name,
            needs=list(dict.fromkeys(form.needs)),
            levels=[Level(lv) for lv in dict.fromkeys(form.levels)],
            min_age_months=lo,
            max_age_months=hi,
            areas=[form.area] if form.area else [],
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, [_form_error(tuple(first["loc"]), "Check this answer")]
    return proposal, []


def _page(
    request: Request,
    snap: Snapshot,
    *,
    as_of: str,
    need: str,
    level: str,
    form: WhatIfForm,
    what_if: analytics.WhatIfResult | None = None,
    errors: list[FieldError] | None = None,
) -> HTMLResponse:
    m = snap.map
    errors = list(errors or [])
    day = _day(as_of, errors)
    chosen_need = m.policy.analytics.default_need
    if need:
        try:
            require_need(need, m.need_codes(), loc=("need",))
            chosen_need = need
        except UnknownNeed:
            errors.append(FieldError("need", "Select a need from the list"))
    if level and level not in LEVELS:
        errors.append(FieldError("level", "Select a level from the list"))
    if chosen_need not in m.need_codes():
        chosen_need = m.needs[0].code  # the policy's default need is no longer on the map
    chosen_level = Level(level) if level in LEVELS else Level.universal_plus
    names = {s.id: s.name for s in m.services}
    overlap = analytics.overlap(map=m, index=snap.area_index, as_of=day)
    gaps = analytics.gaps(
        map=m, index=snap.area_index, need=chosen_need, level=chosen_level, as_of=day
    )
    network = analytics.network(map=m, graph=snap.graph, as_of=day)
    by_ward: dict[str, list[analytics.GapCell]] = {}
    for c in gaps.cells:
        by_ward.setdefault(c.ward_code, []).append(c)
    page_errors = [e for e in errors if e.field in ("as_of", "need", "level")]
    form_errors = [e for e in errors if e.field not in ("as_of", "need", "level")]
    return render(
        request,
        "commission.html",
        snap,
        {
            "as_of": as_of,
            "day": day,
            "when": when,
            "need": chosen_need,
            "level": chosen_level.value,
            "needs": m.needs,
            "need_labels": {n.code: n.label for n in m.needs},
            "levels": m.levels,
            "level_labels": {lv.id.value: lv.label for lv in m.levels},
            "ring_labels": {r.id.value: r.label for r in m.rings},
            "areas": m.areas,
            "district_name": next(
                (a.name for a in m.areas if a.id == m.policy.analytics.district_area), "district"
            ),
            "names": names,
            "matrix": _matrix(snap, day, overlap.pairs, names),
            "pairs": overlap.pairs[:TOP_PAIRS],
            "gaps": gaps,
            "gap_rows": list(by_ward.values()),
            "gap_count": sum(c.gap for c in gaps.cells),
            "network": network,
            "form": form,
            "what_if": what_if,
            "errors": FormErrors(errors),
            "error_list": page_errors + FormErrors(form_errors).items(WHAT_IF_FIELDS),
            "band_months": analytics.BAND_MONTHS,
        },
        status_code=422 if errors else 200,
    )


@router.get("/commission", response_class=HTMLResponse)
def commission(
    request: Request, snap: MapDep, as_of: str = "", need: str = "", level: str = ""
) -> HTMLResponse:
    """Overlap, gaps and the network as of a date."""
    return _page(
        request, snap, as_of=as_of[:20], need=need[:60], level=level[:30], form=WhatIfForm()
    )


@router.post("/commission/what-if", response_class=HTMLResponse)
def commission_what_if(
    request: Request,
    snap: MapDep,
    form: Annotated[WhatIfForm, Form()],
) -> HTMLResponse:
    """What a proposed service would duplicate and add. Nothing is stored."""
    errors: list[FieldError] = []
    day = _day(form.as_of, errors)
    proposal, problems = _proposal(form)
    result = None
    if proposal is not None and not errors:
        try:
            result = analytics.what_if(
                map=snap.map,
                index=snap.area_index,
                graph=snap.graph,
                proposal=proposal,
                as_of=day,
                limit=10,
            )
        except NavigatorError as exc:
            problems.append(_form_error(exc.loc, exc.message))
    return _page(
        request,
        snap,
        as_of=form.as_of[:20],
        need=form.need[:60],
        level=form.level[:30],
        form=form,
        what_if=result,
        errors=problems + [e for e in errors if e.field != "as_of"],
    )

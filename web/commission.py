"""The commissioners' pages: an overview with contents, then one page each for the gaps (a
ward x age-band heat map), overlap (a compact heat map), the referral network (a picture linked
to the map), what-if, change over time and, when switched on, demand. Every picture downloads
as SVG, PNG and CSV. A thin adapter over navigator.core.analytics."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from api.deps import EngineDep, MapDep
from navigator.core import analytics
from navigator.core.analytics import demand as demand_counts
from navigator.core.analytics.changes import cell_changes, change_dates, changes
from navigator.core.analytics.words import Words
from navigator.core.errors import NavigatorError
from navigator.core.models import MAX_AGE_MONTHS, MIN_AGE_MONTHS, Level, Map
from navigator.core.snapshot import Snapshot
from navigator.core.wording import when
from web import commission_views as views
from web.commission_pictures import Picture, csv_text, png
from web.forms import BAD_DATE, FieldError, FormErrors, need_error
from web.templating import render

router = APIRouter(include_in_schema=False)

TOP_PAIRS = 20
WHAT_IF_FIELDS = [
    "name",
    "needs",
    "levels",
    "min_age_months",
    "max_age_months",
    "area",
    "wards",
]
LEVELS = {lv.value for lv in Level}
Format = Literal["svg", "png", "csv"]
SECTIONS = [
    ("gaps", "Gaps", "/commission/gaps"),
    ("overlap", "Overlap", "/commission/overlap"),
    ("network", "Referral network", "/commission/network"),
    ("what-if", "What if", "/commission/what-if"),
    ("changes", "Change over time", "/commission/changes"),
]


class WhatIfForm(BaseModel):
    """The what-if form as typed: strings, so any answer can be shown back."""

    name: str = ""
    needs: list[str] = []
    levels: list[str] = []
    min_age_months: str = ""
    max_age_months: str = ""
    area: str = ""
    wards: list[str] = []
    localities: list[str] = []
    as_of: str = ""


# --- shared choices ------------------------------------------------------------------------


def _day(as_of: str, errors: list[FieldError], field: str = "as_of") -> dt.date:
    if as_of.strip():
        try:
            return dt.date.fromisoformat(as_of.strip())
        except ValueError:
            errors.append(FieldError(field, BAD_DATE))
    return dt.date.today()


def _choices(m: Map, need: str, level: str, errors: list[FieldError]) -> tuple[str, Level]:
    """The need and level the gaps grid shows: the asked ones, else the policy's defaults."""
    chosen_need = m.policy.analytics.default_need
    if need:
        error = need_error(m, need)
        if error is None:
            chosen_need = need
        else:
            errors.append(error)
    if level and level not in LEVELS:
        errors.append(FieldError("level", "Select a level from the list"))
    if chosen_need not in m.need_codes():
        chosen_need = m.needs[0].code  # the policy's default need is no longer on the map
    return chosen_need, Level(level) if level in LEVELS else Level.universal_plus


def _demand(request: Request, engine: Any, need: str) -> tuple[dict[str, int | None] | None, str]:
    """Questions asked per ward about `need` over the last 12 months, suppressed under 10;
    None when demand counting is off."""
    if not request.app.state.settings.demand_counts:
        return None, ""
    from navigator.db import demand as stored

    today = dt.date.today()
    start = demand_counts.month_of(today.replace(day=1) - dt.timedelta(days=335))
    end = demand_counts.month_of(today)
    rows = stored.read(engine, start=start, end=end)
    return demand_counts.by_ward(rows, need), f"{start} to {end}"


def _page(
    request: Request,
    snap: Snapshot,
    template: str,
    section: str,
    context: dict[str, Any],
    errors: list[FieldError] | None = None,
    order: list[str] | None = None,
) -> HTMLResponse:
    m = snap.map
    errors = errors or []
    return render(
        request,
        template,
        snap,
        {
            "section": section,
            "sections": SECTIONS,
            "when": when,
            "needs": m.needs,
            "levels": m.levels,
            "errors": FormErrors(errors),
            "error_list": FormErrors(errors).items(order or ["as_of", "need", "level"]),
            **views.context_words(m),
            **context,
        },
        status_code=422 if errors else 200,
    )


def _download(
    name: str, fmt: Format, picture: Picture, header: list[str], rows: list[list[object]]
) -> Response:
    filename = f"{name}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        body = "\ufeff" + csv_text(header, rows)  # a BOM: spreadsheets then read it as UTF-8
        return Response(body, media_type="text/csv; charset=utf-8", headers=disposition)
    svg = picture.svg(ident=name, standalone=True)
    if fmt == "svg":
        return Response(svg, media_type="image/svg+xml", headers=disposition)
    return Response(png(svg), media_type="image/png", headers=disposition)


def _bad_request(errors: list[FieldError]) -> Response:
    return Response(
        "\n".join(f"{e.field}: {e.message}" for e in errors),
        status_code=422,
        media_type="text/plain",
    )


# --- overview ------------------------------------------------------------------------------


@router.get("/commission", response_class=HTMLResponse)
def commission(request: Request, snap: MapDep, as_of: str = "") -> HTMLResponse:
    """The contents: each section with the one figure that says whether to look."""
    m = snap.map
    errors: list[FieldError] = []
    day = _day(as_of[:20], errors)
    need, level = _choices(m, "", "", errors)
    gaps = analytics.gaps(map=m, index=snap.area_index, need=need, level=level, as_of=day)
    overlap = analytics.overlap(map=m, index=snap.area_index, as_of=day, limit=TOP_PAIRS)
    network = analytics.network(map=m, graph=snap.graph, as_of=day)
    duplicates = [p for p in overlap.pairs if p.relation is analytics.Relation.overlap]
    return _page(
        request,
        snap,
        "commission.html",
        "",
        {
            "as_of": as_of[:20],
            "day": day,
            "link": views.query(as_of=as_of[:20]),
            "need": need,
            "level": level,
            "gap_count": sum(c.gap for c in gaps.cells),
            "cell_count": len(gaps.cells),
            "top_pair": duplicates[0] if duplicates else None,
            "network": network,
            "demand_on": request.app.state.settings.demand_counts,
        },
        errors,
    )


# --- gaps ----------------------------------------------------------------------------------


def _gaps(
    request: Request, snap: Snapshot, engine: Any, as_of: str, need: str, level: str
) -> tuple[dict[str, Any], list[FieldError]]:
    m = snap.map
    errors: list[FieldError] = []
    day = _day(as_of[:20], errors)
    chosen_need, chosen_level = _choices(m, need[:60], level[:30], errors)
    gaps = analytics.gaps(
        map=m, index=snap.area_index, need=chosen_need, level=chosen_level, as_of=day
    )
    demand, period = _demand(request, engine, chosen_need)
    words = Words(m)
    link = views.query(as_of=as_of[:20], need=need[:60], level=level[:30])
    title = (
        f"Services by ward and age: {words.need(chosen_need)}, "
        f"{words.level(chosen_level).lower()} level, as of {when(day)}"
    )
    picture = views.gaps_picture(
        gaps=gaps, words=words, demand=demand, demand_period=period, link=link, title=title
    )
    return {
        "as_of": as_of[:20],
        "day": day,
        "need": chosen_need,
        "level": chosen_level.value,
        "gaps": gaps,
        "rows": views.gap_rows(gaps, demand),
        "gap_count": sum(c.gap for c in gaps.cells),
        "check_only": _check_only(gaps),
        "picture": picture,
        "title": title,
        "link": link,
        "cell_label": views.cell_label,
        "demand": demand,
        "demand_period": period,
    }, errors


@router.get("/commission/gaps", response_class=HTMLResponse)
def commission_gaps(
    request: Request,
    snap: MapDep,
    engine: EngineDep,
    as_of: str = "",
    need: str = "",
    level: str = "",
) -> HTMLResponse:
    """Where are the gaps? A ward x age-band heat map, the names one click away."""
    context, errors = _gaps(request, snap, engine, as_of, need, level)
    return _page(request, snap, "commission_gaps.html", "gaps", context, errors)


@router.get("/commission/gaps.{fmt}")
def commission_gaps_download(
    request: Request,
    snap: MapDep,
    engine: EngineDep,
    fmt: Format,
    as_of: str = "",
    need: str = "",
    level: str = "",
) -> Response:
    context, errors = _gaps(request, snap, engine, as_of, need, level)
    if errors:
        return _bad_request(errors)
    header, rows = views.gaps_csv_rows(context["gaps"], Words(snap.map), context["demand"])
    name = f"gaps-{context['need']}-{context['level']}-{context['day']}"
    return _download(name, fmt, context["picture"], header, rows)


@router.get("/commission/gaps/{ward_code}", response_class=HTMLResponse)
def commission_gaps_ward(
    request: Request,
    snap: MapDep,
    engine: EngineDep,
    ward_code: str,
    as_of: str = "",
    need: str = "",
    level: str = "",
) -> HTMLResponse:
    """The services behind one ward's cells, band by band."""
    context, errors = _gaps(request, snap, engine, as_of, need, level)
    row = next((r for r in context["rows"] if r.ward_code == ward_code), None)
    if row is None:
        return render(
            request, "not_found.html", snap, {"service_id": ward_code[:20]}, status_code=404
        )
    return _page(request, snap, "commission_ward.html", "gaps", context | {"row": row}, errors)


# --- overlap -------------------------------------------------------------------------------


def _overlap(snap: Snapshot, as_of: str) -> tuple[dict[str, Any], list[FieldError]]:
    m = snap.map
    errors: list[FieldError] = []
    day = _day(as_of[:20], errors)
    top = analytics.overlap(map=m, index=snap.area_index, as_of=day, limit=TOP_PAIRS)
    ids = views.matrix_services(top.pairs)
    pairs = views.matrix_pairs(snap, day, ids)
    words = Words(m)
    no_catchment = sorted(
        (
            s
            for s in m.active_services(day)
            if not analytics.records_catchment([r for r in s.rules if r.active_on(day)])
        ),
        key=lambda s: s.name,
    )
    return {
        "as_of": as_of[:20],
        "day": day,
        "link": views.query(as_of=as_of[:20]),
        "top": top,
        "ids": ids,
        "pairs": pairs,
        "cards": 6,
        "picture": views.overlap_picture(ids=ids, pairs=pairs, words=words, day=day),
        "parts_words": views.parts_words,
        "ages": analytics.words.ages,
        "no_catchment": no_catchment,
        "Relation": analytics.Relation,
    }, errors


@router.get("/commission/overlap", response_class=HTMLResponse)
def commission_overlap(request: Request, snap: MapDep, as_of: str = "") -> HTMLResponse:
    """Where do remits overlap? A compact heat map, each score with its parts."""
    context, errors = _overlap(snap, as_of)
    return _page(request, snap, "commission_overlap.html", "overlap", context, errors)


@router.get("/commission/overlap.{fmt}")
def commission_overlap_download(snap: MapDep, fmt: Format, as_of: str = "") -> Response:
    context, errors = _overlap(snap, as_of)
    if errors:
        return _bad_request(errors)
    header, rows = views.overlap_csv_rows(context["top"].pairs, Words(snap.map))
    return _download(f"overlap-{context['day']}", fmt, context["picture"], header, rows)


# --- network -------------------------------------------------------------------------------


def _network(snap: Snapshot, as_of: str) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    day = _day(as_of[:20], errors)
    network = analytics.network(map=snap.map, graph=snap.graph, as_of=day)
    picture, steps = views.network_view(snap, day, network)
    return {
        "as_of": as_of[:20],
        "day": day,
        "link": views.query(as_of=as_of[:20]),
        "network": network,
        "picture": picture,
        "steps": steps,
        "map_link": "/map" + views.query(as_of=day.isoformat()),
    }, errors


@router.get("/commission/network", response_class=HTMLResponse)
def commission_network(request: Request, snap: MapDep, as_of: str = "") -> HTMLResponse:
    """How the referral network holds together: a picture, linked to the interactive map."""
    context, errors = _network(snap, as_of)
    return _page(request, snap, "commission_network.html", "network", context, errors)


@router.get("/commission/network.{fmt}")
def commission_network_download(snap: MapDep, fmt: Format, as_of: str = "") -> Response:
    context, errors = _network(snap, as_of)
    if errors:
        return _bad_request(errors)
    header, rows = views.network_csv_rows(context["network"], context["steps"], Words(snap.map))
    return _download(f"network-{context['day']}", fmt, context["picture"], header, rows)


# --- what if -------------------------------------------------------------------------------

# Where the core's field names differ from the form's, and what to say about a wrong answer.
FORM_FIELD = {"areas": "area", "ward_codes": "wards"}
WRONG_CHOICE = {
    "needs": "Select needs from the list",
    "levels": "Select levels from the list",
    "area": "Select an area from the list",
    "wards": "Select wards from the list",
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


def _wards(m: Map, form: WhatIfForm, errors: list[FieldError]) -> list[str]:
    """The wards ticked, and every ward of each whole locality ticked, in the district's order."""
    by_name = {loc.name: loc for loc in m.policy.analytics.localities}
    chosen = list(form.wards)
    for name in form.localities:
        loc = by_name.get(name)
        if loc is None:
            errors.append(FieldError("wards", WRONG_CHOICE["wards"]))
            continue
        chosen += loc.ward_codes
    return list(dict.fromkeys(chosen))


def _proposal(m: Map, form: WhatIfForm) -> tuple[analytics.Proposal | None, list[FieldError]]:
    """The form as the core's Proposal, or the errors that stop it becoming one. Whether the
    map knows its needs, area and wards is the core's to say (`analytics.propose`)."""
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
    wards = _wards(m, form, errors)
    if form.area and wards:
        errors.append(FieldError("area", "Choose an area or wards, not both"))
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
            ward_codes=wards,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, [_form_error(tuple(first["loc"]), "Check this answer")]
    return proposal, []


def _localities(snap: Snapshot) -> list[tuple[str, list[analytics.Ward]]]:
    """The district's wards grouped by locality; wards in none of them under 'Other wards'."""
    wards = {w.code: w for w in snap.area_index.wards}
    out = []
    placed: set[str] = set()
    for loc in snap.map.policy.analytics.localities:
        members = [wards[c] for c in loc.ward_codes if c in wards]
        placed.update(w.code for w in members)
        if members:
            out.append((loc.name, sorted(members, key=lambda w: w.name)))
    rest = [w for w in snap.area_index.wards if w.code not in placed]
    if rest:
        out.append(("Other wards", rest))
    return out


def _what_if_page(
    request: Request,
    snap: Snapshot,
    form: WhatIfForm,
    result: dict[str, Any] | None,
    errors: list[FieldError],
) -> HTMLResponse:
    return _page(
        request,
        snap,
        "commission_what_if.html",
        "what-if",
        {
            "form": form,
            "as_of": form.as_of[:20],
            "day": _day(form.as_of[:20], []),
            "link": views.query(as_of=form.as_of[:20]),
            "areas": snap.map.areas,
            "localities": _localities(snap),
            "result": result,
            "parts_words": views.parts_words,
        },
        errors,
        ["as_of", *WHAT_IF_FIELDS],
    )


@router.get("/commission/what-if", response_class=HTMLResponse)
def commission_what_if_form(request: Request, snap: MapDep, as_of: str = "") -> HTMLResponse:
    return _what_if_page(request, snap, WhatIfForm(as_of=as_of[:20]), None, [])


@router.post("/commission/what-if", response_class=HTMLResponse)
def commission_what_if(
    request: Request,
    snap: MapDep,
    form: Annotated[WhatIfForm, Form()],
) -> HTMLResponse:
    """What a proposed service would duplicate and add, and the gaps before and after. Nothing
    is stored."""
    m = snap.map
    errors: list[FieldError] = []
    day = _day(form.as_of[:20], errors)
    proposal, problems = _proposal(m, form)
    result = None
    if proposal is not None and not errors:
        try:
            answer = analytics.what_if(
                map=m,
                index=snap.area_index,
                graph=snap.graph,
                proposal=proposal,
                as_of=day,
                limit=10,
            )
            judged = analytics.propose(map=m, index=snap.area_index, proposal=proposal, as_of=day)
            result = _before_after(snap, judged, answer, proposal, day)
        except NavigatorError as exc:
            problems.append(_form_error(exc.loc, exc.message))
    return _what_if_page(request, snap, form, result, problems + errors)


def _before_after(
    snap: Snapshot,
    judged: analytics.Proposed,
    answer: analytics.WhatIfResult,
    proposal: analytics.Proposal,
    day: dt.date,
) -> dict[str, Any]:
    """The gaps for the proposal's first need at its first level, today and with it running."""
    need = proposal.needs[0]
    level = min(proposal.levels, key=lambda lv: lv.rank)
    running = judged.service.model_copy(update={"valid_from": None, "valid_to": None})
    with_it = judged.map.model_copy(update={"services": [*judged.map.services, running]})
    before = analytics.gaps(map=snap.map, index=snap.area_index, need=need, level=level, as_of=day)
    after = analytics.gaps(map=with_it, index=judged.index, need=need, level=level, as_of=day)
    words = Words(with_it)
    link = views.query(as_of=day.isoformat(), need=need, level=level.value)
    head = f"{words.need(need)}, {words.level(level).lower()} level"
    return {
        "answer": answer,
        "need": need,
        "level": level,
        "before": before,
        "after": after,
        "wards": [w.name for w in judged.index.wards if w.code in set(proposal.ward_codes)],
        "before_picture": views.gaps_picture(
            gaps=before,
            words=words,
            demand=None,
            demand_period="",
            link=link,
            title=f"Before: {head}, as of {when(day)}",
        ),
        "after_picture": views.gaps_picture(
            gaps=after,
            words=words,
            demand=None,
            demand_period="",
            link=link,
            title=f"After, with “{proposal.name}”: {head}",
        ),
        "gaps_before": sum(c.gap for c in before.cells),
        "gaps_after": sum(c.gap for c in after.cells),
        "names": {s.id: s.name for s in with_it.services},
    }


# --- change over time ----------------------------------------------------------------------


def _check_only(gaps: analytics.GapsResult) -> int:
    """Cells with services, every one of which depends on a check."""
    return sum(1 for c in gaps.cells if not c.gap and len(c.checks) == len(c.services))


def _changes(
    snap: Snapshot, start: str, end: str, need: str, level: str
) -> tuple[dict[str, Any], list[FieldError]]:
    m = snap.map
    errors: list[FieldError] = []
    first = _day(start[:20], errors, "from") if start.strip() else None
    second = _day(end[:20], errors, "to")
    chosen_need, chosen_level = _choices(m, need[:60], level[:30] or "specialist", errors)
    dates = change_dates(map=m, need=chosen_need)
    if first is None:
        # By default, the day before the first change for this need: the story from its start.
        first = dates[0] - dt.timedelta(days=1) if dates else second
    first, second = min(first, second), max(first, second)
    found = changes(map=m, start=first, end=second)
    index = snap.area_index
    before = analytics.gaps(map=m, index=index, need=chosen_need, level=chosen_level, as_of=first)
    after = analytics.gaps(map=m, index=index, need=chosen_need, level=chosen_level, as_of=second)
    words = Words(m)
    head = f"{words.need(chosen_need)}, {words.level(chosen_level).lower()} level"
    return {
        "start": first,
        "end": second,
        "from_text": start[:20] or first.isoformat(),
        "to_text": end[:20],
        "need": chosen_need,
        "level": chosen_level.value,
        "found": found,
        "steps": [(d, d - dt.timedelta(days=1)) for d in dates],
        "before": before,
        "after": after,
        "moved": cell_changes(before, after),
        "gaps_before": sum(c.gap for c in before.cells),
        "gaps_after": sum(c.gap for c in after.cells),
        "checks_before": _check_only(before),
        "checks_after": _check_only(after),
        "before_picture": views.gaps_picture(
            gaps=before,
            words=words,
            demand=None,
            demand_period="",
            link=views.query(as_of=first.isoformat(), need=chosen_need, level=chosen_level.value),
            title=f"{when(first)}: {head}",
        ),
        "after_picture": views.gaps_picture(
            gaps=after,
            words=words,
            demand=None,
            demand_period="",
            link=views.query(as_of=second.isoformat(), need=chosen_need, level=chosen_level.value),
            title=f"{when(second)}: {head}",
        ),
        "query": views.query,
        "link": "",
    }, errors


@router.get("/commission/changes", response_class=HTMLResponse)
def commission_changes(
    request: Request,
    snap: MapDep,
    need: str = "",
    level: str = "",
    start: Annotated[str, "from"] = "",
    end: Annotated[str, "to"] = "",
) -> HTMLResponse:
    """What changed between two dates, and the gap picture at each."""
    params = request.query_params
    context, errors = _changes(snap, params.get("from", start), params.get("to", end), need, level)
    return _page(
        request,
        snap,
        "commission_changes.html",
        "changes",
        context,
        errors,
        ["from", "to", "need", "level"],
    )


@router.get("/commission/changes.csv")
def commission_changes_download(
    request: Request, snap: MapDep, need: str = "", level: str = ""
) -> Response:
    params = request.query_params
    context, errors = _changes(snap, params.get("from", ""), params.get("to", ""), need, level)
    if errors:
        return _bad_request(errors)
    found = context["found"]
    words = Words(snap.map)
    rows: list[list[object]] = []
    for c in found.started:
        rows.append(["Service started", c.name, c.on or "", "", ""])
    for c in found.ended:
        rows.append(["Service ended", c.name, c.on or "", "", ""])
    for r in found.rules_changed:
        kind = "Catchment changed" if r.catchment_changed else "Rules changed"
        rows.append([kind, r.name, "", "; ".join(r.before), "; ".join(r.after)])
    for e in found.edges_started:
        rows.append(
            ["Referral link started", words.service(e.source), "", "", words.service(e.target)]
        )
    for e in found.edges_ended:
        rows.append(
            ["Referral link ended", words.service(e.source), "", words.service(e.target), ""]
        )
    for cell in context["moved"]:
        rows.append(
            [
                "Gap picture changed",
                f"{cell.ward}, {analytics.words.BAND_WORDS[cell.age_band]}",
                "",
                words.services(cell.before) or "Gap",
                words.services(cell.after) or "Gap",
            ]
        )
    header = ["Change", "What", "Date", f"On {found.start}", f"On {found.end}"]
    name = f"changes-{found.start}-to-{found.end}"
    return _download(name, "csv", Picture(0, 0, "", ""), header, rows)


# --- demand --------------------------------------------------------------------------------


@router.get("/commission/demand.csv")
def commission_demand_download(request: Request, snap: MapDep, engine: EngineDep) -> Response:
    """Every stored count of the last 12 months, each under 10 suppressed."""
    if not request.app.state.settings.demand_counts:
        return Response("Demand counting is switched off", status_code=404, media_type="text/plain")
    from navigator.db import demand as stored

    today = dt.date.today()
    start = demand_counts.month_of(today.replace(day=1) - dt.timedelta(days=335))
    rows = stored.read(engine, start=start, end=demand_counts.month_of(today))
    words = Words(snap.map)
    wards = {w.code: w.name for w in snap.area_index.wards}
    out: list[list[object]] = [
        [
            words.need(c.need),
            c.ward_code,
            wards.get(c.ward_code, c.ward_code),
            c.month,
            "fewer than 10" if c.suppressed else c.count,
        ]
        for c in demand_counts.cells(rows)
    ]
    header = ["Need", "Ward code", "Ward", "Month", "Questions asked"]
    return _download("demand", "csv", Picture(0, 0, "", ""), header, out)

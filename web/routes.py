"""The practitioners' pages: the navigator form and results, the directory, the system map.

Thin adapters, like the API's routes: a Family goes to Snapshot.navigate, the map is read from
the Snapshot, and templates only lay out what these functions hand them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, FastAPI, Form, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.demand import count_question
from api.deps import MapDep
from api.headers import allow_inline
from navigator.core.contacts import contacts_of
from navigator.core.errors import NavigatorError
from navigator.core.family import Family
from navigator.core.models import Map, Need, Ring, Service
from navigator.core.search import ServiceQuery, find_hits
from navigator.core.snapshot import Snapshot
from navigator.core.wording import when
from web import present
from web.forms import (
    BAD_DATE,
    FIELDS,
    FieldError,
    FormErrors,
    InvalidForm,
    NavigateForm,
    navigator_error,
    need_error,
)
from web.forms import parse as parse_form
from web.mapview import RING_COLOUR, MapCache, assets, assets_version
from web.templating import NO_STORE, STATIC_DIR, render

router = APIRouter(include_in_schema=False)

FormDep = Annotated[NavigateForm, Form()]
MAX_ON_PAGE = 500


def need_groups(m: Map) -> list[tuple[str, list[tuple[Need, str]]]]:
    """Needs grouped for fieldsets, each with its checkbox id (the first one is 'needs')."""
    groups: dict[str, list[tuple[Need, str]]] = {}
    for i, n in enumerate(m.needs):
        groups.setdefault(n.group, []).append((n, "needs" if i == 0 else f"needs-{n.code}"))
    return list(groups.items())


def _by_name(services: list[Service]) -> list[Service]:
    return sorted(services, key=lambda s: s.name.casefold())


def form_page(
    request: Request,
    snap: Snapshot,
    form: NavigateForm,
    errors: FormErrors | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    m = snap.map
    errors = errors or FormErrors()
    return render(
        request,
        "navigate.html",
        snap,
        {
            "form": form.with_date_boxes(),
            "errors": errors,
            "error_list": errors.items(FIELDS),
            "need_groups": need_groups(m),
            "levels": m.levels,
            "level_labels": {lv.id.value: lv.label for lv in m.levels},
            "default_level": Family.model_fields["level"].default,
            "services": _by_name(m.active_services(dt.date.today())),
        },
        status_code=status_code,
        headers=NO_STORE,
    )


@router.get("/", response_class=HTMLResponse)
def navigate_form(request: Request, snap: MapDep) -> HTMLResponse:
    return form_page(request, snap, NavigateForm())


@router.post("/change-answers", response_class=HTMLResponse)
def change_answers(request: Request, snap: MapDep, form: FormDep) -> HTMLResponse:
    """The form again with the answers given, from the results page's 'Change answers'.

    Not under /edit: that is the editors' area, and their cookie must never travel with a
    family's answers."""
    return form_page(request, snap, form)


@router.post("/", response_class=HTMLResponse)
@router.post("/results", response_class=HTMLResponse)
def navigate_results(
    request: Request, snap: MapDep, form: FormDep, background: BackgroundTasks
) -> HTMLResponse:
    """Where should this family go? Nothing of the form is stored or logged (beyond the
    opt-in demand count: one per need, ward and month)."""
    m = snap.map
    try:
        family, day = parse_form(form, dt.date.today())
        # The page lists everything: a practitioner reads why each service is or is not open.
        result = snap.navigate(family, day, limit=MAX_ON_PAGE)
    except InvalidForm as exc:
        return form_page(request, snap, form, exc.errors, status_code=422)
    except NavigatorError as exc:
        return form_page(request, snap, form, navigator_error(exc, form), status_code=422)
    count_question(request, background, snap, family)

    lmm = m.service(m.lmm.service_id)
    # LMM's offer leads when a need it works with is ticked (a relationship worry).
    show_lmm = lmm is not None and bool(set(family.needs) & set(lmm.needs))
    levels = {lv.id: lv.label for lv in m.levels}
    stage = present.stage_words(family.stage, family.child_age_months, family.weeks_pregnant)
    return render(
        request,
        "results.html",
        snap,
        {
            "form": form.with_date_boxes(),
            "family": family,
            "result": result,
            "show_lmm": show_lmm,
            "crisis": any(n.code == "crisis" for n in result.notices),
            "lmm": lmm,
            "names": {s.id: s.name for s in m.services},
            "facts": {
                r.service_id: present.card_facts(m, r.service_id) for r in result.recommendations
            },
            "needs": {n.code: n.label for n in m.needs},
            "levels": levels,
            "rings": {r.id: r.label for r in m.rings},
            "strands": {s.id: s.name for s in m.lmm.strands},
            "consultations": {c.id: c for c in m.lmm.consultation_types},
            "stage": stage,
            "summary": present.referral_summary(
                result,
                m=m,
                needs=family.needs,
                level=levels.get(family.level, family.level.value),
                stage=stage,
                show_lmm=show_lmm,
            ),
            "words": present,
        },
        headers=NO_STORE,
    )


@router.get("/services", response_class=HTMLResponse)
def directory(
    request: Request,
    snap: MapDep,
    q: str = "",
    need: str = "",
    ring: str = "",
) -> HTMLResponse:
    m = snap.map
    q = q[:200]  # as the field's maxlength: a longer query is typing, not an error
    errors = [e for e in (need_error(m, need),) if e is not None]
    if ring and ring not in {r.value for r in Ring}:
        errors.append(FieldError("ring", "Select a circle of the map from the list"))
    services: list[Service] = []
    matched: dict[str, str] = {}
    if not errors:
        # Best match first when searching; by name otherwise.
        query = ServiceQuery(
            text=q,
            need=need or None,
            ring=Ring(ring) if ring else None,
            order="name",
            places=snap.places if q.strip() else None,
        )
        hits = find_hits(m, query)
        services = [h.service for h in hits]
        matched = {h.service.id: h.matched for h in hits if h.matched}
    today = dt.date.today()
    return render(
        request,
        "directory.html",
        snap,
        {
            "q": q,
            "need": need,
            "ring": ring,
            "errors": FormErrors(errors),
            "error_list": errors,
            "services": [] if errors else services,
            "matched": matched,
            "running": {s.id: present.running(s, today) for s in services},
            "needs": m.needs,
            "rings": m.rings,
            "ring_labels": {r.id: r.label for r in m.rings},
            "facts": {s.id: present.card_facts(m, s.id) for s in services},
            "words": present,
        },
        status_code=422 if errors else 200,
    )


@router.get("/services/{service_id}", response_class=HTMLResponse)
def service_page(request: Request, snap: MapDep, service_id: str) -> HTMLResponse:
    m = snap.map
    service = m.service(service_id)
    if service is None:
        return render(request, "not_found.html", snap, {"service_id": service_id}, status_code=404)
    today = dt.date.today()
    edges_out, edges_in = present.edges_of(service, m)
    return render(
        request,
        "service.html",
        snap,
        {
            "service": service,
            # The template shows this, never service.address: refuges' addresses stay hidden.
            "address": service.public_address(),
            "inferred": set(service.inferred),
            "running": present.running(service, today),
            "ages": present.ages(service),
            "levels": {lv.id: lv for lv in m.levels},
            "needs": {n.code: n.label for n in m.needs},
            "ring_label": next((r.label for r in m.rings if r.id is service.ring), service.ring),
            "rules": [present.rule_view(r, m, today) for r in service.rules],
            "routes": service.routes,
            "contacts": contacts_of(service),
            "organisation": m.organisation(service.organisation_id),
            # Sites are never listed for a confidential address (the model refuses them too).
            "sites": [] if service.confidential_address else service.sites,
            "catchment": service.catchment,
            "edges_out": edges_out,
            "edges_in": edges_in,
            "sources": [(s, present.link(s.url)) for s in service.sources],
            "words": present,
        },
    )


@router.get("/map", response_class=HTMLResponse)
def system_map(request: Request, snap: MapDep, need: str = "", as_of: str = "") -> HTMLResponse:
    m = snap.map
    errors = [e for e in (need_error(m, need),) if e is not None]
    day = dt.date.today()
    if as_of:
        try:
            day = dt.date.fromisoformat(as_of)
        except ValueError:
            errors.append(FieldError("as_of", BAD_DATE))
    cache: MapCache = request.app.state.map_cache
    view = None if errors else cache.get(snap, m, need=need or None, day=day)
    if view is not None:
        allow_inline(request, view.network)  # pyvis's drawing script and div, by their hashes
    version = assets_version()
    return render(
        request,
        "map.html",
        snap,
        {
            "view": view,
            "need": need,
            "need_label": next((n.label for n in m.needs if n.code == need), None),
            "as_of": as_of,
            "day": day,
            "needs": m.needs,
            "errors": FormErrors(errors),
            "error_list": errors,
            "vis_js": f"/map/assets/{version}/vis-network.js",
            "vis_css": f"/map/assets/{version}/vis-network.css",
            "ring_colours": {r.value: c for r, c in RING_COLOUR.items()},
            "when": when,
        },
        status_code=422 if errors else 200,
    )


@router.get("/map/assets/{version}/{name}")
def map_asset(request: Request, version: str, name: str) -> Response:
    """vis-network, from pyvis's own copy: served by us, so the map needs no internet."""
    asset = assets().get(name)
    if asset is None or version != assets_version():
        return Response("Not found", status_code=404, media_type="text/plain")
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(asset.gzipped, media_type=asset.media_type, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


def mount(app: FastAPI) -> None:
    """Add the pages, their static files and the map cache to the app."""
    app.state.map_cache = MapCache()
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

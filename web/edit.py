"""The editors' pages: sign in with a key once a browser session, then edit services.

Signing in checks the key (api.auth: rate-limited, one scrypt) and starts a session: a random
token in a cookie (HttpOnly, SameSite=Strict, Secure over https; path /edit, or / in private
deployments, where the session opens every page), of which the database keeps only a hash. The
session ends on sign-out, when its key is revoked, after NAVIGATOR_SESSION_IDLE_MINUTES idle and
NAVIGATOR_SESSION_HOURS after sign-in, all checked on the server. Every form carries a CSRF token
derived from the session, and every save goes through navigator.db.writes with the ETag the form
was opened with, so an editor can never overwrite a change they did not see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import SESSION_COOKIE, Actor, AuthFailed, authenticator, client_of
from api.deps import MapDep, SessionDep, WriterDep
from api.limits import BadJson, check_text, strict_loads
from navigator.core.errors import InvalidEdit, NavigatorError, NotFound, PreconditionFailed
from navigator.core.snapshot import service_etag
from navigator.db import accounts, store
from navigator.db.keys import Role
from web.templating import NO_STORE, render

router = APIRouter(prefix="/edit", include_in_schema=False)
COOKIE = SESSION_COOKIE
# Not verified for a year: at the top of the editors' list, marked as stale.
STALE_AFTER = dt.timedelta(days=365)
JSON_FIELDS = ("rules", "routes", "sources", "contacts", "sites")
# Edited as JSON too, but an object or null rather than a list.
OBJECT_FIELDS = ("catchment",)
# Plain text; empty means none.
OPTIONAL_TEXT = ("organisation_id", "levels_status", "no_public_contact")
# Rules nest (any_of inside any_of); a real service needs three or four levels.
MAX_FORM_DEPTH = 8
WHOLE_MONTHS = re.compile(r"-?\d{1,4}")


def csrf_token(token: str) -> str:
    """Derived from the session's secret token: another site can neither read nor forge it."""
    return hmac.new(token.encode(), b"navigator-edit-csrf", hashlib.sha256).hexdigest()


def _cookie_path(request: Request) -> str:
    return "/" if request.app.state.settings.read_key_required else "/edit"


def _signed_in(request: Request) -> tuple[Actor, str] | None:
    """The session's actor and token, when the cookie holds a live session (sync routes)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    actor = authenticator(request).session_actor(request.app.state.engine, token)
    return None if actor is None else (actor, token)


def safe_next(target: str) -> str:
    """Where to go after signing in: a path on this site only, never another site."""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) <= 500
        and all(c.isprintable() and c != "\\" for c in target)
    ):
        return target
    return "/edit"


def _login_page(
    request: Request,
    snap: MapDep,
    error: str | None,
    status: int,
    *,
    target: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "edit_login.html",
        snap,
        {
            "error": error,
            "next": safe_next(target) if target else "",
            "private": request.app.state.settings.read_key_required,
        },
        status_code=status,
        headers=NO_STORE | (headers or {}),
    )


def _not_an_editor(request: Request, snap: MapDep, actor: Actor, token: str) -> HTMLResponse:
    return render(
        request,
        "edit_reader.html",
        snap,
        {"actor": actor, "csrf": csrf_token(token)},
        status_code=403,
        headers=NO_STORE,
    )


@router.get("", response_class=HTMLResponse)
def home(
    request: Request,
    snap: MapDep,
    session: SessionDep,
    next: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    who = _signed_in(request)
    if who is None:
        return _login_page(request, snap, None, 200, target=next)
    actor, token = who
    if next and safe_next(next) != "/edit":
        return RedirectResponse(safe_next(next), status_code=303)
    if not actor.role.allows(Role.editor):
        return _not_an_editor(request, snap, actor, token)
    today = dt.date.today()
    services = sorted(snap.map.services, key=lambda s: (s.last_verified, s.name))
    rows, _ = accounts.audit_entries(session, limit=20)
    return render(
        request,
        "edit_home.html",
        snap,
        {
            "actor": actor,
            "csrf": csrf_token(token),
            "services": services,
            "stale_before": today - STALE_AFTER,
            "audit": rows,
        },
        headers=NO_STORE,
    )


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    snap: MapDep,
    writer: WriterDep,
    key: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    auth = authenticator(request)
    try:
        actor = await auth.key_actor(request.app.state.engine, key, client_of(request))
    except AuthFailed as exc:
        message = "That key is not valid, or was revoked" if exc.status == 401 else exc.message
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return _login_page(request, snap, message, exc.status, target=next, headers=headers)
    token = await run_in_threadpool(writer.sign_in, key_id=actor.key_id, lifetime=auth.lifetime)
    response = RedirectResponse(safe_next(next) if next else "/edit", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        path=_cookie_path(request),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(
    request: Request, writer: WriterDep, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    who = _signed_in(request)
    if who is not None:
        if not hmac.compare_digest(csrf, csrf_token(who[1])):
            return Response("The form had expired: go back and try again", status_code=403)
        writer.sign_out(token=who[1])  # ended on the server: a copied cookie stops working
    response = RedirectResponse("/edit", status_code=303)
    response.delete_cookie(COOKIE, path=_cookie_path(request))
    return response


def _form_values(service: Any) -> dict[str, str]:
    data = service.model_dump(mode="json")
    values = {
        "name": data["name"],
        "remit": data["remit"],
        "min_age_months": "" if data["min_age_months"] is None else str(data["min_age_months"]),
        "max_age_months": "" if data["max_age_months"] is None else str(data["max_age_months"]),
        "last_verified": data["last_verified"],
    }
    for field in (*JSON_FIELDS, *OBJECT_FIELDS):
        values[field] = json.dumps(data[field], indent=2, ensure_ascii=False)
    for field in OPTIONAL_TEXT:
        values[field] = data[field] or ""
    return values


def _edit_page(
    request: Request,
    snap: MapDep,
    *,
    actor: Actor,
    token: str,
    service_id: str,
    values: dict[str, str],
    etag: str,
    errors: list[dict[str, str]],
    status: int = 200,
    saved: bool = False,
) -> HTMLResponse:
    for e in errors:
        e["anchor"] = e["field"] if e["field"] in values else "name"
    return render(
        request,
        "edit_service.html",
        snap,
        {
            "actor": actor,
            "csrf": csrf_token(token),
            "service_id": service_id,
            "values": values,
            "etag": etag,
            "errors": errors,
            "saved": saved,
        },
        status_code=status,
        headers=NO_STORE,
    )


@router.get("/services/{service_id}", response_class=HTMLResponse)
def edit_service(
    service_id: str, request: Request, snap: MapDep, session: SessionDep, saved: bool = False
) -> Response:
    who = _signed_in(request)
    if who is None:
        return RedirectResponse("/edit", status_code=303)
    if not who[0].role.allows(Role.editor):
        return _not_an_editor(request, snap, *who)
    service = store.get_service(session, service_id)
    if service is None:
        return render(request, "not_found.html", snap, {"service_id": service_id}, status_code=404)
    return _edit_page(
        request,
        snap,
        actor=who[0],
        token=who[1],
        service_id=service_id,
        values=_form_values(service),
        etag=service_etag(service, store.etag_key(session)),
        errors=[],
        saved=saved,
    )


def _patch_from(form: dict[str, str]) -> dict[str, Any]:
    """The form as a merge patch; JSON fields parsed, with errors naming the field."""
    patch: dict[str, Any] = {
        "name": form["name"],
        "remit": form["remit"],
        "last_verified": form["last_verified"],
    }
    for field, value in form.items():
        try:
            check_text(value, "It")
        except BadJson as exc:
            raise InvalidEdit(str(exc), loc=(field,)) from None
    for field in ("min_age_months", "max_age_months"):
        text = form[field].strip()
        if not text:
            patch[field] = None
        elif WHOLE_MONTHS.fullmatch(text):
            patch[field] = int(text)
        else:
            raise InvalidEdit("Enter a whole number of months, or leave it empty", loc=(field,))
    for field, empty in (*((f, "[]") for f in JSON_FIELDS), *((f, "null") for f in OBJECT_FIELDS)):
        try:
            patch[field] = strict_loads(form[field] or empty, max_depth=MAX_FORM_DEPTH)
        except BadJson as exc:
            raise InvalidEdit(f"Not valid JSON: {exc}", loc=(field,)) from None
    for field in OPTIONAL_TEXT:
        patch[field] = form[field].strip() or None
    return patch


@router.post("/services/{service_id}", response_class=HTMLResponse)
def save_service(
    service_id: str,
    request: Request,
    snap: MapDep,
    writer: WriterDep,
    csrf: Annotated[str, Form(max_length=100)],
    etag: Annotated[str, Form(max_length=100)],
    name: Annotated[str, Form(max_length=200)],
    remit: Annotated[str, Form(max_length=5000)],
    last_verified: Annotated[str, Form(max_length=20)],
    min_age_months: Annotated[str, Form(max_length=10)] = "",
    max_age_months: Annotated[str, Form(max_length=10)] = "",
    rules: Annotated[str, Form(max_length=100_000)] = "[]",
    routes: Annotated[str, Form(max_length=100_000)] = "[]",
    sources: Annotated[str, Form(max_length=100_000)] = "[]",
    contacts: Annotated[str, Form(max_length=100_000)] = "[]",
    sites: Annotated[str, Form(max_length=100_000)] = "[]",
    catchment: Annotated[str, Form(max_length=20_000)] = "null",
    organisation_id: Annotated[str, Form(max_length=80)] = "",
    levels_status: Annotated[str, Form(max_length=20)] = "",
    no_public_contact: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    who = _signed_in(request)
    if who is None:
        return RedirectResponse("/edit", status_code=303)
    actor, token = who
    if not hmac.compare_digest(csrf, csrf_token(token)):
        return Response("The form had expired: go back and try again", status_code=403)
    if not actor.role.allows(Role.editor):
        return _not_an_editor(request, snap, actor, token)
    values = {
        "name": name,
        "remit": remit,
        "last_verified": last_verified,
        "min_age_months": min_age_months,
        "max_age_months": max_age_months,
        "rules": rules,
        "routes": routes,
        "sources": sources,
        "contacts": contacts,
        "sites": sites,
        "catchment": catchment,
        "organisation_id": organisation_id,
        "levels_status": levels_status,
        "no_public_contact": no_public_contact,
    }
    try:
        writer.patch_service(
            service_id=service_id,
            patch=_patch_from(values),
            if_match=etag,
            actor=actor.name,
        )
    except NotFound:
        return render(request, "not_found.html", snap, {"service_id": service_id}, status_code=404)
    except PreconditionFailed as exc:
        error = {"field": "etag", "message": exc.message}
        return _edit_page(
            request, snap, actor=actor, token=token, service_id=service_id, values=values,
            etag=etag, errors=[error], status=409,
        )  # fmt: skip
    except NavigatorError as exc:
        field = str(exc.loc[0]) if exc.loc else "name"
        where = ".".join(str(p) for p in exc.loc[1:])
        message = f"{exc.message} (at {where})" if where else exc.message
        return _edit_page(
            request, snap, actor=actor, token=token, service_id=service_id, values=values,
            etag=etag, errors=[{"field": field, "message": message}], status=422,
        )  # fmt: skip
    return RedirectResponse(f"/edit/services/{service_id}?saved=true", status_code=303)

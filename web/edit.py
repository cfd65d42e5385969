"""The editors' pages: sign in with a key once a browser session, then edit services.

The key lives in a cookie (HttpOnly, SameSite=Strict, Secure over https, path /edit) and is
checked on every request, so replicas need no shared session store. Every form carries a CSRF
token derived from the key, and every save goes through navigator.db.writes with the ETag the
form was opened with, so an editor can never overwrite a change they did not see.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from api.auth import Actor, key_actor
from api.deps import MapDep, SessionDep, WriterDep
from navigator.core.errors import InvalidEdit, NavigatorError, NotFound, PreconditionFailed
from navigator.core.snapshot import service_etag
from navigator.db import accounts, store
from web.templating import NO_STORE, render

router = APIRouter(prefix="/edit", include_in_schema=False)
COOKIE = "navigator_key"
# Not verified for a year: at the top of the editors' list, marked as stale.
STALE_AFTER = dt.timedelta(days=365)
JSON_FIELDS = ("rules", "routes", "sources")


def csrf_token(key: str) -> str:
    return hmac.new(key.encode(), b"navigator-edit-csrf", hashlib.sha256).hexdigest()


def _signed_in(request: Request, session: Session) -> tuple[Actor, str] | None:
    key = request.cookies.get(COOKIE)
    if not key:
        return None
    actor = key_actor(session, key)
    return None if actor is None else (actor, key)


def _login_page(request: Request, snap: MapDep, error: str | None, status: int) -> HTMLResponse:
    return render(
        request, "edit_login.html", snap, {"error": error}, status_code=status, headers=NO_STORE
    )


@router.get("", response_class=HTMLResponse)
def home(request: Request, snap: MapDep, session: SessionDep) -> Response:
    who = _signed_in(request, session)
    if who is None:
        return _login_page(request, snap, None, 200)
    actor, key = who
    today = dt.date.today()
    services = sorted(snap.map.services, key=lambda s: (s.last_verified, s.name))
    rows, _ = accounts.audit_entries(session, limit=20)
    return render(
        request,
        "edit_home.html",
        snap,
        {
            "actor": actor,
            "csrf": csrf_token(key),
            "services": services,
            "stale_before": today - STALE_AFTER,
            "audit": rows,
        },
        headers=NO_STORE,
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, snap: MapDep, session: SessionDep, key: Annotated[str, Form(max_length=200)]
) -> Response:
    if key_actor(session, key.strip()) is None:
        return _login_page(request, snap, "That key is not valid, or was revoked", 401)
    response = RedirectResponse("/edit", status_code=303)
    response.set_cookie(
        COOKIE,
        key.strip(),
        path="/edit",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    who = _signed_in(request, session)
    if who is not None and not hmac.compare_digest(csrf, csrf_token(who[1])):
        return Response("The form had expired: go back and try again", status_code=403)
    response = RedirectResponse("/edit", status_code=303)
    response.delete_cookie(COOKIE, path="/edit")
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
    for field in JSON_FIELDS:
        values[field] = json.dumps(data[field], indent=2, ensure_ascii=False)
    return values


def _edit_page(
    request: Request,
    snap: MapDep,
    *,
    actor: Actor,
    key: str,
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
            "csrf": csrf_token(key),
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
    who = _signed_in(request, session)
    if who is None:
        return RedirectResponse("/edit", status_code=303)
    service = store.get_service(session, service_id)
    if service is None:
        return render(request, "not_found.html", snap, {"service_id": service_id}, status_code=404)
    return _edit_page(
        request,
        snap,
        actor=who[0],
        key=who[1],
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
    for field in ("min_age_months", "max_age_months"):
        text = form[field].strip()
        if not text:
            patch[field] = None
        elif text.lstrip("-").isdigit():
            patch[field] = int(text)
        else:
            raise InvalidEdit("Enter a whole number of months, or leave it empty", loc=(field,))
    for field in JSON_FIELDS:
        try:
            patch[field] = json.loads(form[field] or "[]")
        except json.JSONDecodeError as exc:
            raise InvalidEdit(
                f"Not valid JSON: {exc.msg} (line {exc.lineno})", loc=(field,)
            ) from None
    return patch


@router.post("/services/{service_id}", response_class=HTMLResponse)
def save_service(
    service_id: str,
    request: Request,
    snap: MapDep,
    session: SessionDep,
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
) -> Response:
    who = _signed_in(request, session)
    if who is None:
        return RedirectResponse("/edit", status_code=303)
    actor, key = who
    if not hmac.compare_digest(csrf, csrf_token(key)):
        return Response("The form had expired: go back and try again", status_code=403)
    values = {
        "name": name,
        "remit": remit,
        "last_verified": last_verified,
        "min_age_months": min_age_months,
        "max_age_months": max_age_months,
        "rules": rules,
        "routes": routes,
        "sources": sources,
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
            request, snap, actor=actor, key=key, service_id=service_id, values=values,
            etag=etag, errors=[error], status=409,
        )  # fmt: skip
    except NavigatorError as exc:
        field = str(exc.loc[0]) if exc.loc else "name"
        where = ".".join(str(p) for p in exc.loc[1:])
        message = f"{exc.message} (at {where})" if where else exc.message
        return _edit_page(
            request, snap, actor=actor, key=key, service_id=service_id, values=values,
            etag=etag, errors=[{"field": field, "message": message}], status=422,
        )  # fmt: skip
    return RedirectResponse(f"/edit/services/{service_id}?saved=true", status_code=303)

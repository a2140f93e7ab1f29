"""The pages (server-rendered shells in Danish or English); their scripts read the JSON API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from boligsocial.common.errors import ConfigError, NotFound
from boligsocial.outputs.web.auth import (
    MAY_EXPORT,
    Forbidden,
    Unauthorised,
    current,
    form_csrf_ok,
    language,
    remember_language,
    viewer,
)
from boligsocial.outputs.web.i18n import texts
from boligsocial.publish.access import EVENTS, Access
from boligsocial.publish.service import Service

router = APIRouter(include_in_schema=False)
#: The newest records the Revision page shows (the CSV download has up to 100,000).
REVISION_ROWS = 500
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(
    request: Request, template: str, page: str, *, extra: dict[str, Any] | None = None, **config: Any
) -> Response:
    """Render a page for a logged-in viewer (anyone else goes to the login) with its texts and a
    JSON config for its script (`config`; `extra` goes to the template only); remember the
    language."""
    v = viewer(request)
    lang = language(request)
    svc: Service = request.app.state.service
    settings = request.app.state.settings
    meta = svc.meta()
    t = texts(lang)
    page_config = {
        "lang": lang,
        "t": t,
        "page": page,
        "basemap_url": settings.basemap_url,
        "may_export": v.role in MAY_EXPORT,
        "model_names": svc.model_names(lang),  # the traffic-light models by name, not id
        **config,
    }
    context = {
        "t": t,
        "lang": lang,
        "other_lang": "en" if lang == "da" else "da",
        "page": page,
        "municipality": meta["municipality"]["name"],
        "config": json.dumps(page_config, ensure_ascii=False).replace("</", "<\\/"),  # stays in its tag
        "viewer": v,
        "csrf": getattr(request.state, "csrf", ""),
        "may_export": v.role in MAY_EXPORT,
        **config,
        **(extra or {}),
    }
    response = templates.TemplateResponse(request, template, context)
    remember_language(request, response)
    return response


def error_page(request: Request, status: int, message: str) -> Response:
    """A plain error page; the message may echo the URL, and the template escapes it."""
    lang = language(request)
    context = {"lang": lang, "t": texts(lang), "status": status, "message": message}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    return render(request, "overview.html", "overview")


@router.get("/omraade/{layer}/{area_id}", response_class=HTMLResponse)
def area(request: Request, layer: str, area_id: str) -> Response:
    svc: Service = request.app.state.service
    v = viewer(request)
    # unknown area: NotFound → 404 page; what a viewer may not see in detail the profile leaves out
    found = svc.profile(layer, area_id, language(request), v)
    return render(request, "area.html", "area", layer=layer, area_id=area_id, area_name=found["area"]["name"])


@router.get("/sammenlign", response_class=HTMLResponse)
def compare(request: Request) -> Response:
    return render(request, "compare.html", "compare")


@router.get("/lister", response_class=HTMLResponse)
def lists(request: Request) -> Response:
    return render(request, "lists.html", "lists")


def _admin_store(request: Request, refusal: str) -> Access:
    """The access store, for an admin's page (anyone else: 403 with `refusal`)."""
    if viewer(request).role != "admin":
        raise Forbidden("admin-only", refusal)
    store: Access = request.app.state.access
    return store


@router.get("/revision", response_class=HTMLResponse)
def revision(
    request: Request,
    event: str | None = None,
    user: str | None = None,
    since: str | None = None,
) -> Response:
    """The audit log for admins: filters, the newest records, the chain's state, CSV download."""
    store = _admin_store(request, "only an admin may read the audit log")
    filters = {k: val for k, val in (("event", event), ("user", user), ("since", since)) if val}
    records = store.audit(REVISION_ROWS, event or None, since=since or None, user=user or None)
    extra = {
        "records": records,
        "verdict": store.verify(),
        "events": EVENTS,
        "event": event,
        "user": user,
        "since": since,
        "csv_url": "/api/v1/audit.csv" + ("?" + urlencode(filters) if filters else ""),
    }
    return render(request, "revision.html", "revision", extra=extra)


@router.get("/brugere", response_class=HTMLResponse)
def users(
    request: Request,
    unlocked: str | None = None,
    not_locked: str | None = None,
    revoked: str | None = None,
) -> Response:
    """Users and API tokens for admins: who may log in, who is locked out after failed logins
    (with a button to unlock), every token with its label, expiry and last use (with a button to
    revoke it). Adding and changing users stays in `bsm users`, where the password is typed."""
    store = _admin_store(request, "only an admin may manage users")
    locked = {str(r["key"]): r["until"] for r in store.locked() if r["kind"] == "account"}
    t = texts(language(request))
    done = (
        t["users_unlocked"].format(user=unlocked)
        if unlocked
        else t["users_not_locked"].format(user=not_locked)
        if not_locked
        else t["tokens_revoked"].format(id=revoked)
        if revoked
        else ""
    )
    extra = {
        "users": [(u, locked.get(u.username.lower())) for u in store.users()],
        "tokens": store.tokens(),
        "done": done,
    }
    return render(request, "users.html", "users", extra=extra)


def _admin_form(request: Request, csrf: str) -> str:
    """The admin behind a form sent from an admin page: a session (not a token) and the form's
    CSRF token; the admin's user name."""
    v = current(request)
    if v is None or getattr(request.state, "auth", "") != "session":
        raise Unauthorised("login-required", "log in to manage users")
    if not form_csrf_ok(request, csrf):
        raise Forbidden("csrf", "missing or wrong CSRF token")
    if v.role != "admin":
        raise Forbidden("admin-only", "only an admin may manage users")
    return v.username or ""


@router.post("/brugere/unlock")
def unlock_user(
    request: Request, username: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> Response:
    """Lift a user's lock after failed logins (audited as `user-unlocked`)."""
    admin = _admin_form(request, csrf)
    store: Access = request.app.state.access
    if store.user(username) is None:
        raise NotFound("unknown-user", f"no user '{username}'", params={"user": username})
    was = store.unlock(username, actor=admin)
    return RedirectResponse("/brugere?" + urlencode({"unlocked" if was else "not_locked": username}), 303)


@router.post("/brugere/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, csrf: Annotated[str, Form()] = "") -> Response:
    """Revoke an API token at once (audited as `token-revoked`)."""
    admin = _admin_form(request, csrf)
    store: Access = request.app.state.access
    try:
        store.revoke_token(token_id, actor=admin)
    except ConfigError as exc:
        raise NotFound("unknown-token", str(exc), params={"token": token_id}) from exc
    return RedirectResponse("/brugere?" + urlencode({"revoked": token_id}), 303)


@router.get("/flytninger", response_class=HTMLResponse)
def moves(request: Request) -> Response:
    return render(request, "moves.html", "moves")

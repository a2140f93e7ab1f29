"""Who is asking: session cookies and API tokens, CSRF, login throttling, roles and the audit log.

Every page and API call gets its `Viewer` from `viewer()`; the viewer's role picks the disclosure
policy that the service publishes with. Anonymous access is refused unless the installation turns
on the public view, which reads with the strictest policy.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from boligsocial.common.errors import RequestError
from boligsocial.outputs.web.i18n import LANGUAGES, texts
from boligsocial.publish.access import Access, User
from boligsocial.publish.disclosure import AUDIENCE_OF_ROLE
from boligsocial.publish.service import Viewer

SESSION_COOKIE = "bsm_session"
LOGIN_CSRF_COOKIE = "bsm_login_csrf"
MAY_EXPORT = {"admin", "analyst"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

router = APIRouter(include_in_schema=False)
_templates = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescapes .html


class Unauthorised(RequestError):
    """No valid session or token (and no public view)."""

    status = 401


class Forbidden(RequestError):
    """The viewer's role may not do this."""

    status = 403


class Throttled(RequestError):
    """Too many failed logins."""

    status = 429


def access(request: Request) -> Access:
    store: Access = request.app.state.access
    return store


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _viewer_of(request: Request, user: User) -> Viewer:
    policies = request.app.state.policies
    return Viewer(user.role, policies[AUDIENCE_OF_ROLE[user.role]], user.username, user.organisation)


def current(request: Request) -> Viewer | None:
    """The viewer of this request, or None when nobody is logged in (and no public view)."""
    if hasattr(request.state, "viewer"):
        known: Viewer | None = request.state.viewer
        return known
    store = access(request)
    viewer = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = store.token_user(header[7:].strip())
        if user is None:
            raise Unauthorised("bad-token", "the API token is not valid")
        viewer = _viewer_of(request, user)
        request.state.auth = "token"
    elif cookie := request.cookies.get(SESSION_COOKIE):
        found = store.session(cookie)
        if found is not None:
            viewer = _viewer_of(request, found[0])
            request.state.csrf = found[1]
            request.state.auth = "session"
    if viewer is None and request.app.state.settings.anonymous == "public":
        viewer = Viewer("anonymous", request.app.state.policies["public"])
        request.state.auth = "anonymous"
    request.state.viewer = viewer
    return viewer


def viewer(request: Request) -> Viewer:
    """The viewer of an API call: 401 without a session, token or public view; CSRF checked for
    state-changing calls made with a session cookie."""
    v = current(request)
    if v is None:
        raise Unauthorised("login-required", "log in or send an API token (Authorization: Bearer …)")
    if request.method in UNSAFE and getattr(request.state, "auth", "") == "session":
        sent = request.headers.get("x-csrf-token", "")
        if not secrets.compare_digest(sent, getattr(request.state, "csrf", "")):
            raise Forbidden("csrf", "missing or wrong CSRF token (send X-CSRF-Token)")
    return v


async def _viewer(request: Request) -> Viewer:
    """`viewer` as an async dependency: run in the event loop, not in a worker thread (the answer
    is a cached lookup; a thread hop per request cost more than the whole request)."""
    return viewer(request)


async def _access(request: Request) -> Access:
    return access(request)


CurrentViewer = Annotated[Viewer, Depends(_viewer)]
AccessStore = Annotated[Access, Depends(_access)]


def require_export(v: Viewer) -> None:
    if v.role not in MAY_EXPORT:
        raise Forbidden("export-forbidden", f"the role '{v.role}' may not export", params={"role": v.role})


def require_admin(v: Viewer) -> None:
    if v.role != "admin":
        raise Forbidden("admin-only", "only an admin may do this")


# --- login and logout ------------------------------------------------------------------------------


def language(request: Request) -> str:
    """The language a page is in: `?lang=` when given, else the remembered choice (cookie), else
    Danish; anything else than a known language is Danish."""
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "da"
    return lang if lang in LANGUAGES else "da"


def remember_language(request: Request, response: Response) -> None:
    """Keep a language chosen with `?lang=` for the pages that follow."""
    lang = request.query_params.get("lang")
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, samesite="lax", httponly=True)


def _login_page(request: Request, message: str = "", status: int = 200) -> Response:
    """The login form, from a template with autoescape: nothing a visitor sends (the `lang`
    cookie or parameter, `next`) reaches the page as markup."""
    lang = language(request)
    token = secrets.token_urlsafe(32)
    context = {
        "lang": lang,
        "t": texts(lang),
        "csrf": token,
        "message": message,
        "next": request.query_params.get("next", "/"),
        "other_lang": "en" if lang == "da" else "da",
    }
    response = _templates.TemplateResponse(request, "login.html", context, status_code=status)
    remember_language(request, response)
    secure = request.app.state.settings.secure_cookies
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf: Annotated[str, Form()],
) -> Response:
    """Check the password (Argon2), throttle repeated failures, start a session."""
    store, settings, ip = access(request), request.app.state.settings, client_ip(request)
    t = texts(language(request))
    if not secrets.compare_digest(csrf, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _login_page(request, t["login_expired"], 403)
    user, wait = store.login(username, password, ip)
    if wait:
        page = _login_page(request, t["login_throttled"].format(minutes=max(1, round(wait / 60))), 429)
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    if user is None:
        return _login_page(request, t["login_failed"], 401)
    session, _ = store.new_session(user.username)
    nxt = request.query_params.get("next", "/")
    response = RedirectResponse(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/", 303)
    response.set_cookie(
        SESSION_COOKIE,
        session,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        max_age=8 * 3600,
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def form_csrf_ok(request: Request, csrf: str) -> bool:
    """Whether a form sent with a session carries that session's CSRF token."""
    return secrets.compare_digest(csrf, getattr(request.state, "csrf", ""))


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    v = current(request)
    if v is None or getattr(request.state, "auth", "") != "session":
        return RedirectResponse("/login", 303)
    if not form_csrf_ok(request, csrf):
        return JSONResponse(
            {"error": {"code": "csrf", "message": "missing or wrong CSRF token", "detail": {}}}, 403
        )
    access(request).end_session(request.cookies.get(SESSION_COOKIE, ""))
    access(request).log("logout", v.username, None, client_ip(request))
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response

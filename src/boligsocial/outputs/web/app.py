"""The application: one FastAPI app with the JSON API under /api/v1 and the pages, its security
headers, its one error shape, and the background start of the disclosure step (`prepare`)."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import plotly
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from boligsocial import __version__
from boligsocial.common.errors import BsmError, DatabaseError, RequestError
from boligsocial.outputs.web import api, auth, pages
from boligsocial.outputs.web.answers import AnswerCache
from boligsocial.outputs.web.jobs import ExportJobs
from boligsocial.outputs.web.schemas import errors_as_json
from boligsocial.outputs.web.settings import WebSettings
from boligsocial.publish.access import Access, Throttle, default_access_path
from boligsocial.publish.service import Service
from boligsocial.publish.service.elsewhere import in_own_process

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def error(status: int, code: str, message: str, detail: object | None = None) -> JSONResponse:
    """The one error shape of the API: {"error": {"code", "message", "detail"}}."""
    return JSONResponse({"error": {"code": code, "message": message, "detail": detail or {}}}, status)


class SecurityHeaders:
    """Pure ASGI middleware adding the security headers to every response (cheaper than a
    BaseHTTPMiddleware, which costs several times the request itself on this API)."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        img = "'self' data: blob:"
        if settings.basemap_url:
            img += " " + "/".join(settings.basemap_url.split("/")[:3])
        csp = (
            f"default-src 'self'; img-src {img}; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
        )
        self.headers = [
            (b"content-security-policy", csp.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if settings.secure_cookies:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith("/api/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
                if api:
                    message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, with_headers)


def prepare(app: FastAPI) -> threading.Thread:
    """Work out, in the background, what each audience of the installation may see (the
    disclosure step's protection against differencing takes minutes at the example's scale): in a
    process of its own, so the event loop keeps its interpreter; the first requests wait for it
    instead of each starting it."""
    svc: Service = app.state.service
    svc.builder = in_own_process(svc.db, svc.policies)
    settings: WebSettings = app.state.settings
    wanted = ["default", *(["public"] if settings.anonymous == "public" else [])]
    policies = [app.state.policies[name] for name in wanted if name in app.state.policies]
    thread = threading.Thread(target=svc.prepare, args=(policies,), name="bsm-prepare", daemon=True)
    thread.start()
    return thread


def create_app(db: Path, settings: WebSettings | None = None) -> FastAPI:
    """The application for one database file, with the installation's settings (taken whole: the
    disclosure policies the viewers read with are the ones the settings read at startup)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.exports.close()  # the export processes stop, their finished files are removed

    app = FastAPI(
        lifespan=lifespan,
        title="boligsocial API",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        description="Boligsocial monitorering: indicators, lists, forecasts and traffic lights per area.",
    )
    settings = settings or WebSettings()
    app.state.service = Service(db, settings.policies)
    app.state.settings = settings
    app.state.access = Access(
        settings.access_db or default_access_path(db),
        Throttle(
            account_failures=settings.throttle_failures,
            address_failures=settings.throttle_address_failures,
            window=float(settings.throttle_seconds),
        ),
        settings.audit_retention_days,
    )
    app.state.access.apply_retention()
    app.state.answers = AnswerCache(settings.answer_cache_mb * 1024 * 1024)
    app.state.exports = ExportJobs(settings.export_workers, settings.exports_per_user)
    app.state.policies = settings.policies  # read once, when the settings were made
    app.add_middleware(GZipMiddleware, minimum_size=1000)

    app.add_middleware(SecurityHeaders, settings=settings)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = errors_as_json(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    openapi_version=app.openapi_version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(RequestError)
    async def request_error(request: Request, exc: RequestError) -> Response:
        if not request.url.path.startswith("/api/"):
            if isinstance(exc, auth.Unauthorised):
                return RedirectResponse(f"/login?next={quote(str(request.url.path))}", 303)
            return pages.error_page(request, exc.status, exc.words_of(auth.language(request)))
        # the message in the asker's language (?lang=, the page's cookie; Danish by default)
        return error(exc.status, exc.code, exc.words_of(auth.language(request)), exc.detail)

    @app.exception_handler(DatabaseError)
    async def database_error(request: Request, exc: DatabaseError) -> JSONResponse:
        return error(503, "database-unavailable", str(exc))

    @app.exception_handler(BsmError)
    async def bsm_error(request: Request, exc: BsmError) -> JSONResponse:
        return error(400, "bad-request", str(exc))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [{"where": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return error(422, "invalid-parameter", "a parameter is missing or not valid", {"problems": problems})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return error(
                exc.status_code, "not-found" if exc.status_code == 404 else "http-error", str(exc.detail)
            )
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"}
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(auth.router)
    app.include_router(api.router)
    app.include_router(pages.router)
    return app

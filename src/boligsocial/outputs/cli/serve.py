"""`bsm serve` and `demo`: the dashboard, and the example installation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from boligsocial.common.errors import BsmError
from boligsocial.outputs.cli.common import app, console, fail, progress_bar, say
from boligsocial.outputs.cli.delivery import info
from boligsocial.publish.access import Access, default_access_path

if TYPE_CHECKING:
    from boligsocial.outputs.web.settings import WebSettings


#: `--db` of `bsm serve` may also come from BSM_DB, so unlike the other commands it is optional here.
ServeDbOption = Annotated[
    Path | None,
    typer.Option("--db", help="The DuckDB database file (env BSM_DB).", dir_okay=False, show_default=False),
]


@app.command()
def serve(
    db: ServeDbOption = None,
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1; env BSM_HOST).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000; env BSM_PORT).")] = None,
    basemap_url: Annotated[
        str | None,
        typer.Option(
            help="WMS GetMap URL template with {bbox}, {width}, {height} for a base map (off by "
            "default; env BSM_BASEMAP_URL)."
        ),
    ] = None,
    access_db: Annotated[
        Path | None,
        typer.Option(
            "--access-db",
            help="Users, sessions and audit log (default DB.access.sqlite; env BSM_ACCESS_DB).",
            dir_okay=False,
        ),
    ] = None,
    anonymous: Annotated[
        str | None,
        typer.Option(
            help="'off' (default: everyone logs in) or 'public' (a public view, strictest policy; "
            "env BSM_ANONYMOUS)."
        ),
    ] = None,
    secure_cookies: Annotated[
        bool | None,
        typer.Option(
            "--secure-cookies/--insecure-cookies",
            help="Session cookies only over HTTPS, and HSTS (default; localhost counts as secure). "
            "--insecure-cookies for a plain-HTTP intranet (env BSM_SECURE_COOKIES: true/false).",
            show_default=False,
        ),
    ] = None,
    policy: Annotated[
        Path | None,
        typer.Option("--policy", help="The installation's own disclosure policy, TOML (env BSM_POLICY)."),
    ] = None,
    trusted_proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="A reverse proxy (IP or CIDR) whose X-Forwarded-For is believed; repeat for more "
            "(none by default; env BSM_TRUSTED_PROXIES, comma-separated).",
        ),
    ] = None,
    audit_retention_days: Annotated[
        int | None,
        typer.Option(
            help="Remove audit records older than this many days (default 1825; env "
            "BSM_AUDIT_RETENTION_DAYS)."
        ),
    ] = None,
) -> None:
    """Serve the dashboard and the JSON API (/api/v1, OpenAPI at /openapi.json) behind login.

    Each option not given is read from its BSM_… environment variable, else its default.
    Example: [bold]bsm serve --db demo/bsm.duckdb --port 8000 --policy policy.toml[/]
    """
    from boligsocial.outputs.web.settings import ServeSettings

    options = {
        "db": db,
        "host": host,
        "port": port,
        "basemap_url": basemap_url,
        "access_db": access_db,
        "anonymous": anonymous,
        "secure_cookies": secure_cookies,
        "policy": policy,
        "trusted_proxies": trusted_proxy or None,
        "audit_retention_days": audit_retention_days,
    }
    try:
        settings = ServeSettings.load({k: v for k, v in options.items() if v is not None})
        web = settings.web()  # reads the policy file, once
    except BsmError as exc:
        raise fail(exc) from exc
    _run(settings.db, settings.host, settings.port, web, settings.trusted_proxies)


def _run(
    db: Path, host: str, port: int, settings: WebSettings, trusted_proxies: list[str] | None = None
) -> None:
    """Check the database, then serve the app with these settings until Ctrl+C."""
    import uvicorn

    from boligsocial.outputs.web import create_app, prepare
    from boligsocial.store.summary import database_summary

    try:
        database_summary(db)
        web_app = create_app(db, settings)
    except BsmError as exc:
        raise fail(exc) from exc
    prepare(web_app)  # what each audience may see, worked out while the server starts
    console.print(escape(say()("cli.dashboard", url=f"http://{host}:{port}/")))
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: only from the proxies
    # the installation names, so a visitor cannot pick the address it is throttled and logged as
    uvicorn.run(
        web_app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=bool(trusted_proxies),
        forwarded_allow_ips=",".join(trusted_proxies) if trusted_proxies else "",
    )


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where to build the demo.")] = Path("demo"),
    serve_dashboard: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards.")
    ] = True,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    seed: Annotated[int, typer.Option(help="Random seed of the example municipality.")] = 42,
) -> None:
    """Build the example municipality into DIR (delivery, database, key) and show it.

    Reuses what is already built. Example: [bold]bsm demo --dir demo --no-serve[/]
    """
    from boligsocial.example import generate as make
    from boligsocial.pipeline import load as run_load
    from boligsocial.pipeline.delivery import fingerprint
    from boligsocial.store.database import SCHEMA_VERSION
    from boligsocial.store.summary import database_summary

    delivery, db, key = directory / "delivery", directory / "bsm.duckdb", directory / "pseudonym.key"
    try:
        with progress_bar() as progress:
            if not (delivery / "municipality.toml").is_file():
                make(delivery, seed=seed, progress=progress)
            known = database_summary(db) if db.is_file() else None
            fresh = (
                known is not None
                and known.fingerprint == fingerprint(delivery)
                and known.schema_version == SCHEMA_VERSION
            )  # a newer version recomputes
            if not fresh:
                run_load(delivery, db, key, progress=progress)
    except BsmError as exc:
        raise fail(exc) from exc
    info(db)
    _demo_users(db)
    if serve_dashboard:
        # the example's own settings, not the environment's: its users are in the default access db
        from boligsocial.outputs.web.settings import WebSettings

        _run(db, host, port, WebSettings())


#: The example installation's users (demo only: the passwords are printed and documented).
DEMO_USERS = (
    ("admin", "admin", None),
    ("analytiker", "analyst", None),
    ("medarbejder", "staff", None),
    ("politiker", "politician", None),
    ("boligselskab", "housing_association", "Fjordby Boligselskab"),
)


def _demo_users(db: Path) -> None:
    store = Access(default_access_path(db))
    if not store.users():
        for name, role, org in DEMO_USERS:
            # the demo's passwords are printed and documented: not a password policy's business
            store.add_user(name, role, f"demo-{name}", org, weak_password_ok=True, actor="demo")
    t = say()
    table = Table(title=t("cli.demo_users"))
    for col in ("cli.col_username", "cli.col_password", "cli.col_role"):
        table.add_column(t(col))
    demo_names = {name for name, _, _ in DEMO_USERS}
    for user in store.users():
        if user.username in demo_names:  # only the demo's own users have the documented passwords
            table.add_row(
                user.username,
                f"demo-{user.username}",
                user.role + (f" ({user.organisation})" if user.organisation else ""),
            )
    console.print(table)

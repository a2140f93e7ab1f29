"""`bsm serve` and `demo`: the dashboard, and the example installation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from boligsocial.access import Access, default_access_path
from boligsocial.cli.common import AccessOption, DbOption, app, console, fail, progress_bar
from boligsocial.cli.delivery import info
from boligsocial.errors import BsmError


@app.command()
def serve(
    db: DbOption,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    basemap_url: Annotated[
        str | None, typer.Option(help="Optional WMS GetMap URL template for a base map (off by default).")
    ] = None,
    access_db: AccessOption = None,
    anonymous: Annotated[
        str, typer.Option(help="'off' (everyone logs in) or 'public' (a public view, strictest policy).")
    ] = "off",
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies/--insecure-cookies",
            help="Session cookies only over HTTPS (localhost counts as secure).",
        ),
    ] = True,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="The installation's own disclosure policy (TOML).")
    ] = None,
) -> None:
    """Serve the dashboard and the JSON API (/api/v1, OpenAPI at /openapi.json) behind login.

    Example: [bold]bsm serve --db demo/bsm.duckdb --port 8000[/]
    """
    import uvicorn

    from boligsocial.summary import database_summary
    from boligsocial.web import create_app
    from boligsocial.web.settings import WebSettings

    try:
        database_summary(db)
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(f"Dashboard: http://{host}:{port}/  (Ctrl+C stopper)")
    uvicorn.run(
        create_app(db, WebSettings(basemap_url=basemap_url)), host=host, port=port, log_level="warning"
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
    from boligsocial.delivery import fingerprint
    from boligsocial.example import generate as make
    from boligsocial.pipeline import load as run_load
    from boligsocial.store import SCHEMA_VERSION
    from boligsocial.summary import database_summary

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
        serve(db, host, port, None, None, "off", True, None)


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
            store.add_user(name, role, f"demo-{name}", org)
    table = Table(title="Demo-brugere (kun til eksemplet)")
    for col in ("brugernavn", "adgangskode", "rolle"):
        table.add_column(col)
    demo_names = {name for name, _, _ in DEMO_USERS}
    for user in store.users():
        if user.username in demo_names:  # only the demo's own users have the documented passwords
            table.add_row(
                user.username,
                f"demo-{user.username}",
                user.role + (f" ({user.organisation})" if user.organisation else ""),
            )
    console.print(table)

"""`bsm users …` and `audit`: who may log in, and what they did."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from boligsocial.access import Access, default_access_path
from boligsocial.cli.common import AccessOption, DbOption, app, console, fail
from boligsocial.errors import BsmError

users_app = typer.Typer(
    help="Users of the dashboard and the API: add, remove, list, set-role, token.", no_args_is_help=True
)
app.add_typer(users_app, name="users")


def _access(db: Path, access_db: Path | None) -> Access:
    return Access(access_db or default_access_path(db))


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    db: DbOption,
    role: Annotated[str, typer.Option(help="admin, analyst, staff, politician or housing_association.")],
    organisation: Annotated[
        str | None, typer.Option(help="For housing_association: its housing_org (as in addresses).")
    ] = None,
    access_db: AccessOption = None,
) -> None:
    """Add a user; the password is asked for (twice) and stored only as an Argon2 hash.

    Example: [bold]bsm users add mette --db demo/bsm.duckdb --role analyst[/]
    """
    password = typer.prompt("Adgangskode", hide_input=True, confirmation_prompt=True)
    try:
        store = _access(db, access_db)
        user = store.add_user(username, role, password, organisation)
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(f"Oprettede {user.username} ({user.role})")


@users_app.command("remove")
def users_remove(username: str, db: DbOption, access_db: AccessOption = None) -> None:
    """Remove a user (its sessions and tokens go with it).

    Example: [bold]bsm users remove mette --db demo/bsm.duckdb[/]
    """
    try:
        store = _access(db, access_db)
        store.remove_user(username)
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(f"Fjernede {username}")


@users_app.command("list")
def users_list(db: DbOption, access_db: AccessOption = None) -> None:
    """List users and roles.

    Example: [bold]bsm users list --db demo/bsm.duckdb[/]
    """
    store = _access(db, access_db)
    table = Table(title="Brugere")
    for col in ("brugernavn", "rolle", "organisation"):
        table.add_column(col)
    for user in store.users():
        table.add_row(user.username, user.role, user.organisation or "")
    console.print(table)


@users_app.command("set-role")
def users_set_role(
    username: str,
    db: DbOption,
    role: Annotated[str, typer.Option(help="admin, analyst, staff, politician or housing_association.")],
    organisation: Annotated[str | None, typer.Option(help="For housing_association.")] = None,
    access_db: AccessOption = None,
) -> None:
    """Change a user's role (ends the user's sessions).

    Example: [bold]bsm users set-role mette --db demo/bsm.duckdb --role staff[/]
    """
    try:
        store = _access(db, access_db)
        store.set_role(username, role, organisation)
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(f"{username} er nu {role}")


@users_app.command("token")
def users_token(
    username: str,
    db: DbOption,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    access_db: AccessOption = None,
) -> None:
    """Make a personal API token for integrations (Power BI, QGIS); shown once, stored hashed.

    Example: [bold]bsm users token mette --db demo/bsm.duckdb --label powerbi[/]
    """
    try:
        store = _access(db, access_db)
        token = store.new_token(username, label)
    except BsmError as exc:
        raise fail(exc) from exc
    console.print("Token (vises kun nu): ", end="")
    sys.stdout.write(token + "\n")


@app.command()
def audit(
    db: DbOption,
    limit: Annotated[int, typer.Option(help="Newest N records.")] = 50,
    event: Annotated[str | None, typer.Option(help="login, login-failed, export, profile-view, …")] = None,
    access_db: AccessOption = None,
) -> None:
    """The audit log: logins, failed logins, exports and area-profile views (who, what, when).

    Example: [bold]bsm audit --db demo/bsm.duckdb --event login-failed[/]
    """
    import datetime

    store = _access(db, access_db)
    table = Table(title="Revisionslog")
    for col in ("tid (UTC)", "bruger", "hændelse", "hvad", "adresse"):
        table.add_column(col)
    for r in store.audit(limit, event):
        at = datetime.datetime.fromtimestamp(float(r["at"]), datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[arg-type]
        table.add_row(
            at, str(r["username"] or ""), str(r["event"]), str(r["target"] or ""), str(r["ip"] or "")
        )
    console.print(table)

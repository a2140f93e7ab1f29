"""`bsm users …` and `audit`: who may log in, and what they did."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from boligsocial.common.errors import BsmError
from boligsocial.outputs.cli.common import (
    AccessOption,
    DbOption,
    FormatOption,
    actor,
    app,
    check_format,
    console,
    emit_table,
    err,
    fail,
    role_name,
    say,
)
from boligsocial.publish.access import TOKEN_DAYS, Access, default_access_path
from boligsocial.publish.access.auditlog import plain, text_frame

users_app = typer.Typer(
    help="Users of the dashboard and the API: add, remove, list, set-role, unlock, token, tokens, "
    "revoke-token.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")


def _access(db: Path, access_db: Path | None) -> Access:
    return Access(access_db or default_access_path(db))


def cell(value: object) -> Text:
    """A table cell from data as inert text: no Rich markup, control characters escaped."""
    return Text(plain(value))


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
    t = say()
    password = typer.prompt(t("cli.password"), hide_input=True, confirmation_prompt=t("cli.password_again"))
    try:
        store = _access(db, access_db)
        user = store.add_user(username, role, password, organisation, actor=actor())
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(escape(t("cli.user_added", user=user.username, role=role_name(user.role))))


@users_app.command("remove")
def users_remove(username: str, db: DbOption, access_db: AccessOption = None) -> None:
    """Remove a user (its sessions and tokens end at once, also in a running server).

    Example: [bold]bsm users remove mette --db demo/bsm.duckdb[/]
    """
    try:
        store = _access(db, access_db)
        store.remove_user(username, actor=actor())
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(escape(say()("cli.user_removed", user=username)))


@users_app.command("list")
def users_list(db: DbOption, access_db: AccessOption = None) -> None:
    """List users and roles.

    Example: [bold]bsm users list --db demo/bsm.duckdb[/]
    """
    store = _access(db, access_db)
    t = say()
    table = Table(title=t("cli.users"))
    for col in ("username", "role", "organisation"):
        table.add_column(t(f"cli.col_{col}"))
    for user in store.users():
        table.add_row(cell(user.username), cell(role_name(user.role)), cell(user.organisation))
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
        store.set_role(username, role, organisation, actor=actor())
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(escape(say()("cli.role_set", user=username, role=role_name(role))))


@users_app.command("unlock")
def users_unlock(username: str, db: DbOption, access_db: AccessOption = None) -> None:
    """Lift the lock that failed logins put on a user.

    Example: [bold]bsm users unlock mette --db demo/bsm.duckdb[/]
    """
    store = _access(db, access_db)
    was = store.unlock(username, actor=actor())
    console.print(escape(say()("cli.unlocked" if was else "cli.not_locked", user=username)))


@users_app.command("token")
def users_token(
    username: str,
    db: DbOption,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[int, typer.Option(help="Days until it expires (1–1825).")] = TOKEN_DAYS,
    access_db: AccessOption = None,
) -> None:
    """Make a personal API token for integrations (Power BI, QGIS); shown once, stored hashed,
    expires after --days (default a year).

    Example: [bold]bsm users token mette --db demo/bsm.duckdb --label powerbi[/]
    """
    try:
        store = _access(db, access_db)
        token = store.new_token(username, label, days, actor=actor())
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(escape(say()("cli.token_once")), end="")
    sys.stdout.write(token + "\n")


@users_app.command("tokens")
def users_tokens(
    db: DbOption,
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    access_db: AccessOption = None,
) -> None:
    """List API tokens: id, user, label, created, expires, last used (never the token itself).

    Example: [bold]bsm users tokens --db demo/bsm.duckdb --user mette[/]
    """
    store = _access(db, access_db)
    t = say()
    table = Table(title=t("cli.tokens"))
    for col in ("id", "user", "label", "created", "expires", "last_used"):
        table.add_column(t(f"cli.col_{col}"))
    for k in store.tokens(user):
        expires = say()("cli.expired", when=k["expires"]) if k["expired"] else k["expires"]
        table.add_row(*map(cell, (k["id"], k["username"], k["label"], k["created"], expires, k["last_used"])))
    console.print(table)


@users_app.command("revoke-token")
def users_revoke_token(token_id: str, db: DbOption, access_db: AccessOption = None) -> None:
    """Revoke an API token by its id (from `bsm users tokens`); at once, also in a running server.

    Example: [bold]bsm users revoke-token 3f9a0c12 --db demo/bsm.duckdb[/]
    """
    try:
        _access(db, access_db).revoke_token(token_id, actor=actor())
    except BsmError as exc:
        raise fail(exc) from exc
    console.print(escape(say()("cli.token_revoked", token=token_id)))


@app.command()
def audit(
    db: DbOption,
    limit: Annotated[int, typer.Option(help="Newest N records.")] = 50,
    event: Annotated[str | None, typer.Option(help="login, login-failed, export, read, …")] = None,
    since: Annotated[
        str | None, typer.Option(help="From this time on (ISO 8601, UTC), e.g. 2026-11-01.")
    ] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's records.")] = None,
    fmt: FormatOption = "table",
    verify: Annotated[
        bool, typer.Option("--verify", help="Check the hash chain of the whole log and print its head.")
    ] = False,
    access_db: AccessOption = None,
) -> None:
    """The audit log: logins, failures, user and token changes, exports, publications and data
    reads (who, role, what, when in UTC), newest first, as plain text.

    Example: [bold]bsm audit --db demo/bsm.duckdb --event login-failed --since 2026-11-01[/]
    """
    check_format(fmt)
    store = _access(db, access_db)
    if verify:
        verdict = store.verify()
        if not verdict.ok:
            err.print(f"[bold red]{say()('cli.audit_tampered')}[/] {escape(str(verdict.problem))}")
            raise typer.Exit(1)
        console.print(escape(say()("cli.audit_ok", records=verdict.records, head=verdict.head)))
        return
    records = store.audit(limit, event, since=since, user=user)
    if fmt == "json":  # JSON escapes control characters itself and keeps the details structured
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=1) + "\n")
        return

    frame = text_frame(records)
    emit_table(frame, fmt, None, _audit_table)


def _audit_table(frame: pl.DataFrame) -> Table:
    t = say()
    table = Table(title=t("cli.audit"))
    for col in ("time", "user", "role", "event", "target", "address", "detail"):
        table.add_column(t(f"cli.col_{col}"))
    for r in frame.iter_rows(named=True):
        table.add_row(
            *map(cell, (r["at"], r["username"], r["role"], r["event"], r["target"], r["ip"], r["detail"]))
        )
    return table

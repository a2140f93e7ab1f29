"""What every `bsm` command shares: the app, consoles, options, progress bars and error output.

Errors are translated here, once."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from boligsocial.common.errors import BsmError, DeliveryInvalid, RequestError
from boligsocial.common.files import write_private
from boligsocial.common.problems import Report, Severity
from boligsocial.common.progress import Progress as ProgressFn
from boligsocial.common.words import Words, language, words

app = typer.Typer(
    help="boligsocial monitorering (BSM): from a municipality's delivery to indicators per area and year.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals could hold person rows: never print them
)
console = Console()
err = Console(stderr=True)


#: The language of this invocation's messages (`bsm --lang`, else $BSM_LANG, else Danish).
_chosen: dict[str, str | None] = {"lang": None}


@app.callback()
def _options(
    lang: Annotated[
        str | None,
        typer.Option("--lang", envvar="BSM_LANG", help="Language of the messages: da (default) or en."),
    ] = None,
) -> None:
    """boligsocial monitorering (BSM): from a municipality's delivery to indicators per area and year."""
    _chosen["lang"] = language(lang) if lang else None  # set on every invocation, so none leaks


def say() -> Words:
    """The messages of the command line's language (`bsm --lang`, $BSM_LANG; Danish by default)."""
    return words(language(_chosen["lang"] or os.environ.get("BSM_LANG")))


DbOption = Annotated[Path, typer.Option("--db", help="The DuckDB database file.", dir_okay=False)]
KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Secret pseudonym key (created with mode 0600 on first use). "
        "Default: $BSM_KEY_FILE or ~/.config/boligsocial/pseudonym.key.",
        dir_okay=False,
    ),
]
MappingOption = Annotated[
    Path | None,
    typer.Option("--mapping", help="Mapping TOML (default: DELIVERY/mapping.toml if present).", exists=True),
]


def role_name(role: str) -> str:
    """A role (an audience) by its name in the command line's language (vocabulary.po)."""
    return say().name("role", role)


@contextmanager
def progress_bar() -> Iterator[ProgressFn]:
    """A Rich progress bar implementing the `Progress` protocol: one task per stage, worded in
    the command line's language."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
        disable=not err.is_terminal,
    ) as bar:
        tasks: dict[str, TaskID] = {}
        t = say()

        def report(description: str, done: int, total: int) -> None:
            if description not in tasks:
                label = t(description) if t.has(description) else description  # a stage's key
                tasks[description] = bar.add_task(label, total=total or None)
            bar.update(tasks[description], completed=done, total=total or None)

        yield report


def actor() -> str:
    """Who did it on the command line, for the audit log: the operating-system account."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def audit_cli(db: Path, event: str, target: str, **detail: object) -> None:
    """Record in the installation's audit log (beside `db`) what a command published."""
    from boligsocial.publish.access import Access, default_access_path

    Access(default_access_path(db)).log(event, actor(), target, None, role="operator", detail=detail)


def fail(exc: BsmError) -> typer.Exit:
    if isinstance(exc, DeliveryInvalid):
        print_report(exc.report, "table")
    # a message is text, not markup, and one line (a path in it stays whole to copy)
    t = say()
    text = exc.words_of(t.lang) if isinstance(exc, RequestError) else str(exc)
    err.print(f"[bold red]{t('cli.error')}[/] {escape(text)}", soft_wrap=True)
    return typer.Exit(1)


def print_report(report: Report, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    t = say()
    style = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
    word = {s: t(f"cli.severity.{s.value}") for s in Severity}
    for p in report.problems:
        place = ", ".join(
            part
            for part in (
                p.file or "",
                "" if p.row is None else t("cli.row", row=p.row),
                t("cli.column", column=p.column) if p.column else "",
            )
            if part
        )
        # the delivery's own text (file names, values) is text, not markup
        line = f"[{style[p.severity]}]{word[p.severity]}[/] {p.code} ({escape(place)}): {escape(p.message)}"
        if p.value is not None:
            line += " — " + escape(t("cli.value", value=repr(p.value)))
        if p.allowed:
            line += "; " + escape(t("cli.allowed", allowed=str(p.allowed)))
        console.print(line, markup=True, highlight=False, soft_wrap=True)
    verdict = f"[green]{t('cli.verdict_ok')}[/]" if report.ok else f"[red]{t('cli.verdict_errors')}[/]"
    console.print(f"{verdict}: {t('cli.counts', errors=report.error_count, warnings=report.warning_count)}")


def check_format(fmt: str) -> None:
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")


def emit_table(
    table: pl.DataFrame, fmt: str, out: Path | None, view: Callable[[pl.DataFrame], Table]
) -> None:
    """Write a result table as csv/json (to a file or stdout) or show it as a Rich table."""
    if fmt == "table":
        console.print(view(table))
        return
    text = table.write_csv() if fmt == "csv" else json.dumps(table.to_dicts(), ensure_ascii=False, indent=1)
    if out is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_private(out, text)
        err.print(escape(say()("cli.wrote_rows", rows=table.height, out=out)))


FormatOption = Annotated[str, typer.Option("--format", help="table, csv or json.")]
OutOption = Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")]
AudienceOption = Annotated[
    str | None,
    typer.Option("--audience", help="Publish for this role's disclosure policy (e.g. politician)."),
]
#: Files and publications leave the system: they are published for staff unless told otherwise.
PublishAudienceOption = Annotated[
    str, typer.Option("--audience", help="Publish for this role's disclosure policy.")
]

AccessOption = Annotated[
    Path | None,
    typer.Option(
        "--access-db", help="Users, sessions and audit log (default: DB.access.sqlite).", dir_okay=False
    ),
]

"""`bsm lists`, `classify` and `forecast`: the state's lists and their forecast."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table

from boligsocial.common.errors import BsmError
from boligsocial.common.words import Words
from boligsocial.outputs.cli.common import (
    AudienceOption,
    DbOption,
    FormatOption,
    OutOption,
    app,
    audit_cli,
    check_format,
    console,
    emit_table,
    err,
    fail,
    say,
)

if TYPE_CHECKING:
    from boligsocial.compute.backtest import Calibration


@app.command("lists")
def lists_command(
    db: DbOption,
    year: Annotated[int | None, typer.Option("--year", help="Only this list year.")] = None,
    layer: Annotated[str, typer.Option(help="Area layer, or 'all'.")] = "omraade",
    fmt: FormatOption = "table",
    out: OutOption = None,
    without_origin: Annotated[
        bool, typer.Option(help="Analysis variant without the non-western criterion.")
    ] = False,
    audience: AudienceOption = None,
    disagreements: Annotated[
        bool, typer.Option("--disagreements", help="Show where official lists and computation differ.")
    ] = False,
) -> None:
    """The state's lists per area and list year: criteria, thresholds, margins, flags and category.

    Shares and ratios are fractions; flags are true/false, empty where the regime has no such list.
    Example: [bold]bsm lists --db demo/bsm.duckdb --year 2026 --format csv --out lister.csv[/]
    """
    from boligsocial.publish.service import list_disagreements, list_results

    check_format(fmt)
    try:
        found = list_disagreements(db)
        if disagreements:
            emit_table(found, fmt, out, _disagreements_view)
            return
        table = list_results(db, year, None if layer == "all" else layer, without_origin, role=audience)
    except BsmError as exc:
        raise fail(exc) from exc
    emit_table(table, fmt, out, _lists_view)
    if audience is not None:  # published for someone: it leaves the system
        audit_cli(
            db,
            "export",
            f"lists {layer}/{year or 'alle'} for {audience}",
            rows=table.height,
            out=str(out or "-"),
        )
    if fmt == "table" and found.height:
        err.print(escape(say()("cli.disagreements_found", count=found.height)), highlight=False)


def _category(t: Words, category: str, eligible: bool) -> str:
    """A list category by name; in brackets for an area that cannot be listed (indicative)."""
    name = t.name("list", category or "none")
    return name if eligible or category == "none" else f"({name})"


def _disagreements_view(table: pl.DataFrame) -> Table:
    t = say()
    view = Table(title=t("cli.disagreements"))
    for col in ("list_year", "area", "name", "list", "official", "computed", "rules"):
        view.add_column(t(f"cli.col_{col}"))
    yes = {True: t("cli.yes"), False: t("cli.no")}
    for r in table.iter_rows(named=True):
        view.add_row(
            str(r["list_year"]),
            r["area_id"],
            r["name"],
            t.name("list", r["list"]),
            yes[r["official"]],
            yes[r["computed"]],
            r["rule_set"],
        )
    return view


@app.command()
def classify(
    figures: Annotated[Path, typer.Argument(help="CSV/Parquet/Excel with area-level figures.")],
    history: Annotated[
        Path | None, typer.Option("--history", help="Earlier lists, like official_lists.csv.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write CSV here instead of stdout.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="csv, json or table.")] = "csv",
    without_origin: Annotated[
        bool, typer.Option(help="Analysis variant without the non-western criterion.")
    ] = False,
) -> None:
    """Classify areas from area-level figures (such as the ministry's published table), no person data.

    Columns: area_id, list_year, residents, nonwestern_share, labour_share, crime_share, crime_ratio,
    education_share, income_ratio (fractions; crime_share where the regime has an absolute crime
    threshold, crime_ratio otherwise). Output: the columns of [bold]bsm lists[/].
    Example: [bold]bsm classify tal.csv --history official_lists.csv --out lister.csv[/]
    """
    from boligsocial.pipeline import classify_file

    check_format(fmt)
    try:
        table = classify_file(figures, history, without_origin)
    except BsmError as exc:
        raise fail(exc) from exc
    emit_table(table, fmt, out, _lists_view)


def _lists_view(table: pl.DataFrame) -> Table:
    t = say()
    view = Table(title=t("cli.lists"))
    for col in (
        "area",
        "name",
        "year",
        "rules",
        "almen",
        "residents",
        "nonwestern",
        "labour",
        "crime",
        "education",
        "income",
        "criteria",
        "category",
    ):
        view.add_column(t(f"cli.col_{col}"), overflow="fold")
    for r in table.iter_rows(named=True):
        pct = lambda v: "" if v is None else f"{100 * v:.1f}"  # noqa: E731
        view.add_row(
            r["area_id"],
            r["name"],
            str(r["list_year"]),
            r["rule_set"],
            t("cli.yes") if r["eligible"] else t("cli.no"),
            "" if r["residents"] is None else t.number(r["residents"]),
            pct(r["nonwestern_share"]),
            pct(r["labour_share"]),
            "" if r["crime_ratio"] is None else f"{r['crime_ratio']:.2f}×",
            pct(r["education_share"]),
            pct(r["income_ratio"]),
            "" if r["criteria_met"] is None else str(r["criteria_met"]),
            _category(t, r["category"], bool(r["eligible"])),
        )
    return view


@app.command("forecast")
def forecast_command(
    db: DbOption,
    year: Annotated[int | None, typer.Option("--year", help="Only this list year.")] = None,
    layer: Annotated[str, typer.Option(help="Area layer, or 'all'.")] = "omraade",
    fmt: FormatOption = "table",
    out: OutOption = None,
    audience: AudienceOption = None,
    backtest: Annotated[
        bool,
        typer.Option("--backtest", help="Back-test on the data's own history (Brier, reliability)."),
    ] = False,
) -> None:
    """Forecast of the coming 1 December lists: probability of each list and criterion, with intervals.

    The latest data year Y gives list Y+1 exactly (see [bold]bsm lists[/]); the forecast covers Y+2
    and Y+3. Example: [bold]bsm forecast --db demo/bsm.duckdb --backtest[/]
    """
    from boligsocial.publish.service import backtest_report, forecast_table

    check_format(fmt)
    try:
        if backtest:
            for cal in backtest_report(db, "omraade" if layer == "all" else layer):
                _print_calibration(cal)
            return
        table = forecast_table(db, year, None if layer == "all" else layer, audience)
    except BsmError as exc:
        raise fail(exc) from exc
    emit_table(table, fmt, out, _forecast_view)
    if audience is not None:
        audit_cli(
            db,
            "export",
            f"forecast {layer}/{year or 'alle'} for {audience}",
            rows=table.height,
            out=str(out or "-"),
        )


def _forecast_view(table: pl.DataFrame) -> Table:
    t = say()
    view = Table(title=t("cli.forecast"))
    for col in ("area", "name", "year"):
        view.add_column(t(f"cli.col_{col}"), overflow="fold")
    for name in ("udsat", "parallelsamfund", "omdannelse", "forebyggelse"):  # short: the table is wide
        view.add_column(t(f"cli.col_short_{name}"), overflow="fold")
    for col in ("labour", "crime_share", "education", "income"):
        view.add_column(t(f"cli.col_{col}"), overflow="fold")

    def pct(v: float | None) -> str:
        return "" if v is None else f"{100 * v:.0f} %"

    def band(r: dict, test: str, digits: int = 1) -> str:
        p, lo, hi = r.get(f"{test}_point"), r.get(f"{test}_low"), r.get(f"{test}_high")
        if p is None or lo is None or hi is None:
            return ""
        return f"{100 * p:.{digits}f} ({100 * lo:.{digits}f}–{100 * hi:.{digits}f}) {pct(r[f'{test}_p_met'])}"

    for r in table.iter_rows(named=True):
        view.add_row(
            r["area_id"],
            r["name"],
            str(r["list_year"]),
            pct(r.get("p_udsat")),
            pct(r.get("p_parallelsamfund")),
            pct(r.get("p_omdannelse")),
            pct(r.get("p_forebyggelse")),
            band(r, "labour"),
            band(r, "crime", 2),
            band(r, "education"),
            band(r, "income"),
        )
    return view


def _print_calibration(cal: Calibration) -> None:
    t = say()
    title = t(f"cli.calibration_{cal.kind}")
    scores = t(
        "cli.calibration",
        n=cal.n,
        brier=f"{cal.brier:.4f}",
        persistence=f"{cal.brier_persistence:.4f}",
        skill=f"{cal.skill:+.2f}",
    )
    console.print(f"[bold]{escape(title)}[/]: {escape(scores)}")
    view = Table(title=t("cli.reliability"))
    for col in ("probability", "count", "predicted", "observed"):
        view.add_column(t(f"cli.col_{col}"), justify="right")
    for r in cal.table.iter_rows(named=True):
        view.add_row(r["bin"], str(r["n"]), f"{r['predicted']:.3f}", f"{r['observed']:.3f}")
    console.print(view)

"""The `bsm` command line: generate, check, load, info and demo. Errors are translated here, once."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from boligsocial import __version__
from boligsocial.access import Access, default_access_path
from boligsocial.errors import BsmError, DeliveryInvalid

if TYPE_CHECKING:
    from boligsocial.backtest import Calibration
from boligsocial.problems import Report, Severity
from boligsocial.progress import Progress as ProgressFn
from boligsocial.pseudonym import default_key_path

app = typer.Typer(
    help="boligsocial monitorering (BSM): from a municipality's delivery to indicators per area and year.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,  # locals could hold person rows: never print them
)
console = Console()
err = Console(stderr=True)

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


@contextmanager
def _progress() -> Iterator[ProgressFn]:
    """A Rich progress bar implementing the `Progress` protocol: one task per stage description."""
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

        def report(description: str, done: int, total: int) -> None:
            if description not in tasks:
                tasks[description] = bar.add_task(description, total=total or None)
            bar.update(tasks[description], completed=done, total=total or None)

        yield report


def _fail(exc: BsmError) -> typer.Exit:
    if isinstance(exc, DeliveryInvalid):
        _print_report(exc.report, "table")
    err.print(f"[bold red]Fejl:[/] {exc}")
    return typer.Exit(1)


def _print_report(report: Report, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    style = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
    word = {Severity.ERROR: "FEJL", Severity.WARNING: "ADVARSEL", Severity.INFO: "INFO"}
    for p in report.problems:
        place = ", ".join(
            part
            for part in (
                p.file or "",
                "" if p.row is None else f"række {p.row}",
                f"kolonne {p.column}" if p.column else "",
            )
            if part
        )
        line = f"[{style[p.severity]}]{word[p.severity]}[/] {p.code} ({place}): {p.message}"
        if p.value is not None:
            line += f" — værdi {p.value!r}"
        if p.allowed:
            line += f"; tilladt: {p.allowed}"
        console.print(line, markup=True, highlight=False, soft_wrap=True)
    verdict = "[green]OK[/]" if report.ok else "[red]FEJL[/]"
    console.print(f"{verdict}: {report.error_count} fejl, {report.warning_count} advarsler")


@app.command()
def generate(
    directory: Annotated[Path, typer.Argument(help="Folder to write the delivery into (must be empty).")],
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives identical files.")] = 42,
    scale: Annotated[float, typer.Option(help="Population multiplier (50 ≈ all of Denmark).")] = 1.0,
    fmt: Annotated[str, typer.Option("--format", help="Table format: csv or parquet.")] = "csv",
) -> None:
    """Write the example municipality (Fjordby Kommune) as a delivery.

    Example: [bold]bsm generate demo/delivery --seed 42[/]
    """
    from boligsocial.example import generate as make

    if fmt not in ("csv", "parquet"):
        raise typer.BadParameter("--format must be csv or parquet")
    try:
        with _progress() as progress:
            summary = make(
                directory, seed=seed, scale=scale, fmt=cast(Literal["csv", "parquet"], fmt), progress=progress
            )
    except ValueError as exc:
        err.print(f"[bold red]Fejl:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"Skrev leverancen til {directory}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


@app.command()
def check(
    delivery: Annotated[Path, typer.Argument(help="The delivery folder.")],
    mapping: MappingOption = None,
    fmt: Annotated[str, typer.Option("--format", help="Report format: table or json.")] = "table",
    allow_unassigned: Annotated[
        bool, typer.Option(help="Report addresses outside every area as warnings.")
    ] = False,
) -> None:
    """Validate a delivery (files, columns, codes, keys, geometry, coverage) without loading it.

    Exit code 1 when there are errors. Example: [bold]bsm check demo/delivery --format json[/]
    """
    from boligsocial.pipeline import check as run_check

    try:
        with _progress() as progress:
            report = run_check(delivery, mapping, allow_unassigned, progress=progress)
    except BsmError as exc:
        raise _fail(exc) from exc
    _print_report(report, fmt)
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def load(
    delivery: Annotated[Path, typer.Argument(help="The delivery folder.")],
    db: DbOption,
    key_file: KeyOption = None,
    mapping: MappingOption = None,
    indicators: Annotated[
        list[Path] | None, typer.Option("--indicators", help="Extra indicator catalogue TOML file(s).")
    ] = None,
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="Extra rule-set TOML file(s): a new regime.")
    ] = None,
    traffic_light: Annotated[
        Path | None, typer.Option("--traffic-light", help="Own traffic-light models (TOML).")
    ] = None,
    allow_unassigned: Annotated[
        bool, typer.Option(help="Load even if addresses lie in no omraade area (they are reported).")
    ] = False,
) -> None:
    """Validate, pseudonymise, assign areas, compute indicators and commit atomically.

    Years already in the database are replaced, new years are added. If anything fails the database
    stays exactly as it was. Example: [bold]bsm load demo/delivery --db demo/bsm.duckdb[/]
    """
    from boligsocial.pipeline import load as run_load

    try:
        with _progress() as progress:
            summary = run_load(
                delivery,
                db,
                key_file or default_key_path(),
                mapping_path=mapping,
                indicator_files=indicators,
                rule_files=rules,
                traffic_light_file=traffic_light,
                allow_unassigned=allow_unassigned,
                progress=progress,
            )
    except BsmError as exc:
        raise _fail(exc) from exc
    if summary.report.warning_count:
        _print_report(summary.report, "table")
    total = sum(summary.seconds.values())
    console.print(
        f"Indlæste {summary.municipality}: {summary.persons_rows:,} personår, "
        f"år {summary.years[0]}–{summary.years[-1]}, på {total:.1f} s → {db}"
    )


@app.command()
def info(db: DbOption) -> None:
    """Print municipality, data years, areas per layer and residents per year.

    Example: [bold]bsm info --db demo/bsm.duckdb[/]
    """
    from boligsocial.summary import database_summary

    try:
        s = database_summary(db)
    except BsmError as exc:
        raise _fail(exc) from exc
    console.print(f"[bold]{s.municipality}[/] (kode {s.code}, region {s.region}), BSM {__version__}")
    console.print(f"Dataår: {', '.join(map(str, s.years))}")
    areas = Table(title="Områder pr. lag")
    areas.add_column("lag")
    areas.add_column("områder", justify="right")
    for layer, n in s.areas.items():
        areas.add_row(layer, str(n))
    console.print(areas)
    residents = Table(title="Beboere pr. år")
    residents.add_column("år")
    residents.add_column("beboere", justify="right")
    for year, n in s.residents.items():
        residents.add_row(str(year), f"{n:,}")
    console.print(residents)


@app.command("lists")
def lists_command(
    db: DbOption,
    year: Annotated[int | None, typer.Option("--year", help="Only this list year.")] = None,
    layer: Annotated[str, typer.Option(help="Area layer, or 'all'.")] = "omraade",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    without_origin: Annotated[
        bool, typer.Option(help="Analysis variant without the non-western criterion.")
    ] = False,
    audience: Annotated[
        str | None,
        typer.Option("--audience", help="Publish for this role's disclosure policy (e.g. politician)."),
    ] = None,
    disagreements: Annotated[
        bool, typer.Option("--disagreements", help="Show where official lists and computation differ.")
    ] = False,
) -> None:
    """The state's lists per area and list year: criteria, thresholds, margins, flags and category.

    Shares and ratios are fractions; flags are true/false, empty where the regime has no such list.
    Example: [bold]bsm lists --db demo/bsm.duckdb --year 2026 --format csv --out lister.csv[/]
    """
    from boligsocial.service import list_disagreements, list_results

    _check_format(fmt)
    try:
        found = list_disagreements(db)
        if disagreements:
            _emit_table(found, fmt, out, _disagreements_view)
            return
        table = list_results(db, year, None if layer == "all" else layer, without_origin, role=audience)
    except BsmError as exc:
        raise _fail(exc) from exc
    _emit_table(table, fmt, out, _lists_view)
    if fmt == "table" and found.height:
        err.print(
            f"{found.height} uoverensstemmelser mellem de officielle lister og beregningen: "
            "se [bold]bsm lists --disagreements[/]"
        )


def _disagreements_view(table: pl.DataFrame) -> Table:
    view = Table(title="Officielle lister mod egen beregning")
    for col in ("listeår", "område", "navn", "liste", "officiel", "beregnet", "regler"):
        view.add_column(col)
    yes = {True: "ja", False: "nej"}
    for r in table.iter_rows(named=True):
        view.add_row(
            str(r["list_year"]),
            r["area_id"],
            r["name"],
            r["list"],
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

    _check_format(fmt)
    try:
        table = classify_file(figures, history, without_origin)
    except BsmError as exc:
        raise _fail(exc) from exc
    _emit_table(table, fmt, out, _lists_view)


def _lists_view(table: pl.DataFrame) -> Table:
    view = Table(title="Statens lister (vejledende for ikke-almene områder)")
    for col in (
        "område",
        "navn",
        "år",
        "regler",
        "almen",
        "beboere",
        "ikke-vestl.",
        "beskæft.",
        "krim.",
        "udd.",
        "indk.",
        "kriterier",
        "kategori",
    ):
        view.add_column(col, overflow="fold")
    for r in table.iter_rows(named=True):
        pct = lambda v: "" if v is None else f"{100 * v:.1f}"  # noqa: E731
        view.add_row(
            r["area_id"],
            r["name"],
            str(r["list_year"]),
            r["rule_set"],
            "ja" if r["eligible"] else "nej",
            f"{r['residents']:,}",
            pct(r["nonwestern_share"]),
            pct(r["labour_share"]),
            "" if r["crime_ratio"] is None else f"{r['crime_ratio']:.2f}×",
            pct(r["education_share"]),
            pct(r["income_ratio"]),
            "" if r["criteria_met"] is None else str(r["criteria_met"]),
            r["category"] if r["eligible"] or r["category"] == "none" else f"({r['category']})",
        )
    return view


def _check_format(fmt: str) -> None:
    if fmt not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")


def _emit_table(
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
        out.write_text(text, encoding="utf-8")
        err.print(f"Skrev {table.height} rækker til {out}")


@app.command("forecast")
def forecast_command(
    db: DbOption,
    year: Annotated[int | None, typer.Option("--year", help="Only this list year.")] = None,
    layer: Annotated[str, typer.Option(help="Area layer, or 'all'.")] = "omraade",
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    audience: Annotated[
        str | None,
        typer.Option("--audience", help="Publish for this role's disclosure policy (e.g. politician)."),
    ] = None,
    backtest: Annotated[
        bool,
        typer.Option("--backtest", help="Back-test on the data's own history (Brier, reliability)."),
    ] = False,
) -> None:
    """Forecast of the coming 1 December lists: probability of each list and criterion, with intervals.

    The latest data year Y gives list Y+1 exactly (see [bold]bsm lists[/]); the forecast covers Y+2
    and Y+3. Example: [bold]bsm forecast --db demo/bsm.duckdb --backtest[/]
    """
    from boligsocial.service import backtest_report, forecast_table

    _check_format(fmt)
    try:
        if backtest:
            for cal in backtest_report(db, "omraade" if layer == "all" else layer):
                _print_calibration(cal)
            return
        table = forecast_table(db, year, None if layer == "all" else layer, audience)
    except BsmError as exc:
        raise _fail(exc) from exc
    _emit_table(table, fmt, out, _forecast_view)


def _forecast_view(table: pl.DataFrame) -> Table:
    view = Table(title="Prognose for de kommende lister (sandsynlighed; 80 %-interval)")
    for col in (
        "område",
        "navn",
        "år",
        "udsat",
        "parallels.",
        "omdann.",
        "forebyg.",
        "beskæft.",
        "krim. (andel)",
        "udd.",
        "indk.",
    ):
        view.add_column(col, overflow="fold")

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
    title = {
        "criteria": "Kriterier (beskæftigelse, kriminalitet, uddannelse, indkomst)",
        "lists": "Lister (udsat, parallelsamfund, omdannelse, forebyggelse)",
    }[cal.kind]
    console.print(
        f"[bold]{title}[/]: {cal.n} prognoser, Brier-score {cal.brier:.4f} "
        f"(uændret fra året før: {cal.brier_persistence:.4f}; skill {cal.skill:+.2f})"
    )
    view = Table(title="Pålidelighed (reliability)")
    for col in ("sandsynlighed", "antal", "forudsagt", "observeret"):
        view.add_column(col, justify="right")
    for r in cal.table.iter_rows(named=True):
        view.add_row(r["bin"], str(r["n"]), f"{r['predicted']:.3f}", f"{r['observed']:.3f}")
    console.print(view)


AccessOption = Annotated[
    Path | None,
    typer.Option(
        "--access-db", help="Users, sessions and audit log (default: DB.access.sqlite).", dir_okay=False
    ),
]


@app.command()
def flows(
    db: DbOption,
    year_from: Annotated[int | None, typer.Option("--from", help="First move year (default: first).")] = None,
    year_to: Annotated[int | None, typer.Option("--to", help="Last move year (default: last).")] = None,
    by: Annotated[str, typer.Option(help="area, housing_type or kind.")] = "area",
    layer: Annotated[
        str, typer.Option(help="Area layer (omraade, or any other delivered layer).")
    ] = "omraade",
    trait: Annotated[
        str | None,
        typer.Option(
            help="Only movers with this trait: outside_labour, low_education, nonwestern, convicted, "
            "children or seniors."
        ),
    ] = None,
    area: Annotated[str | None, typer.Option(help="Only moves to or from this area of the layer.")] = None,
    housing_type: Annotated[
        str | None, typer.Option("--housing-type", help="Only moves to or from this housing type.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
    audience: Annotated[
        str | None,
        typer.Option("--audience", help="Publish for this role's disclosure policy (e.g. politician)."),
    ] = None,
) -> None:
    """Who moved where: moves from → to, summed over the years (end of year Y-1 to end of Y).

    An empty from/to is outside the municipality (or outside the layer's areas).
    Example: [bold]bsm flows --db demo/bsm.duckdb --from 2020 --by housing_type --trait outside_labour[/]
    """
    from boligsocial.service import flows_table

    _check_format(fmt)
    try:
        table = flows_table(db, by, year_from, year_to, layer, audience, trait, area, housing_type)
    except BsmError as exc:
        raise _fail(exc) from exc
    _emit_table(table, fmt, out, _flows_view)


def _flows_view(table: pl.DataFrame) -> Table:
    years = f" {table['year_from'][0]}–{table['year_to'][0]}" if table.height else ""
    view = Table(title=f"Flytninger{years} (tom = uden for kommunen)")
    for col in ("fra", "til", "flyttere"):
        view.add_column(col, justify="right" if col == "flyttere" else "left")
    for r in table.iter_rows(named=True):
        movers = r["label"] if r["state"] == "small" else f"{r['movers']:,.0f}"
        view.add_row(r["from"] or "(udenfor)", r["to"] or "(udenfor)", movers)
    return view


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
        raise _fail(exc) from exc
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
    from boligsocial.example import generate as make
    from boligsocial.pipeline import fingerprint
    from boligsocial.pipeline import load as run_load
    from boligsocial.store import SCHEMA_VERSION
    from boligsocial.summary import database_summary

    delivery, db, key = directory / "delivery", directory / "bsm.duckdb", directory / "pseudonym.key"
    try:
        with _progress() as progress:
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
        raise _fail(exc) from exc
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
        raise _fail(exc) from exc
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
        raise _fail(exc) from exc
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
        raise _fail(exc) from exc
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
        raise _fail(exc) from exc
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


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()

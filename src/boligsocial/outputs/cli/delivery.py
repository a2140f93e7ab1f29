"""`bsm generate`, `check`, `load` and `info`: from a delivery to a database."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.markup import escape
from rich.table import Table

from boligsocial import __version__
from boligsocial.common.errors import BsmError
from boligsocial.ingest.pseudonym import default_key_path
from boligsocial.outputs.cli.common import (
    DbOption,
    KeyOption,
    MappingOption,
    app,
    console,
    err,
    fail,
    print_report,
    progress_bar,
    say,
)


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
        with progress_bar() as progress:
            summary = make(
                directory, seed=seed, scale=scale, fmt=cast(Literal["csv", "parquet"], fmt), progress=progress
            )
    except ValueError as exc:
        err.print(f"[bold red]{say()('cli.error')}[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    made = ", ".join(f"{k}={v}" for k, v in summary.items())
    console.print(escape(say()("cli.wrote_delivery", directory=directory, summary=made)))


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
    from boligsocial.pipeline.delivery import check as run_check

    try:
        with progress_bar() as progress:
            report = run_check(delivery, mapping, allow_unassigned, progress=progress)
    except BsmError as exc:
        raise fail(exc) from exc
    print_report(report, fmt)
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
    wait: Annotated[
        bool,
        typer.Option(
            "--wait/--no-wait",
            help="While another load writes the same database: wait for it (default), or fail at once.",
        ),
    ] = True,
) -> None:
    """Validate, pseudonymise, assign areas, compute indicators and commit atomically.

    Years already in the database are replaced, new years are added. If anything fails the database
    stays exactly as it was. Loads of one database take turns. Example:
    [bold]bsm load demo/delivery --db demo/bsm.duckdb[/]
    """
    from boligsocial.pipeline import load as run_load

    try:
        with progress_bar() as progress:
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
                wait=wait,
                waiting=lambda pid: err.print(escape(say()("cli.waiting", db=db, pid=pid))),
            )
    except BsmError as exc:
        raise fail(exc) from exc
    if summary.report.warning_count:
        print_report(summary.report, "table")
    total = sum(summary.seconds.values())
    t = say()
    done = t(
        "cli.loaded",
        municipality=summary.municipality,
        rows=t.number(summary.persons_rows),
        first=summary.years[0],
        last=summary.years[-1],
        seconds=t.number(total, 1),
        db=db,
    )
    console.print(escape(done))


@app.command()
def info(db: DbOption) -> None:
    """Print municipality, data years, areas per layer and residents per year.

    Example: [bold]bsm info --db demo/bsm.duckdb[/]
    """
    from boligsocial.store.summary import database_summary

    try:
        s = database_summary(db)
    except BsmError as exc:
        raise fail(exc) from exc
    t = say()
    head = t("cli.info_head", municipality=s.municipality, code=s.code, region=s.region, version=__version__)
    console.print(escape(head))
    console.print(t("cli.info_years", years=", ".join(map(str, s.years))))
    areas = Table(title=t("cli.info_areas"))
    areas.add_column(t("cli.info_layer"))
    areas.add_column(t("cli.info_count"), justify="right")
    for layer, n in s.areas.items():
        areas.add_row(t.name("layer", layer), str(n))
    console.print(areas)
    residents = Table(title=t("cli.info_residents"))
    residents.add_column(t("cli.info_year"))
    residents.add_column(t("cli.info_people"), justify="right")
    for year, n in s.residents.items():
        residents.add_row(str(year), t.number(n))
    console.print(residents)

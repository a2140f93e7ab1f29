"""`bsm flows`: who moved where."""

from __future__ import annotations

from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from boligsocial.common.errors import BsmError
from boligsocial.outputs.cli.common import (
    AudienceOption,
    DbOption,
    FormatOption,
    OutOption,
    app,
    check_format,
    emit_table,
    fail,
    say,
)


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
    fmt: FormatOption = "table",
    out: OutOption = None,
    audience: AudienceOption = None,
) -> None:
    """Who moved where: moves from → to, summed over the years (end of year Y-1 to end of Y).

    An empty from/to is outside the municipality (or outside the layer's areas).
    Example: [bold]bsm flows --db demo/bsm.duckdb --from 2020 --by housing_type --trait outside_labour[/]
    """
    from boligsocial.publish.service import flows_table

    check_format(fmt)
    try:
        table = flows_table(db, by, year_from, year_to, layer, audience, trait, area, housing_type)
    except BsmError as exc:
        raise fail(exc) from exc
    emit_table(table, fmt, out, _flows_view)


def _flows_view(table: pl.DataFrame) -> Table:
    years = f" {table['year_from'][0]}–{table['year_to'][0]}" if table.height else ""
    t = say()
    view = Table(title=t("cli.flows", years=years))
    for col in ("from", "to", "movers"):
        view.add_column(t(f"cli.col_{col}"), justify="right" if col == "movers" else "left")
    outside = t("cli.outside")
    for r in table.iter_rows(named=True):
        movers = (
            r["label"] if r["state"] == "small" else ("" if r["movers"] is None else t.number(r["movers"]))
        )
        view.add_row(r["from"] or outside, r["to"] or outside, movers)
    return view

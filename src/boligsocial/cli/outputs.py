"""`bsm export` and `publish`: the published figures as files and in PostGIS."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from boligsocial.cli.common import (
    DbOption,
    PublishAudienceOption,
    app,
    console,
    fail,
    progress_bar,
)
from boligsocial.errors import BsmError


@app.command("export")
def export_command(
    db: DbOption,
    fmt: Annotated[str, typer.Option("--format", help="gpkg, geojson, xlsx, csv or pdf.")],
    out: Annotated[Path, typer.Option("--out", help="The file to write.", dir_okay=False)],
    year: Annotated[
        int | None, typer.Option(help="Only this data year (default: all; PDF: the last).")
    ] = None,
    layer: Annotated[str, typer.Option(help="Area layer.")] = "omraade",
    area: Annotated[
        str | None, typer.Option(help="PDF: an områdeprofil of this area (without: the årsstatus).")
    ] = None,
    audience: PublishAudienceOption = "staff",
) -> None:
    """Export the published figures for QGIS, Excel, Power BI or print, through the disclosure
    control of --audience (default: staff), with provenance.

    Examples: [bold]bsm export --db demo/bsm.duckdb --format gpkg --out omraader.gpkg[/]
    and [bold]bsm export --db demo/bsm.duckdb --format pdf --area fjordby-engparken --out profil.pdf[/]
    """
    from boligsocial.export import export, publication

    try:
        with progress_bar() as progress:
            progress(f"Eksporterer {fmt}", 0, 1)
            written = export(publication(db, audience), fmt, out, year=year, layer=layer, area=area)
            progress(f"Eksporterer {fmt}", 1, 1)
    except BsmError as exc:
        raise fail(exc) from exc
    for path in written:
        console.print(f"Skrev {path} ({path.stat().st_size:,} bytes, målgruppe {audience})")


@app.command()
def publish(
    db: DbOption,
    postgres: Annotated[
        str, typer.Option("--postgres", help="PostgreSQL URL, e.g. postgresql://user@host/dbname.")
    ],
    schema: Annotated[
        str, typer.Option(help="Schema to (re)place; it belongs to boligsocial.")
    ] = "boligsocial",
    audience: PublishAudienceOption = "staff",
) -> None:
    """Publish areas with geometry, indicators, lists, traffic lights and flows to PostgreSQL/PostGIS
    in one transaction, replacing the previous publication atomically.

    Example: [bold]bsm publish --db demo/bsm.duckdb --postgres postgresql://gis@localhost/kommune[/]
    """
    from boligsocial.export import publication
    from boligsocial.publish import publish as run_publish

    try:
        with progress_bar() as progress:
            written = run_publish(publication(db, audience), postgres, schema, progress=progress)
    except BsmError as exc:
        raise fail(exc) from exc
    view = Table(title=f"Publiceret i skemaet {schema} (målgruppe {audience})")
    view.add_column("tabel")
    view.add_column("rækker", justify="right")
    for table, rows in written.items():
        view.add_row(table, f"{rows:,}")
    console.print(view)

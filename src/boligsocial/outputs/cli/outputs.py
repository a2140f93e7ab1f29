"""`bsm export` and `publish`: the published figures as files and in PostGIS.

The operator holds the database, but a file leaves the system: it is published for `--audience`
(staff unless named), with the installation's policy file (`--policy` or BSM_POLICY, as `bsm
serve` reads it), and says which audience it was made for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from boligsocial.common.errors import BsmError
from boligsocial.outputs.cli.common import (
    DbOption,
    PublishAudienceOption,
    app,
    audit_cli,
    console,
    err,
    fail,
    progress_bar,
    role_name,
    say,
)

if TYPE_CHECKING:
    from boligsocial.outputs.export import Publication

#: The installation's own disclosure policy, as `bsm serve --policy` reads it.
PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy",
        envvar="BSM_POLICY",
        help="The installation's own disclosure policy, TOML (env BSM_POLICY); the same file as bsm serve's.",
        dir_okay=False,
    ),
]


def _publication(db: Path, audience: str, policy: Path | None) -> Publication:
    """The publication for `audience` with the installation's policies (shipped, overridden by
    `policy`)."""
    from boligsocial.outputs.export import publication
    from boligsocial.publish.disclosure import load_policies

    return publication(db, audience, load_policies(policy))


def _warn(pub: Publication, lang: str = "da") -> None:
    """Say so on the console too (in the file's language) when the file must not leave the
    analysis function."""
    warning = pub.warning(lang)
    if warning:
        err.print(f"[bold red]{warning}[/]", highlight=False)


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
        str | None,
        typer.Option(help="PDF: the area profile of this area (without: the annual status)."),
    ] = None,
    audience: PublishAudienceOption = "staff",
    policy: PolicyOption = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="The file's language: da or en (default: the messages' language, bsm --lang, else da); "
            "its words (sheets, headers, titles, field descriptions, report). Column ids and numbers "
            "are the same in both.",
        ),
    ] = None,
) -> None:
    """Export the published figures for QGIS, Excel, Power BI or print, through the disclosure
    control of --audience (default: staff), with provenance; the file says which audience it is for.

    Examples: [bold]bsm export --db demo/bsm.duckdb --format gpkg --out omraader.gpkg[/]
    and [bold]bsm export --db demo/bsm.duckdb --format pdf --area fjordby-engparken --out profil.pdf[/]
    and [bold]bsm export --db demo/bsm.duckdb --format xlsx --lang en --out areas.xlsx[/]
    """
    from boligsocial.outputs.export import export

    t = say()
    lang = lang or t.lang
    try:
        with progress_bar() as progress:
            progress(t("cli.exporting", format=fmt), 0, 1)
            pub = _publication(db, audience, policy)
            written = export(pub, fmt, out, year=year, layer=layer, area=area, lang=lang)
            progress(t("cli.exporting", format=fmt), 1, 1)
    except BsmError as exc:
        raise fail(exc) from exc
    audit_cli(
        db,
        "export",
        f"{fmt} {layer}/{year or 'alle'}/{area or '-'} for {audience}",
        files=[str(p) for p in written],
    )
    for path in written:
        size = t.number(path.stat().st_size)
        console.print(escape(t("cli.wrote_file", path=path, size=size, audience=role_name(audience))))
    _warn(pub, lang)


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
    policy: PolicyOption = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="The publication's language: da or en (default: the messages' language, bsm --lang, "
            "else da); the comments on the schema, tables and columns, and the traffic lights' reasons. "
            "Table and column names and codes are the same in both.",
        ),
    ] = None,
) -> None:
    """Publish areas with geometry, indicators, lists, traffic lights and flows to PostgreSQL/PostGIS
    in one transaction, replacing the previous publication atomically, for --audience (default:
    staff), which the schema's comment and the provenance table name.

    Example: [bold]bsm publish --db demo/bsm.duckdb --postgres postgresql://gis@localhost/kommune[/]
    and [bold]bsm publish --db demo/bsm.duckdb --postgres postgresql://gis@localhost/kommune --lang en[/]
    """
    from boligsocial.outputs.postgis import publish as run_publish

    t = say()
    lang = lang or t.lang
    try:
        with progress_bar() as progress:
            pub = _publication(db, audience, policy)
            written = run_publish(pub, postgres, schema, progress=progress, lang=lang)
    except BsmError as exc:
        raise fail(exc) from exc
    # the address of the server, never its password
    where = postgres.split("@")[-1] if "@" in postgres else postgres
    audit_cli(db, "publication", f"postgres {where}/{schema} for {audience}", tables=written)
    view = Table(title=t("cli.published", schema=schema, audience=role_name(audience)))
    view.add_column(t("cli.col_table"))
    view.add_column(t("cli.col_rows"), justify="right")
    for table, rows in written.items():
        view.add_row(table, t.number(rows))
    console.print(view)
    _warn(pub, lang)

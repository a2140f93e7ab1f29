"""Read services over a loaded database: what the CLI (and later the API and pages) ask for.

Everything that leaves the system goes through here, so later the disclosure step has one place to
sit. Nothing here writes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from boligsocial.errors import BsmError
from boligsocial.lists import compute_lists, result_columns, results_frame
from boligsocial.rulesets import load_rulebook
from boligsocial.store import connect_read, frame, get_meta, list_inputs, read_measures


def list_results(
    db: Path,
    year: int | None = None,
    layer: str | None = "omraade",
    without_origin: bool = False,
    rule_files: list[Path] | None = None,
) -> pl.DataFrame:
    """One row per area and list year with the contract's columns; optionally filtered.

    `without_origin` recomputes with the analysis variant that drops the origin criterion.
    """
    book = load_rulebook(rule_files)
    con = connect_read(db)
    try:
        if without_origin or rule_files:
            book = book.without_origin() if without_origin else book
            areas, reference, official = list_inputs(con, get_meta(con)["region"])
            rows, _ = compute_lists(book, read_measures(con), areas, reference, official)
            table = results_frame(rows, book)
        else:
            table = frame(con, "SELECT * FROM list_results").select(result_columns(book))
    finally:
        con.close()
    if layer is not None:
        if layer not in set(table.get_column("layer").unique().to_list()):
            raise BsmError(f"no layer '{layer}' in the list results")
        table = table.filter(pl.col("layer") == layer)
    if year is not None:
        years = sorted(table.get_column("list_year").unique().to_list())
        if year not in years:
            raise BsmError(
                f"list year {year} is not computed; the data allow {years[0]}–{years[-1]}"
                if years
                else "no list years are computed"
            )
        table = table.filter(pl.col("list_year") == year)
    return table.sort("list_year", "layer", "area_id")


def list_disagreements(db: Path) -> pl.DataFrame:
    """Where the official lists and the tool's own computation differ."""
    con = connect_read(db)
    try:
        return frame(con, "SELECT * FROM list_disagreements ORDER BY list_year, area_id, list")
    finally:
        con.close()

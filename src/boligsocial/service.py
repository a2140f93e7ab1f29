"""Read services over a loaded database: what the CLI (and later the API and pages) ask for.

Everything that leaves the system goes through here, so later the disclosure step has one place to
sit. Nothing here writes.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from boligsocial.backtest import Calibration, backtest
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
            stored = frame(con, "SELECT * FROM list_results")
            known = [c for c in result_columns(book) if c in stored.columns]
            table = stored.select(known + [c for c in stored.columns if c not in known])
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


def forecast_table(db: Path, year: int | None = None, layer: str | None = "omraade") -> pl.DataFrame:
    """Per area and forecast list year: each list's probability and each criterion's point estimate,
    80 % interval and probability of being met (wide, one row per area and list year)."""
    con = connect_read(db)
    try:
        lists = frame(con, "SELECT * FROM forecast_lists")
        criteria = frame(con, "SELECT * FROM forecast_criteria")
        names = frame(
            con,
            "SELECT layer, area_id, any_value(name) AS name, "
            "bool_or(kind = 'almen') AS eligible FROM areas GROUP BY ALL",
        )
    finally:
        con.close()
    if lists.is_empty():
        raise BsmError("no forecast in this database (it needs at least two data years)")
    keys = ["layer", "area_id", "list_year", "horizon", "rule_set"]
    wide = lists.pivot(on="list", index=keys, values="probability").rename(
        lambda c: c if c in keys else f"p_{c}"
    )
    crit = criteria.pivot(on="test", index=keys, values=["point", "low", "high", "p_met"])
    renamed = {}
    for stat in ("p_met", "point", "low", "high"):  # "point_labour" → "labour_point"
        for c in crit.columns:
            if c.startswith(stat + "_") and c not in renamed:
                renamed[c] = f"{c[len(stat) + 1 :]}_{stat}"
    crit = crit.rename(renamed)
    # the forebyggelse tests share their measure with the main tests: keep their p_met only
    crit = crit.drop([c for c in crit.columns if "_fb_" in c and not c.endswith("_p_met")])
    table = names.join(wide, on=["layer", "area_id"]).join(crit, on=keys, how="left")
    if layer is not None:
        table = table.filter(pl.col("layer") == layer)
    if year is not None:
        available = sorted(table.get_column("list_year").unique().to_list())
        if year not in available:
            raise BsmError(f"no forecast for list year {year}; available: {available}")
        table = table.filter(pl.col("list_year") == year)
    return table.sort("list_year", "layer", "area_id")


def backtest_report(db: Path, layer: str = "omraade") -> tuple[Calibration, Calibration]:
    """Back-test the forecast on the database's own history (computed on demand)."""
    book = load_rulebook()
    con = connect_read(db)
    try:
        areas, reference, official = list_inputs(con, get_meta(con)["region"])
        measures = read_measures(con)
        results = frame(con, "SELECT * FROM list_results")
    finally:
        con.close()
    latest = book.rulesets[-1]
    return backtest(book, measures[latest.ages()], areas, reference, official, results, layer=layer)

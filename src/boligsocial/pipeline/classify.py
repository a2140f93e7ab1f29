"""`bsm classify`: the state's lists from a file of area-level figures (published tables, a
municipality's own figures), without a delivery or a database."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from boligsocial.common.errors import DeliveryInvalid
from boligsocial.common.problems import Report
from boligsocial.compute.classify import FIGURES, classify, exact_figures
from boligsocial.compute.lists import results_frame
from boligsocial.compute.rulesets import load_rulebook
from boligsocial.contract import OFFICIAL_LISTS
from boligsocial.ingest.mapping import Mapping, TableMapping
from boligsocial.ingest.sources import ROW, read_table
from boligsocial.ingest.validate import validate_table


def classify_file(
    figures_path: Path,
    history_path: Path | None = None,
    without_origin: bool = False,
    rule_files: list[Path] | None = None,
) -> pl.DataFrame:
    """`bsm classify`: validate a figures file (and a history file), classify, return the results."""
    report = Report()
    mapping = Mapping()
    raw, problems = read_table(figures_path, mapping, mapping.table("figures"))
    report.extend(problems)
    typed = None
    if raw is not None:
        typed, problems = validate_table(raw.frame, FIGURES, raw.file, mapping.table("figures"))
        report.extend(problems)
    official = pl.DataFrame(schema={"list_year": pl.Int32, "area_id": pl.String, "list": pl.String})
    if history_path is not None:
        hist_raw, problems = read_table(history_path, mapping, mapping.table("official_lists"))
        report.extend(problems)
        if hist_raw is not None:
            hist, problems = validate_table(hist_raw.frame, OFFICIAL_LISTS, hist_raw.file, TableMapping())
            report.extend(problems)
            official = official if hist is None else hist.drop(ROW)
    if not report.ok or raw is None or typed is None:
        raise DeliveryInvalid(report)
    book = load_rulebook(rule_files)
    book = book.without_origin() if without_origin else book
    rows = classify(book, exact_figures(raw.frame, typed), official)
    return results_frame(rows, book)

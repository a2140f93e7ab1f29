"""Classify from area-level figures (e.g. the table the ministry publishes), without person data.

The figures are read as decimal text and compared as exact fractions with the same rule sets and
list logic as `lists`. Persons margins need populations, so only the origin criterion (whose
population is the residents) gets one; crime thresholds in percentage points need both
`crime_share` and `crime_ratio` (the national mean is their quotient).
"""

from __future__ import annotations

from fractions import Fraction

import polars as pl

from boligsocial.compute.lists import FIGURE_COLUMNS, History, Outcome, Row, compare, decide, persons_to_flip
from boligsocial.compute.rulesets import RuleBook, Test
from boligsocial.contract import Column, Table

FIGURES = Table(
    "figures",
    (
        Column("area_id", "str"),
        Column("list_year", "int", minimum=1990, maximum=2100),
        Column("residents", "int", minimum=0),
        Column("name", "str", required=False, nullable=True),
        Column("kind", "str", required=False, nullable=True),
        Column("nonwestern_share", "float", nullable=True, minimum=0.0, maximum=1.0),
        Column("labour_share", "float", nullable=True, minimum=0.0, maximum=1.0),
        Column("crime_share", "float", nullable=True, minimum=0.0, maximum=1.0),
        Column("crime_ratio", "float", nullable=True, minimum=0.0),
        Column("education_share", "float", nullable=True, minimum=0.0, maximum=1.0),
        Column("income_ratio", "float", nullable=True, minimum=0.0),
    ),
    key=("area_id", "list_year"),
)
NUMBER_COLUMNS = FIGURE_COLUMNS  # the same figures that `bsm lists` publishes
_FIGURE = {"labour": "labour_share", "education": "education_share", "nonwestern": "nonwestern_share"}


def _fraction(text: str | None) -> Fraction | None:
    return None if text is None else Fraction(text)


def _outcome(test: Test, fig: dict[str, Fraction | None], residents: int) -> Outcome:
    """One test from published figures (shares/ratios), exactly."""
    empty = Outcome(None, None, False, None, None, None)
    if test.measure == "crime":
        share, ratio = fig["crime_share"], fig["crime_ratio"]
        if test.relative_to is None:
            if share is None:
                return empty
            met = compare(test.op, share, test.threshold)
            return Outcome(share, test.threshold, met, (share - test.threshold) * 100, None, None, ratio)
        if ratio is None:
            return empty
        met = compare(test.op, ratio, test.threshold)
        national = share / ratio if share is not None and ratio else None
        threshold = test.threshold * national if national is not None else None
        pp = (share - threshold) * 100 if share is not None and threshold is not None else None
        return Outcome(share if share is not None else ratio, threshold, met, pp, None, None, ratio)
    if test.measure == "income":
        ratio = fig["income_ratio"]
        if ratio is None:
            return empty
        met = compare(test.op, ratio, test.threshold)
        return Outcome(ratio, test.threshold, met, (ratio - test.threshold) * 100, None, None, ratio)
    value = fig[_FIGURE[test.measure]]
    if value is None:
        return empty
    met = compare(test.op, value, test.threshold)
    persons = None
    if test.measure == "nonwestern" and residents:
        persons = persons_to_flip(test.op, met, value * residents, test.threshold * residents)
    return Outcome(value, test.threshold, met, (value - test.threshold) * 100, persons, None)


def exact_figures(raw: pl.DataFrame, typed: pl.DataFrame) -> pl.DataFrame:
    """Typed keys with the figures' original decimal text (validated as numbers in `typed`), so
    the comparison uses the exact published decimals, not their binary approximations."""
    return typed.select("area_id", "list_year", "residents", "name", "kind").with_columns(
        raw.select(NUMBER_COLUMNS)
    )


def classify(book: RuleBook, figures: pl.DataFrame, official: pl.DataFrame) -> list[Row]:
    """Result rows (the columns of `bsm lists`) for figure rows from `exact_figures`."""
    history = History.from_official(official)
    rows: list[Row] = []
    for r in figures.sort("list_year", "area_id").iter_rows(named=True):
        rs = book.for_year(r["list_year"])
        if rs is None:
            continue
        fig = {c: _fraction(r[c]) for c in NUMBER_COLUMNS}
        outcomes = {tid: _outcome(test, fig, r["residents"]) for tid, test in rs.tests.items()}
        area = {
            "area_id": r["area_id"],
            "name": r.get("name") or r["area_id"],
            "kind": r.get("kind") or "almen",
        }
        rows.append(decide(rs, r["list_year"], "figures", area, outcomes, r["residents"], history))
    return rows

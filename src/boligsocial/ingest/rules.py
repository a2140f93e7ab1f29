"""Rules beyond a column's type: a person's rules (born by the end of the data year, a plausible
age, western or non-western origin decided from the country, an address that exists) and
references from one table to the keys of another."""

from __future__ import annotations

import polars as pl

from boligsocial.common.problems import Problem
from boligsocial.contract import WESTERN_COUNTRIES
from boligsocial.ingest.validate import emit, failing


def check_persons(
    persons: pl.DataFrame, file: str, address_ids: pl.Series
) -> tuple[pl.DataFrame, list[Problem]]:
    """Person rules beyond types: birth before year end, plausible age, western/non-western, address."""
    problems: list[Problem] = []
    year_end = pl.date(pl.col("year"), 12, 31)
    age = (pl.col("year") - pl.col("birth_date").dt.year()).cast(
        pl.Int32
    )  # at 31 Dec of Y the birthday has passed
    frame = persons.with_columns(age.alias("age"))
    problems += emit(
        failing(frame, pl.col("birth_date") > year_end, pl.col("birth_date")),
        "unborn",
        file,
        "birth_date",
        "born after the end of the data year",
        "a birth date on or before 31 Dec of year",
    )
    problems += emit(
        failing(frame, pl.col("age") > 110, pl.col("age")),
        "implausible-age",
        file,
        "birth_date",
        "older than 110 at the end of the year",
        "ages up to 110",
    )
    problems += emit(
        failing(frame, pl.col("gross_income") < 0, pl.col("gross_income")),
        "negative-income",
        file,
        "gross_income",
        "negative gross income (loaded as it is)",
        ">= 0",
    )
    problems += check_reference(frame, "address_id", address_ids, file, "addresses")

    immigrant = pl.col("origin") != "dansk"
    from_country = (
        pl.when(pl.col("origin_country").is_null())
        .then(None)
        .otherwise(~pl.col("origin_country").is_in(list(WESTERN_COUNTRIES)))
    )
    frame = frame.with_columns(from_country.alias("__nw_country"))
    problems += emit(
        failing(
            frame,
            immigrant & pl.col("__nw_country").is_null() & pl.col("nonwestern").is_null(),
            pl.col("origin"),
        ),
        "nonwestern-undecidable",
        file,
        "origin_country",
        "immigrant/descendant without origin_country or nonwestern",
        "origin_country (ISO alpha-2) or nonwestern true/false",
    )
    problems += emit(
        failing(
            frame,
            immigrant & (pl.col("__nw_country") != pl.col("nonwestern")),
            pl.col("origin_country"),
        ),
        "nonwestern-conflict",
        file,
        "nonwestern",
        "nonwestern disagrees with origin_country; origin_country decides",
        "nonwestern consistent with DST's country list",
    )
    nonwestern = pl.when(~immigrant).then(False).otherwise(pl.coalesce("__nw_country", "nonwestern"))
    frame = frame.with_columns(nonwestern.alias("nonwestern")).drop("__nw_country")
    return frame, problems


def check_reference(
    frame: pl.DataFrame, column: str, ids: pl.Series, file: str, target: str
) -> list[Problem]:
    """Rows whose non-empty `column` is not among `ids` (the keys of the `target` table)."""
    value = pl.col(column)
    return emit(
        failing(frame, value.is_not_null() & ~value.is_in(ids.implode()), value),
        "unknown-reference",
        file,
        column,
        f"{column} is not in {target}",
        f"a key of {target} (or empty)",
    )

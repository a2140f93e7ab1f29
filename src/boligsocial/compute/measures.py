"""Exact building blocks of the list criteria per (layer, area, data year): counts and exact sums.

Sums are DECIMAL (FTE to 6 decimals, kroner to 2), so the criteria can be evaluated with exact
fractions. An empty `outside_fte` counts as 0 (the person is in the population: the law divides by
the number of 18-64-year-olds); an empty `gross_income` leaves the person out of the income mean.
Each block is defined once (`definitions`): the SQL below and the disclosure step's statistics
(`boligsocial.compute.statistics`) are both made from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from boligsocial.common.sql import ident
from boligsocial.compute.indicators import placed_sql, query_placed
from boligsocial.contract import LOW_EDUCATION

Ages = tuple[tuple[int, int], ...]
COUNT_COLUMNS = (
    "residents",
    "nonwestern",
    "labour_n",
    "crime_n",
    "crime_count",
    "education_n",
    "education_count",
    "income_n",
)
SUM_COLUMNS = ("labour_sum", "income_sum")


@dataclass(frozen=True)
class Block:
    """One building block: persons counted (`value` None) or a value summed, over `population`."""

    population: str
    value: str | None = None
    decimals: int = 0


def definitions(ages: Ages) -> dict[str, Block]:
    """The blocks for one age-band setting ((labour), (crime), (education), (income)), as SQL on
    the placed residents."""
    (l0, l1), (c0, c1), (e0, e1), (i0, i1) = (tuple(int(a) for a in band) for band in ages)
    low = ", ".join(f"'{code}'" for code in sorted(LOW_EDUCATION))
    labour = f"age BETWEEN {l0} AND {l1}"
    crime = f"age BETWEEN {c0} AND {c1}"
    education = f"age BETWEEN {e0} AND {e1}"
    income = f"age BETWEEN {i0} AND {i1} AND taxable AND NOT student AND gross_income IS NOT NULL"
    return {
        "residents": Block("TRUE"),
        "nonwestern": Block("coalesce(nonwestern, false)"),
        "labour_n": Block(labour),
        "labour_sum": Block(labour, "coalesce(outside_fte, 0)", 6),
        "crime_n": Block(crime),
        "crime_count": Block(f"{crime} AND coalesce(convicted, false)"),
        "education_n": Block(education),
        "education_count": Block(f"{education} AND education IN ({low})"),
        "income_n": Block(income),
        "income_sum": Block(income, "gross_income", 2),
    }


def _sql(name: str, block: Block) -> str:
    if block.value is None:
        return f"count(*) FILTER (WHERE {block.population}) AS {ident(name)}"
    exact = f"CAST({block.value} AS DECIMAL(18, {block.decimals}))"
    return f"coalesce(sum({exact}) FILTER (WHERE {block.population}), 0) AS {ident(name)}"


def compute_measures(
    residents: pl.DataFrame,
    addresses: pl.DataFrame,
    assignment: pl.DataFrame,
    municipality_code: str,
    ages: Ages,
) -> pl.DataFrame:
    """Per layer, area and year: residents, non-western, and numerator/population of each criterion.

    `ages` is ((labour), (crime), (education), (income)) bands from the rule set's settings.
    """
    columns = ",\n            ".join(_sql(name, block) for name, block in definitions(ages).items())
    sql = f"""
        WITH placed AS ({placed_sql(municipality_code)})
        SELECT layer, area_id, year,
            {columns}
        FROM placed
        GROUP BY layer, area_id, year
        ORDER BY layer, area_id, year
    """
    return query_placed(sql, residents, addresses, assignment).with_columns(
        pl.col(list(COUNT_COLUMNS)).cast(pl.Int64), pl.col("year").cast(pl.Int32)
    )

"""Exact building blocks of the list criteria per (layer, area, data year): counts and exact sums.

Sums are DECIMAL (FTE to 6 decimals, kroner to 2), so the criteria can be evaluated with exact
fractions. An empty `outside_fte` counts as 0 (the person is in the population: the law divides by
the number of 18-64-year-olds); an empty `gross_income` leaves the person out of the income mean.
"""

from __future__ import annotations

import polars as pl

from boligsocial.contract import LOW_EDUCATION
from boligsocial.indicators import placed_sql, query_placed

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
    (l0, l1), (c0, c1), (e0, e1), (i0, i1) = (tuple(int(a) for a in band) for band in ages)
    low = ", ".join(f"'{code}'" for code in sorted(LOW_EDUCATION))
    income_pop = f"age BETWEEN {i0} AND {i1} AND taxable AND NOT student AND gross_income IS NOT NULL"
    sql = f"""
        WITH placed AS ({placed_sql(municipality_code)})
        SELECT layer, area_id, year,
            count(*) AS residents,
            count(*) FILTER (WHERE nonwestern) AS nonwestern,
            count(*) FILTER (WHERE age BETWEEN {l0} AND {l1}) AS labour_n,
            coalesce(sum(CAST(coalesce(outside_fte, 0) AS DECIMAL(18, 6)))
                FILTER (WHERE age BETWEEN {l0} AND {l1}), 0) AS labour_sum,
            count(*) FILTER (WHERE age BETWEEN {c0} AND {c1}) AS crime_n,
            count(*) FILTER (WHERE age BETWEEN {c0} AND {c1} AND convicted) AS crime_count,
            count(*) FILTER (WHERE age BETWEEN {e0} AND {e1}) AS education_n,
            count(*) FILTER (WHERE age BETWEEN {e0} AND {e1} AND education IN ({low}))
                AS education_count,
            count(*) FILTER (WHERE {income_pop}) AS income_n,
            coalesce(sum(CAST(gross_income AS DECIMAL(18, 2))) FILTER (WHERE {income_pop}), 0)
                AS income_sum
        FROM placed
        GROUP BY layer, area_id, year
        ORDER BY layer, area_id, year
    """
    return query_placed(sql, residents, addresses, assignment).with_columns(
        pl.col(list(COUNT_COLUMNS)).cast(pl.Int64), pl.col("year").cast(pl.Int32)
    )

"""Indicators per (layer, area, year, housing type): numerator and denominator, never only the rate.

Pure: residents, addresses and the area assignment in, a long table out. The work runs as one
grouped scan in an in-memory DuckDB (GROUPING SETS give the totals and the housing-type breakdown in
the same pass); the municipality total is the pseudo-layer `kommune`.
"""

from __future__ import annotations

import duckdb
import polars as pl

from boligsocial.common.problems import Problem
from boligsocial.compute.catalogue import Indicator

MUNICIPALITY_LAYER = "kommune"
ALL_HOUSING = "*"
#: Columns that exist for every resident besides the delivered ones.
DERIVED = frozenset({"age", "nonwestern", "housing_type", "income_quartile"})
INDICATOR_SCHEMA = {
    "layer": pl.String,
    "area_id": pl.String,
    "year": pl.Int32,
    "indicator": pl.String,
    "housing_type": pl.String,
    "numerator": pl.Float64,
    "denominator": pl.Int64,
}


def usable(catalogue: list[Indicator], columns: set[str]) -> tuple[list[Indicator], list[Problem]]:
    """Split the catalogue into indicators computable from `columns` and skipped ones (reported)."""
    ok: list[Indicator] = []
    problems: list[Problem] = []
    for ind in catalogue:
        missing = sorted(ind.names - columns - DERIVED)
        if missing:
            problems.append(
                Problem(
                    "indicator-skipped",
                    f"indicator '{ind.id}' needs column(s) {', '.join(missing)}",
                    file="persons",
                    column=", ".join(missing),
                    value=ind.id,
                )
            )
        else:
            ok.append(ind)
    return ok, problems


_PLACED = """
WITH q AS (
    SELECT year,
           quantile_cont(gross_income, 0.25) AS q1, quantile_cont(gross_income, 0.5) AS q2,
           quantile_cont(gross_income, 0.75) AS q3
    FROM residents
    WHERE age BETWEEN 15 AND 64 AND taxable AND NOT student AND gross_income IS NOT NULL
    GROUP BY year
), p AS (
    SELECT r.*, a.housing_type,
           CASE WHEN NOT (r.age BETWEEN 15 AND 64 AND r.taxable AND NOT r.student)
                     OR r.gross_income IS NULL THEN NULL
                WHEN r.gross_income <= q.q1 THEN 1 WHEN r.gross_income <= q.q2 THEN 2
                WHEN r.gross_income <= q.q3 THEN 3 ELSE 4 END AS income_quartile
    FROM residents r JOIN addresses a USING (address_id) LEFT JOIN q USING (year)
)
SELECT s.layer, s.area_id, p.* FROM p JOIN assignment s
    ON p.address_id = s.address_id AND p.year BETWEEN s.year_from AND s.year_to
UNION ALL
SELECT '{layer}' AS layer, '{code}' AS area_id, p.* FROM p
"""


def placed_sql(municipality_code: str) -> str:
    """SQL for residents × areas: one row per resident and layer (plus the `kommune` total layer),
    with `housing_type` and `income_quartile`; reads the frames that `query_placed` registers."""
    return _PLACED.format(layer=MUNICIPALITY_LAYER, code=municipality_code.replace("'", ""))


def query_placed(
    sql: str, residents: pl.DataFrame, addresses: pl.DataFrame, assignment: pl.DataFrame
) -> pl.DataFrame:
    """Run `sql` (built on `placed_sql`) in a private in-memory DuckDB over the given frames."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # the CLI draws its own
    try:
        con.register("residents", residents)
        con.register("addresses", addresses.select("address_id", "housing_type"))
        con.register("assignment", assignment)
        return con.sql(sql).pl()
    finally:
        con.close()


def compute(
    residents: pl.DataFrame,
    addresses: pl.DataFrame,
    assignment: pl.DataFrame,
    catalogue: list[Indicator],
    municipality_code: str,
) -> pl.DataFrame:
    """Numerator and denominator of every indicator for every layer, area, year and housing type.

    `residents`: one row per person living in the municipality at the end of the year (with `age`
    and `nonwestern`); `addresses`: address_id, housing_type; `assignment`: from `assign`.
    """
    if not catalogue:
        return pl.DataFrame(schema=INDICATOR_SCHEMA)
    aggs = []
    for n, ind in enumerate(catalogue):
        pop, val = ind.population.sql, ind.value.sql
        # summed as exact decimals: a float sum depends on the order DuckDB's threads add in, so
        # two loads of one delivery would store different last bits (and reproduce nothing)
        aggs.append(f'CAST(SUM(CASE WHEN {pop} THEN CAST({val} AS DECIMAL(38, 9)) END) AS DOUBLE) AS "n{n}"')
        aggs.append(f'COUNT(CASE WHEN {pop} THEN {val} END) AS "d{n}"')
    sql = f"""
        WITH placed AS ({placed_sql(municipality_code)})
        SELECT layer, area_id, year,
               CASE WHEN GROUPING(housing_type) = 1 THEN '{ALL_HOUSING}'
                    ELSE housing_type END AS housing_type,
               {", ".join(aggs)}
        FROM placed
        GROUP BY GROUPING SETS ((layer, area_id, year), (layer, area_id, year, housing_type))
    """
    wide = query_placed(sql, residents, addresses, assignment)
    keys = ["layer", "area_id", "year", "housing_type"]
    parts = [
        wide.select(
            *keys,
            pl.lit(ind.id).alias("indicator"),
            pl.col(f"n{n}").fill_null(0.0).alias("numerator"),
            pl.col(f"d{n}").cast(pl.Int64).alias("denominator"),
        )
        for n, ind in enumerate(catalogue)
    ]
    long = pl.concat(parts)
    long = long.filter((pl.col("housing_type") == ALL_HOUSING) | (pl.col("denominator") > 0))
    return (
        long.select(list(INDICATOR_SCHEMA))
        .cast(pl.Schema(INDICATOR_SCHEMA))
        .sort("layer", "area_id", "year", "indicator", "housing_type")
    )

"""reference.csv and official_lists.csv: the figures and list history a municipality looks up.

The regional income series is exogenous (fixed, like DST's published figures); the simulated
incomes are calibrated so that Fjordby as a whole sits near its region's mean.
"""

from __future__ import annotations

import polars as pl

from boligsocial.example import names
from boligsocial.example.attributes import national_convicted_share
from boligsocial.example.story import official_lists

# Mean gross income of taxable 15–64-year-olds excluding students, 2015, by region; growth/yr.
_REGION_INCOME_2015 = {"1081": 289_400, "1082": 301_200, "1083": 300_100, "1084": 338_700, "1085": 305_900}
_INCOME_GROWTH = 1.024


def regional_mean_income(region: str, year: int) -> float:
    """Regional mean income of taxable 15–64-year-olds, not students, in `year`."""
    wiggle = 1.0 + 0.004 * ((year * 7 + int(region)) % 5 - 2) / 2
    return float(round(_REGION_INCOME_2015[region] * _INCOME_GROWTH ** (year - 2015) * wiggle))


def reference_table(first_year: int, last_year: int) -> pl.DataFrame:
    """One row per metric, region and data year."""
    rows: list[dict[str, object]] = []
    for year in range(first_year, last_year + 1):
        rows.append(
            {
                "year": year,
                "metric": "national_convicted_share_18plus",
                "region": None,
                "value": national_convicted_share(year),
            }
        )
        for region in _REGION_INCOME_2015:
            rows.append(
                {
                    "year": year,
                    "metric": "regional_mean_income_15_64",
                    "region": region,
                    "value": regional_mean_income(region, year),
                }
            )
    return pl.DataFrame(
        rows, schema={"year": pl.Int64, "metric": pl.String, "region": pl.String, "value": pl.Float64}
    )


def official_lists_table() -> pl.DataFrame:
    """The published list memberships before and during the first data years."""
    rows = [(y, names.area_id(a), lst) for y, a, lst in official_lists()]
    return pl.DataFrame(
        rows, schema={"list_year": pl.Int64, "area_id": pl.String, "list": pl.String}, orient="row"
    )

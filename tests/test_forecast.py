"""Forecast and back-test on synthetic series whose outcome is known."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest

from boligsocial.compute.backtest import calibration
from boligsocial.compute.forecast import Settings, forecast, project
from boligsocial.compute.lists import History
from boligsocial.compute.rulesets import load_rulebook

BOOK = load_rulebook()
AGES = BOOK.for_year(2026).ages()  # type: ignore[union-attr]
REFERENCE = {
    (m, y): Fraction(v)
    for y in range(2010, 2030)
    for m, v in (
        ("national_convicted_share_18plus", Fraction(1, 100)),
        ("regional_mean_income_15_64", 300000),
    )
}


def measures(area: str, labour: list[float], crime: float = 0.01, n: int = 1000) -> list[dict]:
    """An area with a labour share per year (from 2016) and otherwise calm figures."""
    return [
        {
            "layer": "omraade",
            "area_id": area,
            "year": 2016 + i,
            "residents": 2 * n,
            "nonwestern": 0,
            "labour_n": n,
            "labour_sum": Decimal(str(round(share * n, 6))),
            "crime_n": n,
            "crime_count": round(crime * n),
            "education_n": n,
            "education_count": round(0.3 * n),
            "income_n": n,
            "income_sum": Decimal(300000 * n),
        }
        for i, share in enumerate(labour)
    ]


def run(rows: list[dict], **settings: object) -> tuple[pl.DataFrame, pl.DataFrame]:
    areas = pl.DataFrame(
        {
            "layer": ["omraade"] * 3,
            "area_id": ["high", "low", "edge"],
            "name": ["H", "L", "E"],
            "kind": ["almen"] * 3,
        }
    )
    return forecast(
        BOOK, pl.DataFrame(rows), areas, REFERENCE, History({}, set(), {}), s=Settings(**settings)
    )  # type: ignore[arg-type]


def test_straight_line_is_extended_with_half_its_slope() -> None:
    points = {2020 + i: (0.10 + 0.02 * i, 10_000) for i in range(5)}  # 0.10 … 0.18
    p = project(points, 2024, [2025, 2026], Settings(), share=True)
    assert p is not None
    assert p.mean[2025] == pytest.approx(0.19) and p.mean[2026] == pytest.approx(0.20)
    # no scatter around the line: the sampling floor p(1-p)/n sets the spread
    assert p.sd[2025] == pytest.approx((0.19 * 0.81 / 10_000) ** 0.5)


def test_small_area_gets_a_wider_interval_than_a_large_one() -> None:
    points = {2020 + i: (0.3, 1) for i in range(5)}
    small = project({y: (v, 50) for y, (v, _) in points.items()}, 2024, [2025], Settings(), True)
    large = project({y: (v, 5000) for y, (v, _) in points.items()}, 2024, [2025], Settings(), True)
    assert small is not None and large is not None and small.sd[2025] > 5 * large.sd[2025]


def test_probabilities_follow_the_distance_to_the_threshold() -> None:
    rows = (
        measures("high", [0.55] * 10, crime=0.05)
        + measures("low", [0.05] * 10)
        + measures("edge", [0.40] * 10, crime=0.05, n=300)
    )
    criteria, lists = run(rows)
    p = {(r["area_id"], r["list_year"], r["test"]): r["p_met"] for r in criteria.iter_rows(named=True)}
    assert p[("high", 2027, "labour")] == 1.0 and p[("low", 2027, "labour")] == 0.0
    assert 0.2 < p[("edge", 2027, "labour")] < 0.8
    udsat = {
        (r["area_id"], r["list_year"]): r["probability"]
        for r in lists.filter(pl.col("list") == "udsat").iter_rows(named=True)
    }
    assert udsat[("high", 2027)] == 1.0 and udsat[("low", 2027)] == 0.0
    assert sorted({r["list_year"] for r in lists.iter_rows(named=True)}) == [2027, 2028]  # Y+2, Y+3
    interval = criteria.filter(
        (pl.col("area_id") == "edge") & (pl.col("test") == "labour") & (pl.col("list_year") == 2027)
    ).row(0, named=True)
    assert interval["low"] < 0.40 < interval["high"]


def test_forecast_is_deterministic_for_a_seed() -> None:
    rows = measures("edge", [0.38, 0.42, 0.39, 0.41, 0.40], n=200)
    assert run(rows)[0].equals(run(rows)[0])
    assert not run(rows)[0].equals(run(rows, seed=7)[0])


def test_brier_score_and_reliability_table() -> None:
    pairs = pl.DataFrame({"p": [1.0, 0.0, 0.25, 0.25], "outcome": [1, 1, 0, 1], "persistence": [1, 0, 0, 0]})
    cal = calibration("criteria", pairs)
    assert cal.brier == pytest.approx((0 + 1 + 0.0625 + 0.5625) / 4)
    assert cal.brier_persistence == pytest.approx(0.5)
    assert cal.skill == pytest.approx(1 - cal.brier / 0.5)
    bins = {r["bin"]: (r["n"], r["observed"]) for r in cal.table.iter_rows(named=True)}
    assert bins["0.2–0.3"] == (2, 0.5) and bins["0.9–1.0"] == (1, 1.0) and bins["0.0–0.1"] == (1, 1.0)

"""Forecast of the coming lists, and its back-test.

In two sentences, for a planner: *each criterion's yearly value is extended one or two years ahead
along its recent trend (a straight line through the last five years, half of its slope kept), and
the uncertainty is the year-to-year scatter around that line, never less than the random variation
expected in an area of that size. We simulate 2,000 possible next years from that, apply the list
rules to each, and report in how many of them the area meets each criterion and each list.*

The latest data year Y gives the list year Y+1 exactly (it is computed, not forecast); the forecast
covers the list years Y+2 and Y+3. Criteria are simulated independently of each other; the same
draw is used for both horizons, so an area that worsens next year stays worse the year after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from boligsocial.compute.lists import SEVERITY, History, list_flags
from boligsocial.compute.rulesets import RuleBook, RuleSet

SERIES = ("labour", "crime", "education", "income", "nonwestern", "residents")
_BLOCKS = {
    "labour": ("labour_sum", "labour_n"),
    "crime": ("crime_count", "crime_n"),
    "education": ("education_count", "education_n"),
    "income": ("income_sum", "income_n"),
    "nonwestern": ("nonwestern", "residents"),
}


@dataclass(frozen=True)
class Settings:
    """Forecast settings (documented in docs/lists.md)."""

    window: int = 5  # years in the trend line
    damping: float = 0.5  # share of the trend slope carried forward
    draws: int = 2000
    quantiles: tuple[float, float] = (0.1, 0.9)  # the reported interval (80 %)
    seed: int = 20261201


@dataclass
class Projection:
    """Mean and standard deviation of one series for each future year (Y+1, Y+2, ...)."""

    mean: dict[int, float]
    sd: dict[int, float]


def _yearly(
    rows: dict[int, dict[str, Any]], ref: Callable[[str, int], Fraction | None]
) -> dict[str, dict[int, tuple[float, int]]]:
    """Per series: year → (value, population) from the exact blocks, as floats."""
    out: dict[str, dict[int, tuple[float, int]]] = {s: {} for s in SERIES}
    for year, r in rows.items():
        out["residents"][year] = (float(r["residents"]), r["residents"])
        for name, (num, den) in _BLOCKS.items():
            if not r[den]:
                continue
            value = float(r[num]) / r[den]
            if name == "income":
                regional = ref("regional_mean_income_15_64", year)
                if not regional:
                    continue
                value /= float(regional)
            out[name][year] = (value, r[den])
    return out


def project(
    points: dict[int, tuple[float, int]], last: int, ahead: list[int], s: Settings, share: bool
) -> Projection | None:
    """Damped linear trend over the window with a prediction interval and a sampling-noise floor."""
    years = [y for y in range(last - s.window + 1, last + 1) if y in points]
    if not years or last not in points:
        return None
    x = np.array(years, dtype=float)
    y = np.array([points[v][0] for v in years])
    n_last = points[last][1]
    if len(years) >= 3:
        slope, intercept = np.polyfit(x, y, 1)
        level = intercept + slope * last
        residual = y - (intercept + slope * x)
        s2 = float(residual @ residual) / (len(years) - 2)
        sxx = float(((x - x.mean()) ** 2).sum())
    else:
        slope, level, s2, sxx = 0.0, float(y[-1]), 0.0, 0.0
    mean, sd = {}, {}
    for target in ahead:
        h = target - last
        mean[target] = level + s.damping * slope * h
        var = s2 * (1 + 1 / len(years) + ((target - x.mean()) ** 2 / sxx if sxx else 0))
        if share:
            p = min(max(mean[target], 0.0), 1.0)
            var = max(var, p * (1 - p) / max(n_last, 1))
        sd[target] = float(np.sqrt(var))
    return Projection(mean, sd)


def _simulate(
    projection: Projection | None, known: dict[int, tuple[float, int]], z: np.ndarray, share: bool
) -> Callable[[int], np.ndarray | None]:
    def value(year: int) -> np.ndarray | None:
        if year in known and (projection is None or year not in projection.mean):
            return np.full(z.shape, known[year][0])
        if projection is None or year not in projection.mean:
            return None
        draw = projection.mean[year] + projection.sd[year] * z
        return np.clip(draw, 0.0, 1.0 if share else None)

    return value


def forecast_area(
    book: RuleBook,
    rows: dict[int, dict[str, Any]],
    last: int,
    targets: list[int],
    ref: Callable[[str, int], Fraction | None],
    had: Callable[[int, str], bool],
    s: Settings,
    rng: np.random.Generator,
) -> dict[int, dict[str, Any]]:
    """Simulated outcomes for one area: per target list year, draws of each test's value and met,
    and of each list flag."""
    series = _yearly(rows, ref)
    future = list(range(last + 1, max(targets)))
    sims = {}
    for name in SERIES:
        share = name not in ("income", "residents")
        projection = project(series[name], last, future, s, share)
        sims[name] = _simulate(projection, series[name], rng.standard_normal(s.draws), share)
    national = {y: float(ref("national_convicted_share_18plus", y) or 0) for y in range(last - 5, last + 1)}
    simulated_flags: dict[int, dict[str, np.ndarray]] = {}

    def had_any(year: int, name: str) -> Any:
        return simulated_flags[year][name] if year in simulated_flags else had(year, name)

    out: dict[int, dict[str, Any]] = {}
    for t in sorted(targets):
        rs = book.for_year(t)
        if rs is None:
            continue
        values, met = _tests(rs, t, sims, national, last)
        if values is None:
            continue
        residents = sims["residents"](t - int(rs.settings["residents_lag"]))
        if residents is None:
            continue
        flags, _ = list_flags(rs, t, met, np.round(residents), had_any)
        simulated_flags[t] = flags
        out[t] = {"values": values, "met": met, "flags": flags, "rule_set": rs.name}
    return out


def _tests(
    rs: RuleSet,
    t: int,
    sims: dict[str, Callable[[int], np.ndarray | None]],
    national: dict[int, float],
    last: int,
) -> tuple[dict[str, np.ndarray] | None, dict[str, np.ndarray]]:
    values: dict[str, np.ndarray] = {}
    met: dict[str, np.ndarray] = {}
    for tid, test in rs.tests.items():
        draws = [sims[test.measure](t - lag) for lag in test.lags]
        if any(d is None for d in draws):
            return None, {}
        value = np.mean(np.vstack(draws), axis=0)  # type: ignore[arg-type]
        threshold = float(test.threshold)
        if test.relative_to == "national_convicted_share_18plus":
            refs = [national.get(min(t - lag, last), national.get(last, 0.0)) for lag in test.lags]
            threshold *= float(np.mean(refs))
        values[tid] = value
        met[tid] = {
            ">": value > threshold,
            ">=": value >= threshold,
            "<": value < threshold,
            "<=": value <= threshold,
        }[test.op]
    return values, met


def summarise(
    layer: str, area_id: str, outcome: dict[int, dict[str, Any]], last: int, s: Settings
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of forecast_criteria and forecast_lists for one area."""
    criteria, lists = [], []
    lo, hi = s.quantiles
    for t, o in outcome.items():
        base = {
            "layer": layer,
            "area_id": area_id,
            "list_year": t,
            "horizon": t - last - 1,
            "rule_set": o["rule_set"],
        }
        for tid, v in o["values"].items():
            criteria.append(
                {
                    **base,
                    "test": tid,
                    "point": float(np.median(v)),
                    "low": float(np.quantile(v, lo)),
                    "high": float(np.quantile(v, hi)),
                    "p_met": float(np.mean(o["met"][tid])),
                }
            )
        category = np.full(s.draws, "none", dtype=object)
        for name in reversed(SEVERITY):
            if name in o["flags"]:
                category[np.asarray(o["flags"][name], dtype=bool)] = name
        for name, flag in o["flags"].items():
            lists.append(
                {
                    **base,
                    "list": name,
                    "probability": float(np.mean(flag)),
                    "p_category": float(np.mean(category == name)),
                }
            )
    return criteria, lists


def forecast(
    book: RuleBook,
    measures: pl.DataFrame,
    areas: pl.DataFrame,
    reference: dict[tuple[str, int], Fraction],
    history: History,
    last: int | None = None,
    s: Settings | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Forecast list years Y+2 and Y+3 from data years up to Y (default: the latest) for every area."""
    s = s or Settings()
    data = measures.filter(pl.col("year") <= last) if last is not None else measures
    last = int(data.get_column("year").max())  # type: ignore[arg-type]
    blocks: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for r in data.iter_rows(named=True):
        blocks.setdefault((r["layer"], r["area_id"]), {})[r["year"]] = r
    rng = np.random.default_rng(s.seed)
    criteria: list[dict[str, Any]] = []
    lists: list[dict[str, Any]] = []

    def ref(metric: str, year: int) -> Fraction | None:
        return reference.get((metric, year))

    for area in areas.sort("layer", "area_id").iter_rows(named=True):
        rows = blocks.get((area["layer"], area["area_id"]))
        if not rows or last not in rows:
            continue

        def had(year: int, name: str, layer: str = area["layer"], area_id: str = area["area_id"]) -> bool:
            return history.had(layer, area_id, year, name)

        outcome = forecast_area(book, rows, last, [last + 2, last + 3], ref, had, s, rng)
        c, lst = summarise(area["layer"], area["area_id"], outcome, last, s)
        criteria += c
        lists += lst
    return pl.DataFrame(criteria), pl.DataFrame(lists)

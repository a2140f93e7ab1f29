"""Back-test of the forecast on the data's own history: forecast list year t from data up to t-2,
compare with what t turned out to be, and report calibration (Brier score, reliability table)
against the naive forecast "as in the list year before" (persistence)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import polars as pl

from boligsocial.compute.forecast import Settings, forecast
from boligsocial.compute.lists import LIST_NAMES, History
from boligsocial.compute.rulesets import RuleBook

CRITERIA = ("labour", "crime", "education", "income")
BINS = np.linspace(0, 1, 11)


def history_until(official: pl.DataFrame, results: pl.DataFrame, year: int) -> History:
    """List history as it was known when list year `year` had been published (no later lists)."""
    history = History.from_official(official.filter(pl.col("list_year") <= year))
    for r in results.filter(pl.col("list_year") <= year).iter_rows(named=True):
        history.computed[(r["layer"], r["area_id"], r["list_year"])] = {n: r[n] for n in LIST_NAMES}
    return history


@dataclass
class Calibration:
    """Brier scores and a reliability table for one kind of event (criteria or lists)."""

    kind: str
    n: int
    brier: float
    brier_persistence: float
    table: pl.DataFrame  # bin, n, mean predicted, observed frequency

    @property
    def skill(self) -> float:
        """1 - Brier / Brier of persistence: > 0 means better than "as last year"."""
        return 1 - self.brier / self.brier_persistence if self.brier_persistence else float("nan")


def calibration(kind: str, pairs: pl.DataFrame) -> Calibration:
    """`pairs`: columns p (forecast probability), outcome (0/1), persistence (0/1)."""
    p, o, base = (pairs.get_column(c).to_numpy().astype(float) for c in ("p", "outcome", "persistence"))
    idx = np.clip(np.digitize(p, BINS[1:-1]), 0, len(BINS) - 2)
    rows = []
    for b in range(len(BINS) - 1):
        sel = idx == b
        if sel.any():
            rows.append(
                {
                    "bin": f"{BINS[b]:.1f}–{BINS[b + 1]:.1f}",
                    "n": int(sel.sum()),
                    "predicted": float(p[sel].mean()),
                    "observed": float(o[sel].mean()),
                }
            )
    return Calibration(
        kind, len(p), float(np.mean((p - o) ** 2)), float(np.mean((base - o) ** 2)), pl.DataFrame(rows)
    )


def backtest(
    book: RuleBook,
    measures: pl.DataFrame,
    areas: pl.DataFrame,
    reference: dict[tuple[str, int], Fraction],
    official: pl.DataFrame,
    results: pl.DataFrame,
    s: Settings | None = None,
    layer: str = "omraade",
) -> tuple[Calibration, Calibration]:
    """Forecast every list year t that the data allow from data up to t-2; score against `results`."""
    s = s or Settings()
    areas = areas.filter(pl.col("layer") == layer)
    results = results.filter(pl.col("layer") == layer)
    years = sorted(measures.get_column("year").unique().to_list())
    computed = set(results.get_column("list_year").to_list())
    criteria_pairs, list_pairs = [], []
    for last in years[2:]:
        target = last + 2
        if target not in computed or last + 1 not in computed:
            continue
        crit, lists = forecast(
            book, measures, areas, reference, history_until(official, results, last + 1), last, s
        )
        if crit.is_empty():
            continue
        actual = results.filter(pl.col("list_year") == target)
        before = results.filter(pl.col("list_year") == last + 1)
        for test in CRITERIA:
            criteria_pairs.append(
                _pairs(
                    crit.filter((pl.col("test") == test) & (pl.col("list_year") == target)),
                    "p_met",
                    actual,
                    before,
                    f"{test}_met",
                )
            )
        for name in LIST_NAMES:
            part = lists.filter((pl.col("list") == name) & (pl.col("list_year") == target))
            if not part.is_empty():
                list_pairs.append(_pairs(part, "probability", actual, before, name))
    return (calibration("criteria", pl.concat(criteria_pairs)), calibration("lists", pl.concat(list_pairs)))


def _pairs(
    forecasts: pl.DataFrame, p: str, actual: pl.DataFrame, before: pl.DataFrame, column: str
) -> pl.DataFrame:
    keys = ["layer", "area_id"]
    joined = (
        forecasts.select(*keys, pl.col(p).alias("p"))
        .join(actual.select(*keys, pl.col(column).alias("outcome")), on=keys)
        .join(before.select(*keys, pl.col(column).alias("persistence")), on=keys)
    )
    return joined.drop_nulls().select(
        "p", pl.col("outcome").cast(pl.Int8), pl.col("persistence").cast(pl.Int8)
    )

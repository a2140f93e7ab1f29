"""The state's lists per area and list year: criteria values, thresholds, margins, flags, category.

Pure and exact: the building blocks (counts and exact sums from `measures`) become fractions, every
comparison is between fractions, and only the published columns are turned into floats. List years
are evaluated in order so the omdannelse rule can look back through the computed history, which the
official lists replace for the years they cover.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import polars as pl

from boligsocial.common.numbers import exact
from boligsocial.compute.rulesets import LIST_NAMES, RuleBook, RuleSet, Test

SEVERITY = ("omdannelse", "parallelsamfund", "udsat", "forebyggelse")
#: What an official list entry says about each of our flags (the law nests the lists).
OFFICIAL_IMPLIES: dict[str, set[str]] = {
    "udsat": {"udsat"},
    "parallelsamfund": {"udsat", "parallelsamfund"},
    "ghetto": {"udsat", "parallelsamfund"},
    "omdannelse": {"udsat", "parallelsamfund", "omdannelse"},
    "haardt_ghetto": {"udsat", "parallelsamfund", "omdannelse"},
    "forebyggelse": {"forebyggelse"},
}
_NUMERATOR = {
    "labour": ("labour_sum", "labour_n"),
    "crime": ("crime_count", "crime_n"),
    "education": ("education_count", "education_n"),
    "income": ("income_sum", "income_n"),
    "nonwestern": ("nonwestern", "residents"),
}

Row = dict[str, Any]
Ages = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Outcome:
    """One test evaluated: value and threshold in the same unit, met, and the margins."""

    value: Fraction | None
    threshold: Fraction | None
    met: bool
    margin_pp: Fraction | None
    margin_persons: int | None
    margin_dkk: Fraction | None
    ratio: Fraction | None = None


def compare(op: str, a: Fraction, b: Fraction) -> bool:
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


def persons_to_flip(op: str, met: bool, x: Fraction, x_star: Fraction) -> int:
    """How many persons with the trait must be added or removed (x → x ± k) to flip `x op x*`."""
    if op in (">", "<="):  # met iff x > x*  (or, for <=, not met iff x > x*)
        above = (op == ">") == met
        return math.ceil(x - x_star) if above else math.floor(x_star - x) + 1
    above_or_at = (op == ">=") == met  # x >= x*
    return math.floor(x - x_star) + 1 if above_or_at else math.ceil(x_star - x)


def evaluate_test(
    test: Test, t: int, get: Callable[[int], Row | None], ref: Callable[[str, int], Fraction | None]
) -> Outcome:
    """Evaluate one test for list year t from the area's yearly building blocks."""
    empty = Outcome(None, None, False, None, None, None)
    num, den = _NUMERATOR[test.measure]
    lags = sorted(test.lags)
    rows = [get(t - lag) for lag in lags]
    if any(r is None or not r[den] for r in rows):
        return empty
    shares = [exact(r[num]) / r[den] for r in rows if r is not None]
    m = len(shares)
    value = sum(shares, Fraction(0)) / m
    latest = rows[0]
    assert latest is not None
    n1, x = latest[den], exact(latest[num])
    rest = (value * m - shares[0]) / m  # the other years' part of the mean
    slope = Fraction(1, n1 * m)  # value = rest + slope * x

    ratio, ref_mean = None, Fraction(0)
    ratio_ref = test.relative_to or ("national_convicted_share_18plus" if test.measure == "crime" else None)
    if ratio_ref is not None:
        refs = [r for r in (ref(ratio_ref, t - lag) for lag in lags) if r]
        if len(refs) == m:
            ref_mean = sum(refs, Fraction(0)) / m
            ratio = value / ref_mean
        elif test.relative_to is not None:
            return empty
    if test.measure == "income" and test.relative_to is not None:
        assert ratio is not None
        compared, threshold = ratio, test.threshold
        met = compare(test.op, compared, threshold)
        dkk = value - threshold * ref_mean
        return Outcome(compared, threshold, met, (compared - threshold) * 100, None, dkk, ratio)
    threshold = test.threshold * ref_mean if test.relative_to is not None else test.threshold
    met = compare(test.op, value, threshold)
    x_star = (threshold - rest) / slope
    k = persons_to_flip(test.op, met, x, x_star)
    removing = (test.op in (">", ">=")) == met
    feasible = (x - k >= 0) if removing else (x + k <= n1)
    return Outcome(value, threshold, met, (value - threshold) * 100, k if feasible else None, None, ratio)


@dataclass
class History:
    """List memberships before and during the computed years: official where published, else ours."""

    official: dict[tuple[str, int], set[str]]
    official_years: set[int]
    computed: dict[tuple[str, str, int], dict[str, bool | None]]

    @classmethod
    def from_official(cls, official: pl.DataFrame) -> History:
        """History seeded with official lists (list_year, area_id, list); nothing computed yet."""
        memberships: dict[tuple[str, int], set[str]] = {}
        for o in official.iter_rows(named=True):
            memberships.setdefault((o["area_id"], o["list_year"]), set()).update(OFFICIAL_IMPLIES[o["list"]])
        return cls(memberships, set(official.get_column("list_year").to_list()), {})

    def had(self, layer: str, area_id: str, year: int, list_name: str) -> bool:
        if year in self.official_years:
            return list_name in self.official.get((area_id, year), set())
        return bool(self.computed.get((layer, area_id, year), {}).get(list_name))


def evaluate_area(
    rs: RuleSet,
    t: int,
    layer: str,
    area: Row,
    get: Callable[[int], Row | None],
    ref: Callable[[str, int], Fraction | None],
    history: History,
) -> Row:
    """Every test and list of rule set `rs` for one area and list year, from its yearly blocks."""
    outcomes = {tid: evaluate_test(test, t, get, ref) for tid, test in rs.tests.items()}
    resident_row = get(t - int(rs.settings["residents_lag"]))
    residents = resident_row["residents"] if resident_row else 0
    return decide(rs, t, layer, area, outcomes, residents, history)


def list_flags(
    rs: RuleSet, t: int, met: Mapping[str, Any], residents: Any, had: Callable[[int, str], Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The list rules on met-flags: works on Python bools and, elementwise, on numpy arrays of
    simulated draws (the forecast), so both follow one implementation of the law."""
    flags: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    for name, rule in rs.lists.items():
        ok: Any = True
        if rule.min_residents is not None:
            ok = ok & (residents >= rule.min_residents)
        if rule.count:
            counts[name] = sum(met[c] * 1 for c in rule.count)
            ok = ok & (counts[name] >= rule.min_met)
        for required in rule.requires:
            ok = ok & flags[required]
        for condition in rule.conditions:
            ok = ok & met[condition]
        if rule.history:
            for year in range(t - rule.consecutive_years + 1, t):
                ok = ok & had(year, rule.history)
        flags[name] = ok
    return flags, counts


def decide(
    rs: RuleSet,
    t: int,
    layer: str,
    area: Row,
    outcomes: dict[str, Outcome],
    residents: int,
    history: History,
) -> Row:
    """The lists, category and result row from evaluated tests (shared by `lists` and `classify`)."""
    met = {tid: o.met for tid, o in outcomes.items()}
    decided, met_counts = list_flags(
        rs, t, met, residents, lambda year, name: history.had(layer, area["area_id"], year, name)
    )
    flags: dict[str, bool | None] = {name: None for name in LIST_NAMES}
    flags.update({name: bool(v) for name, v in decided.items()})
    history.computed[(layer, area["area_id"], t)] = flags
    first_count = rs.criteria_list.name if rs.criteria_list else None
    row: Row = {
        "layer": layer,
        "area_id": area["area_id"],
        "name": area["name"],
        "list_year": t,
        "rule_set": rs.name,
        "eligible": area.get("kind") == "almen",
        "residents": residents,
        "residents_margin": residents - int(rs.settings["min_residents"]),
        "criteria_met": met_counts.get(first_count) if first_count else None,
        "criteria_met_fb": met_counts.get("forebyggelse"),
        **flags,
        "category": next((n for n in SEVERITY if flags[n]), "none"),
        "data_years": ",".join(
            str(t - lag) for lag in sorted({g for x in rs.tests.values() for g in x.lags})
        ),
    }
    for tid, o in outcomes.items():
        row[f"{tid}_value"] = o.value
        row[f"{tid}_threshold"] = o.threshold
        row[f"{tid}_met"] = o.met if o.value is not None else None
        row[f"{tid}_margin_pp"] = o.margin_pp
        row[f"{tid}_margin_persons"] = o.margin_persons
        if o.margin_dkk is not None:
            row[f"{tid}_margin_dkk"] = o.margin_dkk
        if o.ratio is not None:
            row[f"{tid}_ratio"] = o.ratio
    return row


def list_years(book: RuleBook, data_years: Iterable[int]) -> list[int]:
    """List years whose every required data year is present (the latest is max data year + 1)."""
    years = set(data_years)
    if not years:
        return []
    out = []
    for t in range(min(years) + 1, max(years) + 2):
        rs = book.for_year(t)
        lags = (
            {int(rs.settings["residents_lag"]), *(g for x in rs.tests.values() for g in x.lags)}
            if rs
            else set()
        )
        if rs and all(t - lag in years for lag in lags):
            out.append(t)
    return out


def compute_lists(
    book: RuleBook,
    measures: dict[Ages, pl.DataFrame],
    areas: pl.DataFrame,
    reference: dict[tuple[str, int], Fraction],
    official: pl.DataFrame,
) -> tuple[list[Row], list[Row]]:
    """All list results (one row per layer, area, list year) and the official-vs-computed disagreements.

    `measures`: from `measures.compute_measures`, per age-band setting of the rule sets; `areas`:
    layer, area_id, name, kind (one row per area); `reference`: (metric, data year) → value (the
    regional metric for the municipality's region).
    """
    blocks: dict[Ages, dict[tuple[str, str], dict[int, Row]]] = {}
    for ages, frame in measures.items():
        per = blocks.setdefault(ages, {})
        for r in frame.iter_rows(named=True):
            per.setdefault((r["layer"], r["area_id"]), {})[r["year"]] = r
    data_years = {y for frame in measures.values() for y in frame.get_column("year").to_list()}
    history = History.from_official(official)

    def ref(metric: str, year: int) -> Fraction | None:
        return reference.get((metric, year))

    results: list[Row] = []
    area_rows = list(areas.sort("layer", "area_id").iter_rows(named=True))
    for t in list_years(book, data_years):
        rs = book.for_year(t)
        assert rs is not None
        for area in area_rows:
            years = blocks[rs.ages()].get((area["layer"], area["area_id"]), {})
            results.append(evaluate_area(rs, t, area["layer"], area, years.get, ref, history))
    return results, disagreements(results, history)


def disagreements(results: list[Row], history: History) -> list[Row]:
    """Where the official list and our computation differ, for eligible areas in the layers the
    official file uses (a data-quality finding, not an error)."""
    official_ids = {area for area, _ in history.official}
    layers = {r["layer"] for r in results if r["area_id"] in official_ids}
    out = []
    for r in results:
        if r["list_year"] not in history.official_years or r["layer"] not in layers:
            continue
        official = history.official.get((r["area_id"], r["list_year"]), set())
        for name in LIST_NAMES:
            if r[name] is None:
                continue
            said = name in official
            if said != r[name] and (r["eligible"] or said):
                out.append(
                    {
                        "layer": r["layer"],
                        "area_id": r["area_id"],
                        "name": r["name"],
                        "list_year": r["list_year"],
                        "list": name,
                        "official": said,
                        "computed": r[name],
                        "rule_set": r["rule_set"],
                    }
                )
    return out


DISAGREEMENT_SCHEMA = {
    "layer": pl.String,
    "area_id": pl.String,
    "name": pl.String,
    "list_year": pl.Int64,
    "list": pl.String,
    "official": pl.Boolean,
    "computed": pl.Boolean,
    "rule_set": pl.String,
}

#: The stable leading columns of `bsm lists` (other tools read them).
LEADING = (
    "area_id",
    "name",
    "list_year",
    "rule_set",
    "eligible",
    "residents",
    "nonwestern_share",
    "labour_share",
    "crime_share",
    "crime_ratio",
    "education_share",
    "income_ratio",
    "criteria_met",
    "udsat",
    "parallelsamfund",
    "omdannelse",
    "forebyggelse",
    "category",
)
_SHARES = {
    "nonwestern_share": "nonwestern_value",
    "labour_share": "labour_value",
    "crime_share": "crime_value",
    "crime_ratio": "crime_ratio",
    "education_share": "education_value",
    "income_ratio": "income_value",
}
#: The published criterion figures (shares and ratios), also the input columns of `bsm classify`.
FIGURE_COLUMNS = tuple(_SHARES)


def result_columns(book: RuleBook) -> list[str]:
    """Leading columns, then per test: threshold, met, margins (pp, persons or kroner)."""
    tests: dict[str, Test] = {}
    for rs in reversed(book.rulesets):  # the newest regime's tests first
        tests.update({k: v for k, v in rs.tests.items() if k not in tests})
    margins = []
    for tid, test in tests.items():
        margins += [f"{tid}_threshold", f"{tid}_met", f"{tid}_margin_pp"]
        income = test.measure == "income" and test.relative_to is not None
        margins.append(f"{tid}_margin_dkk" if income else f"{tid}_margin_persons")
    return [*LEADING, "layer", "residents_margin", "criteria_met_fb", "data_years", *margins]


def results_frame(rows: list[Row], book: RuleBook) -> pl.DataFrame:
    """List results as a table: fractions become floats only here, at the edge."""
    columns = result_columns(book)

    def cell(row: Row, col: str) -> Any:
        v = row.get(_SHARES.get(col, col))
        return float(v) if isinstance(v, Fraction) else v

    schema: dict[str, type[pl.DataType]] = {c: pl.Float64 for c in columns}
    schema.update(
        {c: pl.Boolean for c in columns if c.endswith("_met") or c in LIST_NAMES or c == "eligible"}
    )
    schema.update(
        {
            c: pl.Int64
            for c in columns
            if c.endswith("_persons")
            or c in ("list_year", "residents", "residents_margin", "criteria_met", "criteria_met_fb")
        }
    )
    schema.update({c: pl.String for c in ("area_id", "name", "rule_set", "category", "layer", "data_years")})
    return pl.DataFrame([{c: cell(r, c) for c in columns} for r in rows], schema=schema)

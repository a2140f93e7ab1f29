"""Disclosure control: the one publishing step every figure passes before it leaves the system.

A policy (per audience, from `policy.toml`, overridable per installation) decides per cell:
counts 1..`small_count_max` are never shown exactly, a rate or mean on fewer than
`rate_min_population` persons is suppressed (flagged uncertain below `rate_uncertain_population`),
a share whose numerator or complement is a small count is suppressed (it would reveal the count),
areas under `min_area_population` residents show only their residents count, and where a hidden
cell could be recovered by subtracting the others from a published total, a second cell is
suppressed too. Suppressed is a state of its own (`state`), never a zero or an empty value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from boligsocial.errors import ConfigError

#: The states a published cell can have.
OK, UNCERTAIN, SMALL, ROUNDED, SUPPRESSED, NODATA = (
    "ok",
    "uncertain",
    "small",
    "rounded",
    "suppressed",
    "nodata",
)
HIDDEN = {SMALL, ROUNDED, SUPPRESSED}
#: Which policy each role reads with; anonymous access (if turned on) uses the public policy.
AUDIENCE_OF_ROLE = {
    "admin": "default",
    "staff": "default",
    "politician": "default",
    "housing_association": "default",
    "analyst": "analyst",
    "anonymous": "public",
}


@dataclass(frozen=True)
class Policy:
    """Disclosure settings for one audience (see policy.toml for their meaning)."""

    name: str
    small_count_max: int = 4
    small_count_display: str = "<5"
    rate_min_population: int = 20
    rate_uncertain_population: int = 50
    complementary: bool = True
    min_area_population: int = 100

    @property
    def small_label(self) -> str:
        return f"<{self.small_count_max + 1}"


def parse_policies(
    data: dict[str, Any], source: str, base: dict[str, Policy] | None = None
) -> dict[str, Policy]:
    """Policies from TOML; keys not given keep the base policy's value. Every problem at once."""
    known = {f.name for f in fields(Policy)} - {"name"}
    problems, out = [], dict(base or {})
    for name, values in data.items():
        unknown = set(values) - known
        if unknown:
            problems.append(f"{source}: [{name}] unknown setting(s) {sorted(unknown)}")
        if values.get("small_count_display", "<5") not in ("<5", "round"):
            problems.append(f'{source}: [{name}] small_count_display must be "<5" or "round"')
        for key in known - {"small_count_display", "complementary"}:
            if key in values and not (isinstance(values[key], int) and values[key] >= 0):
                problems.append(f"{source}: [{name}] {key} must be a whole number >= 0")
        if problems:
            continue
        start = out.get(name, Policy(name))
        out[name] = Policy(name, **{**{k: getattr(start, k) for k in known}, **values})
    if problems:
        raise ConfigError("disclosure policy problems:\n  " + "\n  ".join(problems))
    return out


@lru_cache(maxsize=1)
def shipped_policies() -> dict[str, Policy]:
    """The policies of policy.toml, read once (a service answers many calls with them)."""
    text = resources.files(__package__).joinpath("policy.toml").read_text(encoding="utf-8")
    return parse_policies(tomllib.loads(text), "policy.toml")


def load_policies(extra: Path | None = None) -> dict[str, Policy]:
    """The shipped policies, overridden by an installation's own file."""
    policies = dict(shipped_policies())
    if extra is not None:
        try:
            data = tomllib.loads(extra.read_text(encoding="utf-8"))
        except (FileNotFoundError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"disclosure policy {extra}: {exc}") from exc
        policies = parse_policies(data, extra.name, policies)
    return policies


# --- cells ---------------------------------------------------------------------------------------


def cell(numerator: float | None, denominator: int | None, unit: str, policy: Policy) -> dict[str, Any]:
    """One published figure: value, numerator, denominator, state and (for small counts) a label."""
    if numerator is None or denominator is None or (denominator == 0 and unit != "count"):
        return {"value": None, "numerator": None, "denominator": None, "state": NODATA}
    if unit == "count":
        n = numerator
        if 0 < n <= policy.small_count_max:
            if policy.small_count_display == "round":
                shown = float(policy.small_count_max + 1)
                return {"value": shown, "numerator": shown, "denominator": None, "state": ROUNDED}
            return {
                "value": None,
                "numerator": None,
                "denominator": None,
                "state": SMALL,
                "label": policy.small_label,
            }
        return {"value": n, "numerator": n, "denominator": denominator, "state": OK}
    hidden = {"value": None, "numerator": None, "denominator": None, "state": SUPPRESSED}
    if denominator < policy.rate_min_population:
        return hidden
    if (
        unit == "share"
        and policy.small_count_max
        and (0 < numerator <= policy.small_count_max or 0 < denominator - numerator <= policy.small_count_max)
    ):
        return hidden  # the share would reveal a small count of persons with (or without) the trait
    state = UNCERTAIN if denominator < policy.rate_uncertain_population else OK
    return {
        "value": numerator / denominator,
        "numerator": numerator,
        "denominator": denominator,
        "state": state,
    }


def suppress(row: dict[str, Any], reason: str) -> None:
    """Hide a published cell in place (value, numerator and denominator) with its reason."""
    row.update({"value": None, "numerator": None, "denominator": None, "state": SUPPRESSED, "reason": reason})
    row.pop("label", None)


def complementary(
    rows: list[dict[str, Any]],
    truth: list[tuple[float, int]],
    total: tuple[float, int] | None,
    policy: Policy,
) -> bool:
    """Where the rows partition a published total and exactly one is hidden, hide a second one
    (the smallest), so the hidden figure cannot be recovered by subtraction. Returns True when no
    second cell can protect it, so the total itself must be hidden.

    `truth`: the unpublished (numerator, denominator) of each row, in order; `total`: the total's."""
    if not policy.complementary or total is None or not rows:
        return False
    if sum(d for _, d in truth) != total[1] or abs(sum(n for n, _ in truth) - total[0]) > 1e-6:
        return False  # not a partition of the total: nothing can be subtracted
    hidden = [i for i, r in enumerate(rows) if r["state"] in HIDDEN]
    if len(hidden) != 1:
        return False
    candidates = [i for i, r in enumerate(rows) if r["state"] not in HIDDEN and truth[i][1] > 0]
    if not candidates:
        return True
    second = min(candidates, key=lambda i: (truth[i][1], truth[i][0], i))
    suppress(rows[second], "complementary")
    return False


def publish_partition(
    rows: list[dict[str, Any]],
    unit: str,
    policy: Policy,
    total: dict[str, Any] | None,
    small_area: set[int] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Publish rows with `numerator`, `denominator` (plus any other keys) and their total.

    `small_area`: indices of rows whose area is under the minimum population (suppressed)."""
    truth = [(r.get("numerator") or 0.0, r.get("denominator") or 0) for r in rows]
    out = []
    for i, r in enumerate(rows):
        published = {**r, **cell(r.get("numerator"), r.get("denominator"), unit, policy)}
        if small_area and i in small_area and published["state"] != NODATA:
            suppress(published, "area-small")
        out.append(published)
    published_total = None
    if total is not None:
        published_total = {**total, **cell(total.get("numerator"), total.get("denominator"), unit, policy)}
        exact_total = (total.get("numerator") or 0.0, total.get("denominator") or 0)
        if published_total["state"] not in HIDDEN and complementary(out, truth, exact_total, policy):
            suppress(published_total, "complementary")
    return out, published_total


# --- list results, forecasts, traffic lights -------------------------------------------------------

#: Published columns of each list measure, and its building blocks (numerator, population).
MEASURES = {
    "labour": (("labour_share",), ("labour_sum", "labour_n"), "share"),
    "crime": (("crime_share", "crime_ratio"), ("crime_count", "crime_n"), "share"),
    "education": (("education_share",), ("education_count", "education_n"), "share"),
    "income": (("income_ratio",), ("income_sum", "income_n"), "dkk"),
    "nonwestern": (("nonwestern_share",), ("nonwestern", "residents"), "share"),
}
_TEST_COLUMNS = ("_met", "_margin_pp", "_margin_persons", "_margin_dkk", "_point", "_low", "_high", "_p_met")
Blocks = dict[tuple[str, str, int], dict[str, Any]]


def measure_state(blocks: list[dict[str, Any] | None], measure: str, policy: Policy) -> str:
    """The publishing state of a criterion computed from these yearly building blocks."""
    _, (num, den), unit = MEASURES[measure]
    states = [cell(float(b[num]), int(b[den]), unit, policy)["state"] if b else NODATA for b in blocks]
    if any(s in HIDDEN for s in states):
        return SUPPRESSED
    return UNCERTAIN if UNCERTAIN in states else OK


def _hide_measure(row: dict[str, Any], measure: str) -> None:
    columns, _, _ = MEASURES[measure]
    for key in list(row):
        if key in columns or (key.startswith(measure + "_") and key.endswith(_TEST_COLUMNS)):
            row[key] = None


def publish_list_rows(
    rows: list[dict[str, Any]], blocks: Blocks, policy: Policy, year_of: str = "data_years"
) -> list[dict[str, Any]]:
    """List results (or forecasts) with each criterion's figures hidden where its building blocks
    fail the policy, and only residents for areas under the minimum population; each criterion
    gets `<measure>_state`."""
    out = []
    for r in rows:
        row = dict(r)
        years = [int(y) for y in str(row[year_of]).split(",")] if row.get(year_of) else []
        found = [blocks.get((row["layer"], row["area_id"], y)) for y in years]
        residents = found[0]["residents"] if found and found[0] else row.get("residents") or 0
        small = residents < policy.min_area_population
        for measure in MEASURES:
            state = SUPPRESSED if small else measure_state(found, measure, policy)
            row[f"{measure}_state"] = state
            if state == SUPPRESSED:
                _hide_measure(row, measure)
        if small or any(row[f"{m}_state"] == SUPPRESSED for m in MEASURES if m != "nonwestern"):
            for key in ("criteria_met", "criteria_met_fb"):
                if key in row:
                    row[key] = None
        if small:
            row["state"] = SUPPRESSED
        if "residents" in row and 0 < (row["residents"] or 0) <= policy.small_count_max:
            row["residents"] = None  # a residents count of 1..4 is a small count too
            row["residents_label"] = policy.small_label
            if "residents_margin" in row:
                row["residents_margin"] = None
        out.append(row)
    return out


def publish_colours(
    rows: list[dict[str, Any]], residents: dict[tuple[str, str, int], int], policy: Policy
) -> list[dict[str, Any]]:
    """Traffic lights (and watch-list rows) hidden for areas under the minimum population."""
    out = []
    for r in rows:
        row = dict(r)
        year = row["year"] - 1 if row.get("year_kind") == "list_year" else row.get("year", 0)
        if residents.get((row["layer"], row["area_id"], year), 0) < policy.min_area_population:
            for key in ("colour", "previous", "score", "reason", "criteria_met", "changed"):
                if key in row:
                    row[key] = None
            row["state"] = SUPPRESSED
        out.append(row)
    return out


DECOMPOSITION_TERMS = (
    "before",
    "after",
    "change",
    "stayers",
    "in_movers",
    "out_movers",
    "ageing_in",
    "ageing_out",
)


def publish_decomposition(rows: list[dict[str, Any]], policy: Policy) -> list[dict[str, Any]]:
    """Decomposition rows hidden whole where a group is a small count (its mean would describe a
    few persons) or the population is under the rate rule; one hidden term could be recovered
    from the others and the change, so none is shown then."""
    out = []
    for r in rows:
        row = dict(r)
        sizes = [row.get(f"n_{k}", 0) or 0 for k in ("stay_before", "in", "out", "age_in", "age_out")]
        n_after = sizes[0] + sizes[1] + sizes[3]
        n_before = sizes[0] + sizes[2] + sizes[4]
        for k in ("stay_before", "in", "out", "age_in", "age_out"):
            row.pop(f"n_{k}", None)  # group sizes decide, but are not published
        small = any(0 < n <= policy.small_count_max for n in sizes)
        if small or min(n_after, n_before) < policy.rate_min_population:
            for key in DECOMPOSITION_TERMS:
                row[key] = None
            row["state"] = SUPPRESSED
        else:
            row["state"] = UNCERTAIN if min(n_after, n_before) < policy.rate_uncertain_population else OK
        out.append(row)
    return out

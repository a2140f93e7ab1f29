"""Publishing rows made of several figures: list results and forecasts (criteria from yearly
building blocks), traffic lights (colours from lists and indicators) and the decomposition of a
criterion's change. A derived figure is published only where everything it is made of is."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from boligsocial.publish.disclosure.cells import (
    AREA_SMALL,
    DIFFERENCING,
    HIDDEN,
    NODATA,
    OK,
    SMALL_COUNT,
    SUPPRESSED,
    UNCERTAIN,
    cell,
)
from boligsocial.publish.disclosure.policy import Policy

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


#: Is a list measure of an area publishable in a data year (layer, area_id, year, measure)? And
#: its residents count (measure "residents"), or the label of a small one (`LABEL`)? Given by the
#: protection of the viewer's policy.
Gate = Callable[[str, str, int, str], bool]
LABEL = "residents-label"


def publish_list_rows(
    rows: list[dict[str, Any]],
    blocks: Blocks,
    policy: Policy,
    year_of: str = "data_years",
    gate: Gate | None = None,
) -> list[dict[str, Any]]:
    """List results (or forecasts) with each criterion's figures hidden unless its building blocks
    are published for every data year it uses (`gate`; without one, the blocks' own cell rules:
    the analyst's policy, which does not protect against differencing), and only residents for
    areas under the minimum population; each criterion gets `<measure>_state`. A row hidden whole
    says why in `hidden_reason` (a traffic light's own `reason` is its explanation)."""
    out = []
    for r in rows:
        row = dict(r)
        years = [int(y) for y in str(row[year_of]).split(",")] if row.get(year_of) else []
        found = [blocks.get((row["layer"], row["area_id"], y)) for y in years]
        residents = found[0]["residents"] if found and found[0] else row.get("residents") or 0
        small = residents < policy.min_area_population
        for measure in MEASURES:
            state = SUPPRESSED if small else measure_state(found, measure, policy)
            if (
                gate is not None
                and state != SUPPRESSED
                and not all(gate(row["layer"], row["area_id"], y, measure) for y in years)
            ):
                state = SUPPRESSED
            row[f"{measure}_state"] = state
            if state == SUPPRESSED:
                _hide_measure(row, measure)
        if small or any(row[f"{m}_state"] == SUPPRESSED for m in MEASURES if m != "nonwestern"):
            for key in ("criteria_met", "criteria_met_fb"):
                if key in row:
                    row[key] = None
        if small:
            row["state"] = SUPPRESSED
            row["hidden_reason"] = AREA_SMALL
        place = (row["layer"], row["area_id"], years[0]) if years else None
        shown = gate is None or (place is not None and gate(*place, "residents"))
        small_count = 0 < (row.get("residents") or 0) <= policy.small_count_max
        if "residents" in row and (not shown or small_count):
            labelled = small_count and (gate is None or (place is not None and gate(*place, LABEL)))
            row["residents"] = None  # a residents count of 1..4 is a small count too
            row["residents_label"] = policy.small_label if labelled else None
            if "residents_margin" in row:
                row["residents_margin"] = None
        out.append(row)
    return out


def publish_colours(
    rows: list[dict[str, Any]],
    residents: dict[tuple[str, str, int], int],
    policy: Policy,
    shown: Callable[[dict[str, Any]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Traffic lights (and watch-list rows) hidden for areas under the minimum population, and
    where `shown` says the figures the colour is made of are not all published (a colour is a
    function of its inputs, so it is published only beside them)."""
    out = []
    for r in rows:
        row = dict(r)
        year = row["year"] - 1 if row.get("year_kind") == "list_year" else row.get("year", 0)
        small = residents.get((row["layer"], row["area_id"], year), 0) < policy.min_area_population
        if small or (shown is not None and not shown(row)):
            row["hidden_reason"] = AREA_SMALL if small else DIFFERENCING
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


def publish_decomposition(
    rows: list[dict[str, Any]], policy: Policy, shown: Callable[[dict[str, Any]], bool] | None = None
) -> list[dict[str, Any]]:
    """Decomposition rows hidden whole where a group is a small count (its mean would describe a
    few persons), the population is under the rate rule, or `shown` says a figure it is made of is
    not published; one hidden term could be recovered from the others and the change, so none is
    shown then."""
    out = []
    for r in rows:
        row = dict(r)
        parts_shown = shown is None or shown(row)
        sizes = [row.get(f"n_{k}", 0) or 0 for k in ("stay_before", "in", "out", "age_in", "age_out")]
        n_after = sizes[0] + sizes[1] + sizes[3]
        n_before = sizes[0] + sizes[2] + sizes[4]
        for k in ("stay_before", "in", "out", "age_in", "age_out"):
            row.pop(f"n_{k}", None)  # group sizes decide, but are not published
        small = any(0 < n <= policy.small_count_max for n in sizes)
        if small or not parts_shown or min(n_after, n_before) < policy.rate_min_population:
            for key in DECOMPOSITION_TERMS:
                row[key] = None
            row["state"] = SUPPRESSED
            row["reason"] = DIFFERENCING if not parts_shown else SMALL_COUNT
        else:
            row["state"] = UNCERTAIN if min(n_after, n_before) < policy.rate_uncertain_population else OK
        out.append(row)
    return out

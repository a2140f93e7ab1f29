"""One published figure: value, numerator, denominator, state and, for a small count, a label."""

from __future__ import annotations

from typing import Any

from boligsocial.publish.disclosure.policy import Policy

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


#: Why a figure is hidden: its own count is small; its area is under the minimum population;
#: or it would let a hidden figure be recovered by adding and subtracting published ones.
SMALL_COUNT, AREA_SMALL, DIFFERENCING = "small", "area-small", "differencing"


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

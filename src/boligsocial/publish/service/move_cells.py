"""The cells of the moves for the disclosure step: which figures the moves publish (the flow
measures and the groups an attacker can subtract, an area's tallies, the mover profiles, the
moves behind displacement), the key of each kind of cell, and a count cell with the count rule."""

from __future__ import annotations

from typing import Any

from boligsocial.compute.moves import TRAITS
from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.linked import Cell

#: The flow measures: movers, and movers with each trait.
FLOW_MEASURES = ("movers", *TRAITS)
#: Groups of movers that are differences of the flow measures (movers minus those with traits):
#: an attacker subtracts them, so they are cells of their own, never published.
DERIVED_GROUPS = {
    "adults": {"movers": 1, "children": -1},
    "working_age": {"movers": 1, "children": -1, "seniors": -1},
    "not_nonwestern": {"movers": 1, "nonwestern": -1},
    "adults_not_convicted": {"movers": 1, "children": -1, "convicted": -1},
    "working_age_inside": {"movers": 1, "children": -1, "seniors": -1, "outside_labour": -1},
}
#: An area's tallies (counts), as in `move_areas`.
TALLIES = (
    "in_internal",
    "in_external",
    "out_internal",
    "out_external",
    "births",
    "ended",
    "residents_before",
    "residents_after",
)
#: Mover profile figures: (numerator, population, is share); `age_sum` is mean age × persons.
PROFILE_RATES = {
    "labour": ("labour_sum", "labour_n", True),
    "education": ("education_count", "education_n", True),
    "income": ("income_sum", "income_n", False),
    "nonwestern": ("nonwestern", "persons", True),
    "mean_age": ("age_sum", "persons", False),
}
PROFILE_COUNTS = ("persons", "labour_n", "education_n", "income_n", "education_count", "nonwestern")
#: Displacement: each share criterion's population and count (or FTE sum) after the move.
DISPLACED = ("labour", "crime", "education", "nonwestern")
#: Residence statistics (criteria blocks) that a profile figure of the stayers plus in-movers adds
#: up to, and whether the year's births can hold some of it (they are aged 0).
RESIDENCE_OF_PROFILE = {
    "nonwestern": ("nonwestern", True),
    "education_n": ("education_n", False),
    "education_count": ("education_count", False),
    "labour_n": ("labour_n", False),
    "labour_sum": ("labour_sum", False),
    "income_n": ("income_n", False),
    "income_sum": ("income_sum", False),
}


def flow(layer: str, year: int, measure: str, a: str, b: str) -> tuple[Any, ...]:
    return ("F", layer, year, measure, a, b)


def housing_flow(layer: str, year: int, measure: str, a: str, b: str) -> tuple[Any, ...]:
    return ("H", layer, year, measure, a, b)


def kind_flow(layer: str, year: int, measure: str, a: str, b: str) -> tuple[Any, ...]:
    return ("K", layer, year, measure, a, b)


def tally(layer: str, year: int, area: str, key: str) -> tuple[Any, ...]:
    return ("T", layer, year, area, key)


def profile(layer: str, year: int, area: str, group: str, key: str) -> tuple[Any, ...]:
    return ("P", layer, year, area, group, key)


def displaced(layer: str, year: int, a: str, b: str, key: str) -> tuple[Any, ...]:
    return ("D", layer, year, a, b, key)


def count_cell(value: float, small: int) -> Cell:
    """A count cell, hidden when it is small. The moves never show a hidden count's label: with
    the relations between them, a label's bounds (1..4) could pin a value (docs/access.md)."""
    hidden = 0 < round(value) <= small
    return Cell(float(value), True, hidden, reason=dc.SMALL_COUNT if hidden else None)

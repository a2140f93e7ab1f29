"""Disclosure control: the one publishing step every figure passes before it leaves the system.

A policy (per audience, `policy`) decides per cell (`cells`): counts 1..`small_count_max` are
never shown exactly, a rate or mean on fewer than `rate_min_population` persons is suppressed,
a share whose numerator or complement is a small count is suppressed, areas under
`min_area_population` residents show only their residents count. Against differencing — adding
and subtracting published figures across areas, layers, the municipality and statistics — the
atoms of the geography are grouped into safe blocks per statistic (`partition`), and a figure is
published only for areas that are unions of whole blocks (`protection`). Rows made of several
figures are published where all their parts are (`rows`). Suppressed is a state of its own
(`state`, with a `reason`), never a zero or an empty value. docs/access.md has the method.
"""

from boligsocial.publish.disclosure.cells import (
    AREA_SMALL,
    DIFFERENCING,
    HIDDEN,
    NODATA,
    OK,
    ROUNDED,
    SMALL,
    SMALL_COUNT,
    SUPPRESSED,
    UNCERTAIN,
    cell,
    suppress,
)
from boligsocial.publish.disclosure.policy import (
    AUDIENCE_OF_ROLE,
    Policy,
    load_policies,
    parse_policies,
    shipped_policies,
)
from boligsocial.publish.disclosure.rows import (
    DECOMPOSITION_TERMS,
    LABEL,
    MEASURES,
    Blocks,
    Gate,
    measure_state,
    publish_colours,
    publish_decomposition,
    publish_list_rows,
)

__all__ = [
    "AREA_SMALL",
    "AUDIENCE_OF_ROLE",
    "DECOMPOSITION_TERMS",
    "DIFFERENCING",
    "HIDDEN",
    "LABEL",
    "MEASURES",
    "NODATA",
    "OK",
    "ROUNDED",
    "SMALL",
    "SMALL_COUNT",
    "SUPPRESSED",
    "UNCERTAIN",
    "Blocks",
    "Gate",
    "Policy",
    "cell",
    "load_policies",
    "measure_state",
    "parse_policies",
    "publish_colours",
    "publish_decomposition",
    "publish_list_rows",
    "shipped_policies",
    "suppress",
]

"""The read service: every figure that leaves the system (CLI, API, pages) is asked for here.

A `Service` holds an in-memory snapshot of a database's aggregated tables (reloaded when the file
changes), so API calls are fast filters on small frames and pages never compute anything the API
would compute differently. Every answer is published for a `Viewer` through the disclosure step
(`boligsocial.publish.disclosure`) with the viewer's policy before it leaves. Nothing here writes.
"""

from boligsocial.publish.service.queries import (
    Service,
    audience,
    backtest_report,
    flows_table,
    forecast_table,
    list_disagreements,
    list_results,
)
from boligsocial.publish.service.snapshot import Snapshot, Viewer, load_snapshot

__all__ = [
    "Service",
    "Snapshot",
    "Viewer",
    "audience",
    "backtest_report",
    "flows_table",
    "forecast_table",
    "list_disagreements",
    "list_results",
    "load_snapshot",
]

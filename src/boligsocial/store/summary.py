"""What a database holds, in a few numbers: for `bsm info`, the demo and later the dashboard header."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from boligsocial.compute.indicators import MUNICIPALITY_LAYER
from boligsocial.store.database import connect_read, get_meta


@dataclass(frozen=True)
class DatabaseSummary:
    """Municipality, data years, areas per layer and residents per year of one database."""

    municipality: str
    code: str
    region: str
    years: list[int]
    areas: dict[str, int]
    residents: dict[int, int]
    fingerprint: str
    schema_version: str = ""


def database_summary(db: Path) -> DatabaseSummary:
    """Read the summary from a boligsocial database (read-only)."""
    con = connect_read(db)
    try:
        meta = get_meta(con)
        areas = dict(
            con.execute(
                "SELECT layer, count(DISTINCT area_id) FROM areas GROUP BY layer ORDER BY layer"
            ).fetchall()
        )
        residents = dict(
            con.execute(
                "SELECT year, CAST(numerator AS BIGINT) FROM indicator_values "
                "WHERE layer = ? AND indicator = 'residents' AND housing_type = '*' ORDER BY year",
                [MUNICIPALITY_LAYER],
            ).fetchall()
        )
    finally:
        con.close()
    return DatabaseSummary(
        meta["municipality_name"],
        meta["municipality_code"],
        meta["region"],
        sorted(residents),
        areas,
        residents,
        meta.get("last_fingerprint", ""),
        meta.get("schema_version", ""),
    )

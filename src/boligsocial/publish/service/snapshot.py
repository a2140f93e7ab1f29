"""What the service reads: the viewer who asks, and an in-memory snapshot of a database's
aggregated tables (never the person-level ones)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from boligsocial.common.sql import ident
from boligsocial.compute.indicators import ALL_HOUSING
from boligsocial.publish import disclosure as dc
from boligsocial.store.database import SCHEMA_VERSION, connect_read, frame, get_meta

_TABLES = (
    "areas",
    "indicators",
    "indicator_values",
    "list_results",
    "list_disagreements",
    "forecast_lists",
    "forecast_criteria",
    "traffic_light",
    "traffic_light_models",
    "criteria_inputs",
    "area_organisations",
    "move_flows",
    "move_displaced",
    "move_areas",
    "mover_profiles",
    "move_decomposition",
    "atoms",
    "atom_values",
    "statistics",
    "statistic_relations",
)


@dataclass(frozen=True)
class Viewer:
    """Who asks: role, the disclosure policy that applies, and a housing association's org."""

    role: str
    policy: dc.Policy
    username: str | None = None
    organisation: str | None = None

    @classmethod
    def operator(cls) -> Viewer:
        """Whoever runs the CLI on the database file itself: the analyst policy."""
        return cls("analyst", dc.load_policies()["analyst"])


@dataclass
class Snapshot:
    """The aggregated tables of one database file, as loaded at `mtime`."""

    mtime: float
    meta: dict[str, str]
    tables: dict[str, pl.DataFrame]

    @cached_property
    def data_years(self) -> list[int]:
        return sorted(self.values.get_column("year").unique().to_list())

    @cached_property
    def values(self) -> pl.DataFrame:
        return self.tables["indicator_values"]

    @cached_property
    def totals(self) -> pl.DataFrame:
        """Indicator values for all housing types, with the rate."""
        return self.values.filter(pl.col("housing_type") == ALL_HOUSING).with_columns(
            (pl.col("numerator") / pl.col("denominator")).alias("rate")
        )

    @cached_property
    def residents(self) -> dict[tuple[str, str, int], int]:
        """(layer, area_id, year) → residents, for the minimum-population rule."""
        rows = self.totals.filter(pl.col("indicator") == "residents").select(
            "layer", "area_id", "year", "numerator"
        )
        return {(r[0], r[1], r[2]): int(r[3]) for r in rows.iter_rows()}

    @cached_property
    def blocks(self) -> dc.Blocks:
        """(layer, area_id, year) → the exact building blocks of the list criteria."""
        frame = self.tables["criteria_inputs"]
        if frame.is_empty():
            return {}
        first = frame.get_column("ages")[0]
        return {
            (r["layer"], r["area_id"], r["year"]): r
            for r in frame.filter(pl.col("ages") == first).iter_rows(named=True)
        }

    @cached_property
    def area_names(self) -> pl.DataFrame:
        """One row per (layer, area_id): latest name and kind."""
        return (
            self.tables["areas"]
            .sort("valid_to", nulls_last=True)
            .group_by("layer", "area_id")
            .agg(pl.col("name").last(), pl.col("kind").last(), pl.col("parent_id").last())
            .sort("layer", "area_id")
        )

    def boundaries(self, layer: str, year: int) -> pl.DataFrame:
        """The layer's areas as they were in `year` (the boundary version valid then), by area_id."""
        return (
            self.tables["areas"]
            .filter(
                (pl.col("layer") == layer)
                & (pl.col("valid_from").fill_null(0) <= year)
                & (pl.col("valid_to").fill_null(9999) >= year)
            )
            .sort("area_id")
        )


def load_snapshot(db: Path) -> Snapshot:
    """Read the aggregated tables (never the person-level ones) from a database."""
    mtime = db.stat().st_mtime if db.exists() else 0.0
    con = connect_read(db)
    try:
        meta = get_meta(con)
        present = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        # a database from an older version lacks newer tables, and its move tables have an older
        # shape: they read as empty until its next load
        stale = meta.get("schema_version") != SCHEMA_VERSION
        tables = {
            name: frame(con, f"SELECT * FROM {ident(name)}")
            if name in present and not (stale and name.startswith("move"))
            else pl.DataFrame()
            for name in _TABLES
        }
    finally:
        con.close()
    return Snapshot(mtime, meta, tables)

"""The part of the service every query shares: the snapshot, the memo and parameter checks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from boligsocial import disclosure as dc
from boligsocial.errors import InvalidParameter, NotFound
from boligsocial.service.snapshot import Snapshot, Viewer, load_snapshot


class ServiceBase:
    """The snapshot of one database, a memo of answers, and the checks every query shares."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self._lock = threading.Lock()
        self._snap: Snapshot | None = None
        self._memo: dict[tuple[Any, ...], Any] = {}

    @property
    def snap(self) -> Snapshot:
        """The current snapshot, reloaded when a load has replaced the database file."""
        mtime = self.db.stat().st_mtime if self.db.exists() else -1.0
        with self._lock:
            if self._snap is None or self._snap.mtime != mtime:
                self._snap = load_snapshot(self.db)
                self._memo.clear()
            return self._snap

    def memo(self, key: tuple[Any, ...], produce: Callable[[], Any]) -> Any:
        """A result remembered until the database changes (answers are pure functions of the
        snapshot and the key); bounded so odd keys cannot grow it without limit."""
        self.snap  # noqa: B018 - reloads (and clears the memo) when the file changed
        if key not in self._memo:
            if len(self._memo) > 20_000:
                self._memo.clear()
            self._memo[key] = produce()
        return self._memo[key]

    def may_see_profile(self, viewer: Viewer, layer: str, area_id: str) -> bool:
        """Housing associations see the detailed profile only of their own organisation's areas."""
        if viewer.role != "housing_association":
            return True
        orgs = self.snap.tables["area_organisations"].filter(
            (pl.col("layer") == layer) & (pl.col("area_id") == area_id)
        )
        return viewer.organisation in set(orgs.get_column("housing_org").to_list())

    # --- validation of parameters --------------------------------------------------------------

    def _layer(self, layer: str) -> str:
        layers = self.layers()
        if layer not in layers:
            raise NotFound("unknown-layer", f"unknown layer '{layer}'", {"allowed": layers})
        return layer

    def _year(self, year: int | None, allowed: list[int], what: str = "year") -> int:
        if not allowed:
            raise NotFound(f"no-{what.replace(' ', '-')}", f"no {what}s in this database")
        if year is None:
            return allowed[-1]
        if year not in allowed:
            raise InvalidParameter(
                f"{what.replace(' ', '-')}-out-of-range",
                f"{what} {year} is not available; choose {allowed[0]}–{allowed[-1]}",
                {"allowed": allowed},
            )
        return year

    def _indicator(self, indicator: str) -> dict[str, Any]:
        found = self.snap.tables["indicators"].filter(pl.col("id") == indicator)
        if found.is_empty():
            raise NotFound("unknown-indicator", f"unknown indicator '{indicator}'")
        return found.row(0, named=True)

    def _area(self, layer: str, area_id: str) -> dict[str, Any]:
        self._layer(layer)
        found = self.snap.area_names.filter((pl.col("layer") == layer) & (pl.col("area_id") == area_id))
        if found.is_empty():
            raise NotFound("unknown-area", f"no area '{area_id}' in layer '{layer}'")
        return found.row(0, named=True)

    # --- catalogue -----------------------------------------------------------------------------

    def layers(self) -> list[str]:
        return sorted(self.snap.tables["areas"].get_column("layer").unique().to_list())

    def list_years(self) -> list[int]:
        return sorted(self.snap.tables["list_results"].get_column("list_year").unique().to_list())

    def _small(self, v: Viewer, layer: str, area_id: str, year: int, indicator: str) -> bool:
        """Under the minimum population only the residents count is shown."""
        if indicator == "residents" or not v.policy.min_area_population:
            return False
        return self.snap.residents.get((layer, area_id, year), 0) < v.policy.min_area_population

    def _publish_rows(self, table: pl.DataFrame, viewer: Viewer | None) -> pl.DataFrame:
        """List or forecast rows through the disclosure step, keeping the table's column types."""
        v = viewer or Viewer.operator()
        rows = dc.publish_list_rows(table.to_dicts(), self.snap.blocks, v.policy)
        states = {f"{m}_state": pl.String for m in dc.MEASURES} | {
            "state": pl.String,
            "residents_label": pl.String,
        }
        return pl.DataFrame(rows, schema={**table.schema, **states})

"""The part of the service every query shares: what a housing association sees in detail, the
checks of parameters, and what the database holds; on top of the current snapshot (`current`) and
publishing through the disclosure step (`publishing`)."""

from __future__ import annotations

from typing import Any

import polars as pl

from boligsocial.common.errors import InvalidParameter, NotFound, NotPermitted
from boligsocial.publish import disclosure as dc
from boligsocial.publish.service.publishing import Publishing
from boligsocial.publish.service.snapshot import Viewer


class ServiceBase(Publishing):
    """The snapshot of one database, a memo of answers, and the checks every query shares."""

    def may_see_detail(self, viewer: Viewer, layer: str, area_id: str) -> bool:
        """A housing association sees an area in detail (forecast, traffic lights, moves) only where
        its organisation has dwellings and no other organisation has: so no difference of the areas
        it sees in detail is about another organisation's tenants (docs/access.md)."""
        if viewer.role != "housing_association":
            return True
        return area_id in self.own_areas(viewer, layer)

    def own_areas(self, viewer: Viewer, layer: str) -> set[str]:
        """The areas of a layer a housing association sees in detail."""
        orgs = self.snap.tables["area_organisations"]
        if orgs.is_empty() or viewer.organisation is None:
            return set()
        held = orgs.filter(pl.col("layer") == layer).group_by("area_id").agg(pl.col("housing_org").unique())
        return {
            r["area_id"] for r in held.iter_rows(named=True) if set(r["housing_org"]) == {viewer.organisation}
        }

    def may_see_profile(self, viewer: Viewer, layer: str, area_id: str) -> bool:
        """The detailed profile is the area seen in detail (`may_see_detail`)."""
        return self.may_see_detail(viewer, layer, area_id)

    def require_detail(self, viewer: Viewer, layer: str, area_id: str) -> None:
        if not self.may_see_detail(viewer, layer, area_id):
            raise NotPermitted(
                "not-your-area",
                "a housing association sees this only for areas where only its organisation has dwellings",
            )

    def _restrict_rows(self, table: pl.DataFrame, viewer: Viewer, keep: tuple[str, ...]) -> pl.DataFrame:
        """Rows about areas a housing association does not see in detail: only `keep` columns stay."""
        if viewer.role != "housing_association" or table.is_empty():
            return table
        mine = {
            (layer, a)
            for layer in table.get_column("layer").unique().to_list()
            for a in self.own_areas(viewer, layer)
        }
        own = pl.Series([(r[0], r[1]) in mine for r in table.select("layer", "area_id").iter_rows()])
        hidden = [c for c in table.columns if c not in keep and c not in ("state", "hidden_reason")]
        out = table.with_columns(
            *[pl.when(own).then(pl.col(c)).otherwise(None).alias(c) for c in hidden],
            pl.when(own).then(pl.col("state")).otherwise(pl.lit(dc.SUPPRESSED)).alias("state")
            if "state" in table.columns
            else pl.lit(None, pl.String).alias("state"),
            pl.when(own)
            .then(pl.col("hidden_reason") if "hidden_reason" in table.columns else pl.lit(None, pl.String))
            .otherwise(pl.lit("not-your-area"))
            .alias("hidden_reason"),
        )
        return out

    # --- validation of parameters --------------------------------------------------------------

    def valid_layer(self, layer: str) -> str:
        layers = self.layers()
        if layer not in layers:
            raise NotFound(
                "unknown-layer", f"unknown layer '{layer}'", {"allowed": layers}, params={"layer": layer}
            )
        return layer

    def valid_year(self, year: int | None, allowed: list[int], what: str = "year") -> int:
        if not allowed:
            raise NotFound(f"no-{what.replace(' ', '-')}", f"no {what}s in this database")
        if year is None:
            return allowed[-1]
        if year not in allowed:
            raise InvalidParameter(
                f"{what.replace(' ', '-')}-out-of-range",
                f"{what} {year} is not available; choose {allowed[0]}–{allowed[-1]}",
                {"allowed": allowed},
                params={"year": year, "first": allowed[0], "last": allowed[-1]},
            )
        return year

    def _indicator(self, indicator: str) -> dict[str, Any]:
        found = self.snap.tables["indicators"].filter(pl.col("id") == indicator)
        if found.is_empty():
            raise NotFound(
                "unknown-indicator", f"unknown indicator '{indicator}'", params={"indicator": indicator}
            )
        return found.row(0, named=True)

    def _area(self, layer: str, area_id: str) -> dict[str, Any]:
        self.valid_layer(layer)
        found = self.snap.area_names.filter((pl.col("layer") == layer) & (pl.col("area_id") == area_id))
        if found.is_empty():
            raise NotFound(
                "unknown-area",
                f"no area '{area_id}' in layer '{layer}'",
                params={"area": area_id, "layer": layer},
            )
        return found.row(0, named=True)

    # --- what the database holds, for outputs that lay out files --------------------------------

    def indicators(self) -> list[dict[str, Any]]:
        """The catalogue of indicators, in catalogue order."""
        return list(self.snap.tables["indicators"].to_dicts())

    def data_years(self) -> list[int]:
        return list(self.snap.data_years)

    def area_names(self, layer: str) -> pl.DataFrame:
        """The layer's areas, one row each: area_id, latest name and kind."""
        return self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "name", "kind")

    def boundaries(self, layer: str, year: int) -> pl.DataFrame:
        """The layer's boundaries valid in `year`: area_id and geometry (WKB, EPSG:25832)."""
        return self.snap.boundaries(layer, year).select("area_id", "geometry")

    def move_years(self, layer: str) -> list[int]:
        """The move years with moves between the layer's areas."""
        moved = self.snap.tables["move_flows"]
        if moved.is_empty():
            return []
        return sorted(moved.filter(pl.col("layer") == layer).get_column("year").unique().to_list())

    def origin(self) -> dict[str, str]:
        """Where the data come from: municipality name and code, the delivery's fingerprint and
        the rule sets of the stored lists (for a file's provenance)."""
        meta, results = self.snap.meta, self.snap.tables["list_results"]
        rule_sets = sorted(results.get_column("rule_set").unique().to_list()) if results.height else []
        return {
            "municipality_name": meta.get("municipality_name", ""),
            "municipality_code": meta.get("municipality_code", ""),
            "delivery_fingerprint": meta.get("last_fingerprint", ""),
            "rule_sets": ", ".join(rule_sets),
        }

    # --- catalogue -----------------------------------------------------------------------------

    def layers(self) -> list[str]:
        return sorted(self.snap.tables["areas"].get_column("layer").unique().to_list())

    def list_years(self) -> list[int]:
        return sorted(self.snap.tables["list_results"].get_column("list_year").unique().to_list())

"""Queries about areas: the catalogue, maps, one indicator across areas, one area over time."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import shapely

from boligsocial import disclosure as dc
from boligsocial.indicators import ALL_HOUSING, MUNICIPALITY_LAYER
from boligsocial.service.base import ServiceBase
from boligsocial.service.snapshot import Viewer


class AreaQueries(ServiceBase):
    """Meta, maps, values, series and breakdowns."""

    def meta(self) -> dict[str, Any]:
        s = self.snap
        areas = s.area_names.group_by("layer").len().sort("layer")
        return {
            "municipality": {
                "name": s.meta["municipality_name"],
                "code": s.meta["municipality_code"],
                "region": s.meta["region"],
            },
            "data_years": s.data_years,
            "list_years": self.list_years(),
            "forecast_years": sorted(s.tables["forecast_lists"].get_column("list_year").unique().to_list())
            if not s.tables["forecast_lists"].is_empty()
            else [],
            "layers": [{"id": r["layer"], "areas": r["len"]} for r in areas.iter_rows(named=True)],
            "indicators": s.tables["indicators"].to_dicts(),
            "traffic_light_models": sorted(s.tables["traffic_light"].get_column("model").unique().to_list()),
        }

    # --- maps ----------------------------------------------------------------------------------

    def geojson(self, layer: str, year: int | None = None, tolerance: float = 5.0) -> dict[str, Any]:
        """The layer's areas valid in `year` (EPSG:25832, simplified to `tolerance` metres)."""
        self._layer(layer)
        year = self._year(year, self.snap.data_years)
        return self.memo(("geojson", layer, year, tolerance), lambda: self._geojson(layer, year, tolerance))

    def _geojson(self, layer: str, year: int, tolerance: float) -> dict[str, Any]:
        areas = self.snap.boundaries(layer, year)
        geoms = shapely.from_wkb(areas.get_column("geometry").to_numpy())
        geoms = shapely.set_precision(shapely.simplify(geoms, tolerance, preserve_topology=True), 1.0)
        features = [
            {
                "type": "Feature",
                "id": r["area_id"],
                "properties": {"area_id": r["area_id"], "name": r["name"], "kind": r["kind"]},
                "geometry": shapely.geometry.mapping(g),
            }
            for r, g in zip(areas.iter_rows(named=True), geoms, strict=True)
        ]
        bounds = shapely.total_bounds(geoms) if len(geoms) else np.zeros(4)
        return {
            "type": "FeatureCollection",
            "crs": "EPSG:25832",
            "year": year,
            "bbox": [float(b) for b in bounds],
            "features": features,
        }

    def values(
        self, layer: str, indicator: str, year: int | None = None, viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """One indicator for every area of a layer in one year, with the municipality value
        (remembered per policy: the exports and reports ask for the same figures more than once)."""
        v = viewer or Viewer.operator()
        self._layer(layer)
        ind = self._indicator(indicator)
        year = self._year(year, self.snap.data_years)
        return self.memo(
            ("values", layer, indicator, year, v.policy.name),
            lambda: self._values(layer, ind, year, v),
        )

    def _values(self, layer: str, ind: dict[str, Any], year: int, v: Viewer) -> dict[str, Any]:
        indicator = ind["id"]
        t = self.snap.totals.filter((pl.col("indicator") == indicator) & (pl.col("year") == year))
        areas = self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "name", "kind")
        rows = (
            areas.join(t.filter(pl.col("layer") == layer), on="area_id", how="left")
            .select("area_id", "name", "kind", "numerator", "denominator")
            .to_dicts()
        )
        total = t.filter(pl.col("layer") == MUNICIPALITY_LAYER).select("numerator", "denominator")
        small = {i for i, r in enumerate(rows) if self._small(v, layer, r["area_id"], year, indicator)}
        published, muni = dc.publish_partition(
            rows, ind["unit"], v.policy, total.row(0, named=True) if total.height else None, small
        )
        return {"layer": layer, "indicator": ind, "year": year, "municipality": muni, "areas": published}

    # --- one area ------------------------------------------------------------------------------

    def series(
        self, layer: str, area_id: str, indicator: str, viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """An indicator over all years for the area, the municipality and (where meaningful) the
        other almene areas of the layer together."""
        v = viewer or Viewer.operator()
        area = self._area(layer, area_id)
        ind = self._indicator(indicator)
        t = self.snap.totals.filter(pl.col("indicator") == indicator)
        own = t.filter((pl.col("layer") == layer) & (pl.col("area_id") == area_id)).sort("year")
        muni = t.filter(pl.col("layer") == MUNICIPALITY_LAYER).sort("year")
        almen_ids = self.snap.area_names.filter(
            (pl.col("layer") == layer) & (pl.col("kind") == "almen") & (pl.col("area_id") != area_id)
        ).get_column("area_id")
        almen = (
            t.filter((pl.col("layer") == layer) & pl.col("area_id").is_in(almen_ids.implode()))
            .group_by("year")
            .agg(pl.col("numerator").sum(), pl.col("denominator").sum())
            .sort("year")
        )

        def points(frame: pl.DataFrame, own_area: bool = False) -> list[dict[str, Any]]:
            out = []
            for r in frame.iter_rows(named=True):
                p = {"year": r["year"], **dc.cell(r["numerator"], r["denominator"], ind["unit"], v.policy)}
                if (
                    own_area
                    and self._small(v, layer, area_id, r["year"], indicator)
                    and p["state"] != dc.NODATA
                ):
                    dc.suppress(p, "area-small")
                out.append(p)
            return out

        return {
            "layer": layer,
            "area": area,
            "indicator": ind,
            "area_series": points(own, True),
            "municipality": points(muni),
            "almen": points(almen) if len(almen_ids) else [],
        }

    def breakdown(
        self, layer: str, area_id: str, year: int | None = None, viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """Residents by age group and by housing type in one year (each a partition of the area's
        residents, so complementary suppression applies within each)."""
        v = viewer or Viewer.operator()
        self._area(layer, area_id)
        year = self._year(year, self.snap.data_years)
        vals = self.snap.values.filter(
            (pl.col("layer") == layer) & (pl.col("area_id") == area_id) & (pl.col("year") == year)
        )
        order = self.snap.tables["indicators"].get_column("id").to_list()  # catalogue order: by age
        ages = [
            {"indicator": r["indicator"], "numerator": r["numerator"], "denominator": r["numerator"]}
            for r in vals.filter(
                pl.col("indicator").str.starts_with("age_") & (pl.col("housing_type") == ALL_HOUSING)
            ).iter_rows(named=True)
        ]
        ages.sort(key=lambda a: order.index(a["indicator"]) if a["indicator"] in order else 99)
        housing = [
            {"housing_type": r["housing_type"], "numerator": r["numerator"], "denominator": r["numerator"]}
            for r in vals.filter(
                (pl.col("indicator") == "residents") & (pl.col("housing_type") != ALL_HOUSING)
            )
            .sort("numerator", descending=True)
            .iter_rows(named=True)
        ]
        residents = self.snap.residents.get((layer, area_id, year), 0)
        total = {"numerator": float(residents), "denominator": residents}
        small = self._small(v, layer, area_id, year, "age")
        out = {}
        for key, rows in (("age", ages), ("housing", housing)):
            published, _ = dc.publish_partition(
                rows, "count", v.policy, total, set(range(len(rows))) if small else None
            )
            for p in published:
                p["persons"] = p.pop("value")
                p.pop("denominator", None)
                p.pop("numerator", None)
            out[key] = published
        return {"year": year, **out}

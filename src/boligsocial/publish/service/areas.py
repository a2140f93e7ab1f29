"""Queries about areas: the catalogue, maps, one indicator across areas, one area over time."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import shapely

from boligsocial.compute.indicators import ALL_HOUSING, MUNICIPALITY_LAYER
from boligsocial.publish import disclosure as dc
from boligsocial.publish.service.base import ServiceBase
from boligsocial.publish.service.protection import almen_region, area_region
from boligsocial.publish.service.snapshot import Viewer


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
        self.valid_layer(layer)
        year = self.valid_year(year, self.snap.data_years)
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
        self.valid_layer(layer)
        ind = self._indicator(indicator)
        year = self.valid_year(year, self.snap.data_years)
        return self.memo(
            ("values", layer, indicator, year, v.policy.name),
            lambda: self._values(layer, ind, year, v),
        )

    def _values(self, layer: str, ind: dict[str, Any], year: int, v: Viewer) -> dict[str, Any]:
        indicator, unit = ind["id"], ind["unit"]
        t = self.snap.totals.filter((pl.col("indicator") == indicator) & (pl.col("year") == year))
        areas = self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "name", "kind")
        rows = (
            areas.join(t.filter(pl.col("layer") == layer), on="area_id", how="left")
            .select("area_id", "name", "kind", "numerator", "denominator")
            .to_dicts()
        )
        stats = self.stats.indicator(indicator)
        count_stat = stats[0] if unit == "count" else None
        published = [
            {
                **r,
                **self.figure(
                    r["numerator"],
                    r["denominator"],
                    unit,
                    v,
                    year,
                    area_region(layer, r["area_id"]),
                    stats,
                    count_stat,
                    self._small(v, layer, r["area_id"], year, indicator),
                ),
            }
            for r in rows
        ]
        total = t.filter(pl.col("layer") == MUNICIPALITY_LAYER).select("numerator", "denominator")
        muni = None
        if total.height:
            whole = total.row(0, named=True)
            muni = {
                **whole,
                **self.figure(
                    whole["numerator"],
                    whole["denominator"],
                    unit,
                    v,
                    year,
                    self.municipality,
                    stats,
                    count_stat,
                ),
            }
        return {"layer": layer, "indicator": ind, "year": year, "municipality": muni, "areas": published}

    @property
    def municipality(self) -> tuple[str, str]:
        """The municipality as a region of the disclosure step."""
        return (MUNICIPALITY_LAYER, self.snap.meta.get("municipality_code", ""))

    # --- one area ------------------------------------------------------------------------------

    def series(
        self, layer: str, area_id: str, indicator: str, viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """An indicator over all years for the area, the municipality and (where meaningful) the
        other almene areas of the layer together (all almene areas minus this one, published only
        where both are, so it gives nothing the two do not)."""
        v = viewer or Viewer.operator()
        area = self._area(layer, area_id)
        ind = self._indicator(indicator)
        unit = ind["unit"]
        stats = self.stats.indicator(indicator)
        count_stat = stats[0] if unit == "count" else None
        t = self.snap.totals.filter(pl.col("indicator") == indicator)
        own = t.filter((pl.col("layer") == layer) & (pl.col("area_id") == area_id)).sort("year")
        muni = t.filter(pl.col("layer") == MUNICIPALITY_LAYER).sort("year")
        almene = self.snap.area_names.filter((pl.col("layer") == layer) & (pl.col("kind") == "almen"))
        almen_ids = almene.get_column("area_id")
        everyone = (
            t.filter((pl.col("layer") == layer) & pl.col("area_id").is_in(almen_ids.implode()))
            .group_by("year")
            .agg(pl.col("numerator").sum(), pl.col("denominator").sum())
        )
        mine = dict(own.select("year", "numerator").iter_rows())
        mine_den = dict(own.select("year", "denominator").iter_rows())
        is_almen = area["kind"] == "almen"

        def point(r: dict[str, Any], region: Any, small: bool = False) -> dict[str, Any]:
            y = r["year"]
            return {
                "year": y,
                **self.figure(r["numerator"], r["denominator"], unit, v, y, region, stats, count_stat, small),
            }

        others = []
        for r in everyone.sort("year").iter_rows(named=True):
            y = r["year"]
            rest = {
                "year": y,
                "numerator": r["numerator"] - (mine.get(y, 0.0) if is_almen else 0.0),
                "denominator": r["denominator"] - (mine_den.get(y, 0) if is_almen else 0),
            }
            p = point(rest, almen_region(layer))
            protection = self.protection(v.policy)
            if (
                protection is not None
                and is_almen
                and p["state"] not in dc.HIDDEN
                and not protection.published(y, area_region(layer, area_id), stats)
            ):
                dc.suppress(p, dc.DIFFERENCING)  # the others are all minus this one: both or neither
            others.append(p)
        return {
            "layer": layer,
            "area": area,
            "indicator": ind,
            "area_series": [
                point(r, area_region(layer, area_id), self._small(v, layer, area_id, r["year"], indicator))
                for r in own.iter_rows(named=True)
            ],
            "municipality": [point(r, self.municipality) for r in muni.iter_rows(named=True)],
            "almen": others if len(almen_ids) > (1 if is_almen else 0) else [],
        }

    def breakdown(
        self, layer: str, area_id: str, year: int | None = None, viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """Residents by age group and by housing type in one year. Each group is a count of its own
        statistic, published where the disclosure step publishes that statistic for the area (the
        groups add up to the residents, which the step knows: `boligsocial.compute.statistics`)."""
        v = viewer or Viewer.operator()
        self._area(layer, area_id)
        year = self.valid_year(year, self.snap.data_years)
        vals = self.snap.values.filter(
            (pl.col("layer") == layer) & (pl.col("area_id") == area_id) & (pl.col("year") == year)
        )
        order = self.snap.tables["indicators"].get_column("id").to_list()  # catalogue order: by age
        ages = [
            (r["indicator"], r["numerator"], self.stats.indicator(r["indicator"])[0])
            for r in vals.filter(
                pl.col("indicator").str.starts_with("age_") & (pl.col("housing_type") == ALL_HOUSING)
            ).iter_rows(named=True)
        ]
        ages.sort(key=lambda a: order.index(a[0]) if a[0] in order else 99)
        housing = [
            (r["housing_type"], r["numerator"], self.stats.housing(r["housing_type"]))
            for r in vals.filter(
                (pl.col("indicator") == "residents") & (pl.col("housing_type") != ALL_HOUSING)
            )
            .sort("numerator", descending=True)
            .iter_rows(named=True)
        ]
        small = self._small(v, layer, area_id, year, "age")
        region = area_region(layer, area_id)
        out: dict[str, list[dict[str, Any]]] = {}
        for key, name, groups in (("age", "indicator", ages), ("housing", "housing_type", housing)):
            published = []
            for group, persons, stat in groups:
                c = self.figure(persons, int(persons), "count", v, year, region, (stat,), stat, small)
                published.append(
                    {name: group, "persons": c["value"], "state": c["state"]}
                    | {k: c[k] for k in ("label", "reason") if k in c}
                )
            out[key] = published
        return {"year": year, **out}

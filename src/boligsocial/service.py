"""The read service: every figure that leaves the system (CLI, API, pages) is asked for here.

A `Service` holds an in-memory snapshot of a database's aggregated tables (reloaded when the file
changes), so API calls are fast filters on small frames and pages never compute anything the API
would compute differently. Every answer is published for a `Viewer` through the disclosure step
(`boligsocial.disclosure`) with the viewer's policy before it leaves. Nothing here writes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import shapely

from boligsocial import disclosure as dc
from boligsocial.backtest import Calibration, backtest
from boligsocial.errors import InvalidParameter, NotFound
from boligsocial.indicators import ALL_HOUSING, MUNICIPALITY_LAYER
from boligsocial.lists import compute_lists, result_columns, results_frame
from boligsocial.moves import SHARE_CRITERIA, TRAITS
from boligsocial.narrative import colour_sentence, list_sentences
from boligsocial.rulesets import load_rulebook
from boligsocial.store import SCHEMA_VERSION, connect_read, frame, get_meta, list_inputs, read_measures

_TABLES = (
    "areas",
    "indicators",
    "indicator_values",
    "list_results",
    "list_disagreements",
    "forecast_lists",
    "forecast_criteria",
    "traffic_light",
    "criteria_inputs",
    "area_organisations",
    "move_flows",
    "move_displaced",
    "move_areas",
    "mover_profiles",
    "move_decomposition",
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
            name: frame(con, f"SELECT * FROM {name}")
            if name in present and not (stale and name.startswith("move"))
            else pl.DataFrame()
            for name in _TABLES
        }
    finally:
        con.close()
    return Snapshot(mtime, meta, tables)


class Service:
    """Queries over one database for the CLI, the API and the pages."""

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
        areas = (
            self.snap.tables["areas"]
            .filter(
                (pl.col("layer") == layer)
                & (pl.col("valid_from").fill_null(0) <= year)
                & (pl.col("valid_to").fill_null(9999) >= year)
            )
            .sort("area_id")
        )
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
        """One indicator for every area of a layer in one year, with the municipality value."""
        v = viewer or Viewer.operator()
        self._layer(layer)
        ind = self._indicator(indicator)
        year = self._year(year, self.snap.data_years)
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

    def _small(self, v: Viewer, layer: str, area_id: str, year: int, indicator: str) -> bool:
        """Under the minimum population only the residents count is shown."""
        if indicator == "residents" or not v.policy.min_area_population:
            return False
        return self.snap.residents.get((layer, area_id, year), 0) < v.policy.min_area_population

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

    # --- lists, forecast, traffic lights --------------------------------------------------------

    def lists(
        self,
        year: int | None = None,
        layer: str | None = "omraade",
        without_origin: bool = False,
        rule_files: list[Path] | None = None,
        viewer: Viewer | None = None,
    ) -> pl.DataFrame:
        """List results (one row per area and list year, the `bsm lists` columns), filtered."""
        book = load_rulebook(rule_files)
        if without_origin or rule_files:
            book = book.without_origin() if without_origin else book
            con = connect_read(self.db)
            try:
                areas, reference, official = list_inputs(con, self.snap.meta["region"])
                rows, _ = compute_lists(book, read_measures(con), areas, reference, official)
            finally:
                con.close()
            table = results_frame(rows, book)
        else:
            stored = self.snap.tables["list_results"]
            known = [c for c in result_columns(book) if c in stored.columns]
            table = stored.select(known + [c for c in stored.columns if c not in known])
        if layer is not None:
            self._layer(layer)
            table = table.filter(pl.col("layer") == layer)
        if year is not None:
            self._year(year, self.list_years(), "list year")
            table = table.filter(pl.col("list_year") == year)
        return self._publish_rows(table.sort("list_year", "layer", "area_id"), viewer)

    def _publish_rows(self, table: pl.DataFrame, viewer: Viewer | None) -> pl.DataFrame:
        """List or forecast rows through the disclosure step, keeping the table's column types."""
        v = viewer or Viewer.operator()
        rows = dc.publish_list_rows(table.to_dicts(), self.snap.blocks, v.policy)
        states = {f"{m}_state": pl.String for m in dc.MEASURES} | {
            "state": pl.String,
            "residents_label": pl.String,
        }
        return pl.DataFrame(rows, schema={**table.schema, **states})

    def disagreements(self) -> pl.DataFrame:
        """Where the official lists and the tool's own computation differ."""
        return self.snap.tables["list_disagreements"].sort("list_year", "area_id", "list")

    def forecast(
        self, year: int | None = None, layer: str | None = "omraade", viewer: Viewer | None = None
    ) -> pl.DataFrame:
        """Per area and forecast list year: each list's probability and each criterion's point
        estimate, 80 % interval and probability of being met."""
        lists = self.snap.tables["forecast_lists"]
        if lists.is_empty():
            raise NotFound("no-forecast", "no forecast in this database (it needs at least two data years)")
        keys = ["layer", "area_id", "list_year", "horizon", "rule_set"]
        wide = lists.pivot(on="list", index=keys, values="probability").rename(
            lambda c: c if c in keys else f"p_{c}"
        )
        crit = self.snap.tables["forecast_criteria"].pivot(
            on="test", index=keys, values=["point", "low", "high", "p_met"]
        )
        renamed = {}
        for stat in ("p_met", "point", "low", "high"):  # "point_labour" → "labour_point"
            for c in crit.columns:
                if c.startswith(stat + "_") and c not in renamed:
                    renamed[c] = f"{c[len(stat) + 1 :]}_{stat}"
        crit = crit.rename(renamed)
        # the forebyggelse tests share their measure with the main tests: keep their p_met only
        crit = crit.drop([c for c in crit.columns if "_fb_" in c and not c.endswith("_p_met")])
        names = self.snap.area_names.select(
            "layer", "area_id", "name", (pl.col("kind") == "almen").alias("eligible")
        )
        table = names.join(wide, on=["layer", "area_id"]).join(crit, on=keys, how="left")
        if layer is not None:
            self._layer(layer)
            table = table.filter(pl.col("layer") == layer)
        if year is not None:
            self._year(year, sorted(table.get_column("list_year").unique().to_list()), "forecast year")
            table = table.filter(pl.col("list_year") == year)
        # the evidence of a forecast is its latest data year
        table = table.with_columns(
            (pl.col("list_year") - pl.col("horizon") - 1).cast(pl.String).alias("data_years")
        )
        return self._publish_rows(table.sort("list_year", "layer", "area_id"), viewer)

    def backtest(self, layer: str = "omraade") -> tuple[Calibration, Calibration]:
        """Back-test the forecast on the database's own history (computed on demand)."""
        book = load_rulebook()
        con = connect_read(self.db)
        try:
            areas, reference, official = list_inputs(con, self.snap.meta["region"])
            measures = read_measures(con)
        finally:
            con.close()
        latest = book.rulesets[-1]
        results = self.snap.tables["list_results"]
        return backtest(book, measures[latest.ages()], areas, reference, official, results, layer=layer)

    def traffic_lights(
        self,
        model: str | None = None,
        layer: str | None = "omraade",
        year: int | None = None,
        viewer: Viewer | None = None,
    ) -> pl.DataFrame:
        """Colours per model, area and year, with the previous colour and change events."""
        table = self.snap.tables["traffic_light"]
        if model is not None:
            models = sorted(table.get_column("model").unique().to_list())
            if model not in models:
                raise NotFound("unknown-model", f"unknown traffic-light model '{model}'", {"allowed": models})
            table = table.filter(pl.col("model") == model)
        if layer is not None:
            self._layer(layer)
            table = table.filter(pl.col("layer") == layer)
        if year is not None:
            self._year(year, sorted(table.get_column("year").unique().to_list()))
            table = table.filter(pl.col("year") == year)
        v = viewer or Viewer.operator()
        rows = dc.publish_colours(
            table.sort("model", "layer", "area_id", "year").to_dicts(), self.snap.residents, v.policy
        )
        return pl.DataFrame(rows, schema={**table.schema, "state": pl.String})

    def profile(
        self, layer: str, area_id: str, lang: str = "da", viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """Everything the area page needs besides the series: list history with criteria and
        margins, forecast, traffic-light history, and the sentences that explain them."""
        v = viewer or Viewer.operator()
        area = self._area(layer, area_id)
        lists = self.lists(layer=layer, viewer=v).filter(pl.col("area_id") == area_id)
        lights = self.traffic_lights(layer=layer, viewer=v).filter(pl.col("area_id") == area_id)
        latest = lists.row(-1, named=True) if lists.height else None
        forecast = (
            self.forecast(layer=layer, viewer=v).filter(pl.col("area_id") == area_id)
            if not self.snap.tables["forecast_lists"].is_empty()
            else pl.DataFrame()
        )
        last_lights = lights.group_by("model").agg(pl.all().last()).sort("model")
        return {
            "area": area,
            "eligible": area["kind"] == "almen",
            "lists": lists.to_dicts(),
            "latest": latest,
            "forecast": forecast.to_dicts(),
            "traffic_lights": lights.to_dicts(),
            "sentences": (list_sentences(latest, lang) if latest else [])
            + [colour_sentence(r, lang) for r in last_lights.iter_rows(named=True) if r["colour"]],
        }

    def flows(
        self,
        by: str = "area",
        year_from: int | None = None,
        year_to: int | None = None,
        layer: str = "omraade",
        viewer: Viewer | None = None,
        trait: str | None = None,
        area: str | None = None,
        housing_type: str | None = None,
    ) -> pl.DataFrame:
        """Moves from → to summed over the years, by area, housing type or kind of area, in a layer;
        `''` is outside (the municipality, or the layer's areas). Optionally only movers with a
        trait, to or from one area, or to or from one housing type. Small flows pass the
        disclosure step."""
        v = viewer or Viewer.operator()
        groupings = {
            "area": ("from_area", "to_area"),
            "housing_type": ("from_housing", "to_housing"),
            "kind": ("from_kind", "to_kind"),
        }
        if by not in groupings:
            raise InvalidParameter("unknown-grouping", f"flows by '{by}'?", {"allowed": sorted(groupings)})
        if trait is not None and trait not in TRAITS:
            raise InvalidParameter("unknown-trait", f"trait '{trait}'?", {"allowed": sorted(TRAITS)})
        self._layer(layer)
        if area is not None:
            self._area(layer, area)
        schema = {
            "from": pl.String,
            "to": pl.String,
            "movers": pl.Float64,
            "state": pl.String,
            "label": pl.String,
            "year_from": pl.Int64,
            "year_to": pl.Int64,
        }
        table = self.snap.tables["move_flows"]
        if table.is_empty():
            return pl.DataFrame(schema=schema)  # nobody moved (or a single data year)
        table = table.filter(pl.col("layer") == layer)
        years = sorted(table.get_column("year").unique().to_list())
        if not years:
            return pl.DataFrame(schema=schema)
        lo = self._year(year_from if year_from is not None else years[0], years, "move year")
        hi = self._year(year_to if year_to is not None else years[-1], years, "move year")
        table = table.filter(pl.col("year").is_between(lo, hi))
        if area is not None:
            table = table.filter((pl.col("from_area") == area) | (pl.col("to_area") == area))
        if housing_type is not None:
            table = table.filter(
                (pl.col("from_housing") == housing_type) | (pl.col("to_housing") == housing_type)
            )
        if by == "kind":
            kinds = self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "kind")
            for side in ("from", "to"):
                table = table.join(
                    kinds.rename({"area_id": f"{side}_area", "kind": f"{side}_kind"}),
                    on=f"{side}_area",
                    how="left",
                ).with_columns(pl.col(f"{side}_kind").fill_null(""))
        src, dst = groupings[by]
        summed = (
            table.group_by(pl.col(src).alias("from"), pl.col(dst).alias("to"))
            .agg(pl.col(trait or "movers").sum().alias("movers"))
            .filter(pl.col("movers") > 0)
            .sort("movers", "from", "to", descending=[True, False, False])
        )
        rows = []
        for r in summed.iter_rows(named=True):
            c = dc.cell(float(r["movers"]), int(r["movers"]), "count", v.policy)
            rows.append(
                {
                    "from": r["from"],
                    "to": r["to"],
                    "movers": c["value"],
                    "state": c["state"],
                    "label": c.get("label"),
                    "year_from": lo,
                    "year_to": hi,
                }
            )
        return pl.DataFrame(rows, schema=schema)

    def displacement(
        self,
        layer: str,
        area_id: str,
        year_from: int | None = None,
        year_to: int | None = None,
        material_pp: float = 0.5,
        viewer: Viewer | None = None,
        criterion: str = "labour",
    ) -> list[dict[str, Any]]:
        """Where the area's out-movers went, with their share on a criterion after the move (e.g.
        FTE outside the labour market among those aged 18-64), and how much they raised each
        receiving area's yearly value of that criterion: the share with them minus the share
        without them, in points; `material` from `material_pp` points on."""
        v = viewer or Viewer.operator()
        if criterion not in SHARE_CRITERIA:
            raise InvalidParameter(
                "unknown-criterion", f"criterion '{criterion}'?", {"allowed": list(SHARE_CRITERIA)}
            )
        self._area(layer, area_id)
        moved = self.snap.tables["move_displaced"]
        moved = (
            moved.filter((pl.col("layer") == layer) & (pl.col("from_area") == area_id))
            if not moved.is_empty()
            else moved
        )
        years = sorted(moved.get_column("year").unique().to_list()) if moved.height else []
        out: list[dict[str, Any]] = []
        if not years:
            return out
        lo = self._year(year_from if year_from is not None else years[0], years, "move year")
        hi = self._year(year_to if year_to is not None else years[-1], years, "move year")
        names = dict(
            self.snap.area_names.filter(pl.col("layer") == layer).select("area_id", "name").iter_rows()
        )
        _, (num, den), _ = dc.MEASURES[criterion]
        n_col, x_col = f"{criterion}_n", f"{criterion}_sum"
        for r in (
            moved.filter(pl.col("year").is_between(lo, hi)).sort("year", "to_area").iter_rows(named=True)
        ):
            block = self.snap.blocks.get((layer, r["to_area"], r["year"]))
            movers = dc.cell(float(r["movers"]), int(r["movers"]), "count", v.policy)
            trait = dc.cell(float(r[x_col]), int(r[n_col]), "share", v.policy)
            impact = None
            if (
                block is not None
                and block[den] >= v.policy.rate_min_population
                and movers["state"] == dc.OK
                and block[den] > r[n_col]
            ):
                with_them = float(block[num]) / block[den]
                without = (float(block[num]) - float(r[x_col])) / (block[den] - r[n_col])
                impact = 100 * (with_them - without)
            out.append(
                {
                    "year": r["year"],
                    "to_area": r["to_area"],
                    "to_name": names.get(r["to_area"], r["to_area"]),
                    "criterion": criterion,
                    "movers": movers["value"],
                    "movers_state": movers["state"],
                    "trait_share": trait["value"],
                    "trait_state": trait["state"],
                    "impact_pp": impact,
                    "material": impact is not None and impact >= material_pp,
                }
            )
        return out

    def area_moves(self, layer: str, area_id: str, viewer: Viewer | None = None) -> dict[str, Any]:
        """One area's moves per year: in/out tallies, mover profiles and the decomposition."""
        v = viewer or Viewer.operator()
        area = self._area(layer, area_id)
        mine = (pl.col("layer") == layer) & (pl.col("area_id") == area_id)
        tallies = []

        def mine_of(name: str, *order: str) -> pl.DataFrame:
            table = self.snap.tables[name]
            return table if table.is_empty() else table.filter(mine).sort(*order)

        for r in mine_of("move_areas", "year").iter_rows(named=True):
            row = {"year": r["year"]}
            for key in (
                "in_internal",
                "in_external",
                "out_internal",
                "out_external",
                "births",
                "ended",
                "residents_before",
                "residents_after",
            ):
                c = dc.cell(float(r[key] or 0), int(r[key] or 0), "count", v.policy)
                row[key] = c["value"]
                if c["state"] != dc.OK:
                    row[f"{key}_state"] = c["state"]
            tallies.append(row | _turnover(r, row, v.policy))
        profiles = []
        for r in mine_of("mover_profiles", "year", "group").iter_rows(named=True):
            persons = dc.cell(float(r["persons"]), int(r["persons"]), "count", v.policy)
            row = {
                "year": r["year"],
                "group": r["group"],
                "persons": persons["value"],
                "state": persons["state"],
            }
            for name, num, den, unit in (
                ("labour", "labour_sum", "labour_n", "share"),
                ("education", "education_count", "education_n", "share"),
                ("income", "income_sum", "income_n", "dkk"),
                ("nonwestern", "nonwestern", "persons", "share"),
            ):
                c = dc.cell(float(r[num] or 0), int(r[den] or 0), unit, v.policy)
                row[name], row[f"{name}_state"] = c["value"], c["state"]
            age = dc.cell(float(r["mean_age"] or 0) * r["persons"], int(r["persons"]), "mean", v.policy)
            row["mean_age"] = age["value"]
            profiles.append(row)
        decomposition = dc.publish_decomposition(
            mine_of("move_decomposition", "year", "criterion").to_dicts(), v.policy
        )
        return {"area": area, "tallies": tallies, "profiles": profiles, "decomposition": decomposition}

    def _watch_rows(self, layer: str, list_year: int | None, v: Viewer) -> list[dict[str, Any]]:
        """Every area's category and criteria-model colour in a list year and the year before."""
        self._layer(layer)
        list_year = self._year(list_year, self.list_years(), "list year")
        res = self.lists(layer=layer, viewer=v)
        now = res.filter(pl.col("list_year") == list_year)
        before = res.filter(pl.col("list_year") == list_year - 1).select(
            "area_id", pl.col("category").alias("category_before")
        )
        light = self.traffic_lights("kriterier", layer, list_year, v).select(
            "area_id", "colour", "previous", "changed"
        )
        rows = now.join(before, on="area_id", how="left").join(light, on="area_id", how="left")
        keys = (
            "area_id",
            "name",
            "eligible",
            "category",
            "category_before",
            "criteria_met",
            "residents",
            "colour",
            "previous",
            "changed",
        )
        return [{k: r[k] for k in keys} for r in rows.iter_rows(named=True)]

    def watchlist(
        self, layer: str = "omraade", list_year: int | None = None, viewer: Viewer | None = None
    ) -> list[dict[str, Any]]:
        """Areas on a list, meeting a criterion or near one (traffic light not green) in a list year,
        most severe first."""
        rank = {"omdannelse": 0, "parallelsamfund": 1, "udsat": 2, "forebyggelse": 3, "none": 4}
        out = [
            r
            for r in self._watch_rows(layer, list_year, viewer or Viewer.operator())
            if r["category"] != "none" or (r["criteria_met"] or 0) > 0 or r["colour"] in ("gul", "roed")
        ]
        out.sort(key=lambda r: (not r["eligible"], rank.get(r["category"], 9), -(r["criteria_met"] or 0)))
        return out

    def changes(
        self, layer: str = "omraade", list_year: int | None = None, viewer: Viewer | None = None
    ) -> list[dict[str, Any]]:
        """Areas whose list category or traffic-light colour changed from the list year before."""
        return [
            r
            for r in self._watch_rows(layer, list_year, viewer or Viewer.operator())
            if (r["category_before"] is not None and r["category"] != r["category_before"]) or r["changed"]
        ]


# --- thin functions for the CLI (one database, one question) -----------------------------------


def _turnover(r: dict[str, Any], published: dict[str, Any], policy: dc.Policy) -> dict[str, Any]:
    """Movers in and out in total, net migration and the turnover rate (movers in and out over
    residents at both year-ends), published only when every count they are made of is: a sum
    beside a hidden part would give the part away."""
    parts = (
        "in_internal",
        "in_external",
        "out_internal",
        "out_external",
        "residents_before",
        "residents_after",
    )
    if any(f"{k}_state" in published for k in parts):
        return {
            "in_total": None,
            "out_total": None,
            "net": None,
            "turnover": None,
            "turnover_state": dc.SUPPRESSED,
        }
    moved_in = int(r["in_internal"] or 0) + int(r["in_external"] or 0)
    moved_out = int(r["out_internal"] or 0) + int(r["out_external"] or 0)
    rate = dc.cell(
        float(moved_in + moved_out),
        int(r["residents_before"] or 0) + int(r["residents_after"] or 0),
        "share",
        policy,
    )
    return {
        "in_total": moved_in,
        "out_total": moved_out,
        "net": moved_in - moved_out,
        "turnover": rate["value"],
        "turnover_state": rate["state"],
    }


def audience(role: str | None) -> Viewer:
    """The viewer a CLI output is published for: the operator (analyst policy) unless a role is
    named (`--audience`), for outputs meant for publication."""
    if role is None:
        return Viewer.operator()
    if role not in dc.AUDIENCE_OF_ROLE:
        raise InvalidParameter(
            "unknown-audience", f"unknown audience '{role}'", {"allowed": sorted(dc.AUDIENCE_OF_ROLE)}
        )
    return Viewer(role, dc.load_policies()[dc.AUDIENCE_OF_ROLE[role]])


def list_results(
    db: Path,
    year: int | None = None,
    layer: str | None = "omraade",
    without_origin: bool = False,
    rule_files: list[Path] | None = None,
    role: str | None = None,
) -> pl.DataFrame:
    """`bsm lists`: see `Service.lists`."""
    return Service(db).lists(year, layer, without_origin, rule_files, audience(role))


def flows_table(
    db: Path,
    by: str,
    year_from: int | None,
    year_to: int | None,
    layer: str,
    role: str | None = None,
    trait: str | None = None,
    area: str | None = None,
    housing_type: str | None = None,
) -> pl.DataFrame:
    """`bsm flows`."""
    return Service(db).flows(by, year_from, year_to, layer, audience(role), trait, area, housing_type)


def list_disagreements(db: Path) -> pl.DataFrame:
    """`bsm lists --disagreements`."""
    return Service(db).disagreements()


def forecast_table(
    db: Path, year: int | None = None, layer: str | None = "omraade", role: str | None = None
) -> pl.DataFrame:
    """`bsm forecast`."""
    return Service(db).forecast(year, layer, audience(role))


def backtest_report(db: Path, layer: str = "omraade") -> tuple[Calibration, Calibration]:
    """`bsm forecast --backtest`."""
    return Service(db).backtest(layer)

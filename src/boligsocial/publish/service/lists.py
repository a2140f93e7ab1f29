"""Queries about the state's lists: results, forecast, traffic lights, watch list and an area's profile."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

from boligsocial.common.errors import NotFound
from boligsocial.common.words import language
from boligsocial.compute.backtest import Calibration, backtest
from boligsocial.compute.forecast import Settings as ForecastSettings
from boligsocial.compute.lists import compute_lists, result_columns, results_frame
from boligsocial.compute.rulesets import RuleSet, load_rulebook
from boligsocial.compute.trafficlight import reason_text
from boligsocial.publish import disclosure as dc
from boligsocial.publish.service.base import ServiceBase
from boligsocial.publish.service.narrative import colour_sentence, list_sentences
from boligsocial.publish.service.snapshot import Viewer
from boligsocial.store.database import connect_read, list_inputs, read_measures


class ListQueries(ServiceBase):
    """Lists, forecast, traffic lights, the watch list, changes and the area profile."""

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
            self.valid_layer(layer)
            table = table.filter(pl.col("layer") == layer)
        if year is not None:
            self.valid_year(year, self.list_years(), "list year")
            table = table.filter(pl.col("list_year") == year)
        return self._publish_rows(table.sort("list_year", "layer", "area_id"), viewer)

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
            self.valid_layer(layer)
            table = table.filter(pl.col("layer") == layer)
        if year is not None:
            self.valid_year(year, sorted(table.get_column("list_year").unique().to_list()), "forecast year")
            table = table.filter(pl.col("list_year") == year)
        # a forecast is made of the trend window of data years up to its latest (forecast.Settings)
        window, first = ForecastSettings().window, min(self.snap.data_years, default=0)
        latest = pl.col("list_year") - pl.col("horizon") - 1
        table = table.with_columns(
            pl.concat_str(
                [pl.when(latest - k >= first).then((latest - k).cast(pl.String)) for k in range(window)],
                separator=",",
                ignore_nulls=True,
            ).alias("data_years")
        )
        v = viewer or Viewer.operator()
        published = self._publish_rows(table.sort("list_year", "layer", "area_id"), v)
        keep = ("layer", "area_id", "name", "list_year", "horizon", "rule_set", "eligible", "data_years")
        return self._restrict_rows(published, v, keep)

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
        lang: str = "da",
    ) -> pl.DataFrame:
        """Colours per model, area and year, with the previous colour and change events; each
        colour's `reason` in words of `lang` (an unknown language is Danish)."""
        lang = language(lang)
        table = self.snap.tables["traffic_light"]
        if model is not None:
            models = sorted(table.get_column("model").unique().to_list())
            if model not in models:
                raise NotFound(
                    "unknown-model",
                    f"unknown traffic-light model '{model}'",
                    {"allowed": models},
                    params={"model": model},
                )
            table = table.filter(pl.col("model") == model)
        if layer is not None:
            self.valid_layer(layer)
            table = table.filter(pl.col("layer") == layer)
        if year is not None:
            self.valid_year(year, sorted(table.get_column("year").unique().to_list()))
            table = table.filter(pl.col("year") == year)
        v = viewer or Viewer.operator()
        rows = dc.publish_colours(
            table.sort("model", "layer", "area_id", "year").to_dicts(),
            self.snap.residents,
            v.policy,
            self._colour_gate(v),
        )
        names = self.indicator_names(lang)
        for r in rows:
            r["reason"] = reason_text(r.get("reason"), lang, names)
        published = pl.DataFrame(
            rows, schema={**table.schema, "state": pl.String, "hidden_reason": pl.String}
        )
        return self._restrict_rows(published, v, ("model", "layer", "area_id", "year", "year_kind"))

    def _colour_gate(self, v: Viewer) -> Callable[[dict[str, Any]], bool] | None:
        """Is everything a colour is made of published? A criteria model's colour rests on the
        list measures of its list year's data years, a points model's on its indicators."""
        gate = self.measure_gate(v)
        protection = self.protection(v.policy)
        if gate is None or protection is None:
            return None
        models = self.snap.tables["traffic_light_models"]
        inputs = {
            r["model"]: [i for i in (r["inputs"] or "").split(",") if i]
            for r in (models.iter_rows(named=True) if models.height else [])
        }
        results = self.snap.tables["list_results"]
        years = (
            {
                (r[0], r[1], r[2]): r[3]
                for r in results.select("layer", "area_id", "list_year", "data_years").iter_rows()
            }
            if results.height
            else {}
        )

        def shown(row: dict[str, Any]) -> bool:
            layer, area_id, year = row["layer"], row["area_id"], row["year"]
            if row.get("year_kind") == "list_year":
                data = [int(y) for y in str(years.get((layer, area_id, year), "")).split(",") if y]
                return bool(data) and all(gate(layer, area_id, y, m) for y in data for m in dc.MEASURES)
            stats = [s for i in inputs.get(row["model"], []) for s in self.stats.indicator(i)]
            return protection.published(year, (layer, area_id), stats)

        return shown

    def profile(
        self, layer: str, area_id: str, lang: str = "da", viewer: Viewer | None = None
    ) -> dict[str, Any]:
        """Everything the area page needs besides the series: list history with criteria and
        margins, forecast, traffic-light history, and the sentences that explain them."""
        v = viewer or Viewer.operator()
        area = self._area(layer, area_id)
        lists = self.lists(layer=layer, viewer=v).filter(pl.col("area_id") == area_id)
        lights = self.traffic_lights(layer=layer, viewer=v, lang=lang).filter(pl.col("area_id") == area_id)
        latest = lists.row(-1, named=True) if lists.height else None
        forecast = (
            self.forecast(layer=layer, viewer=v).filter(pl.col("area_id") == area_id)
            if not self.snap.tables["forecast_lists"].is_empty()
            else pl.DataFrame()
        )
        last_lights = lights.group_by("model").agg(pl.all().last()).sort("model")
        models = self.model_names(lang)
        return {
            "area": area,
            "eligible": area["kind"] == "almen",
            "lists": lists.to_dicts(),
            "latest": latest,
            "forecast": forecast.to_dicts(),
            "traffic_lights": lights.to_dicts(),
            "sentences": (list_sentences(latest, lang, v.policy, self._rule_set(latest)) if latest else [])
            + [
                colour_sentence(r, lang, models.get(r["model"]))
                for r in last_lights.iter_rows(named=True)
                if r["colour"]
            ],
        }

    def _rule_set(self, row: dict[str, Any]) -> RuleSet | None:
        """The rule set a list row was computed by (its name, else its list year's regime)."""
        return load_rulebook().of_row(row.get("rule_set"), int(row["list_year"]))

    def indicator_names(self, lang: str = "da") -> dict[str, str]:
        """Each indicator's display name in `lang`, by id (what a points model's reason names)."""
        column = "label_en" if language(lang) == "en" else "label_da"
        return {i["id"]: i.get(column) or i["id"] for i in self.indicators()}

    def model_names(self, lang: str = "da") -> dict[str, str]:
        """Each traffic-light model's display name in `lang` (its id where the table has none)."""
        models = self.snap.tables["traffic_light_models"]
        column = "label_en" if language(lang) == "en" else "label_da"
        if not models.height or column not in models.columns:
            return {}
        return {r["model"]: r[column] or r["model"] for r in models.iter_rows(named=True)}

    def _watch_rows(self, layer: str, list_year: int | None, v: Viewer) -> list[dict[str, Any]]:
        """Every area's category and criteria-model colour in a list year and the year before."""
        self.valid_layer(layer)
        list_year = self.valid_year(list_year, self.list_years(), "list year")
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

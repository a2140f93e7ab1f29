"""The published tables every export is made from, for one audience.

Each table is asked of `service.Service` with the audience's `Viewer`, so every figure has passed
the one disclosure step before a file is written: a hidden cell is empty, with its state beside it
(and a small count its label, the policy's). Shares are given in percent (0-100) in the exports,
as a municipal analyst reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import version
from typing import Any

import polars as pl

from boligsocial.common.words import Words, language, words
from boligsocial.outputs.export import notes
from boligsocial.publish.disclosure import Policy
from boligsocial.publish.service import Service, Viewer

#: Units in the catalogue and how an export writes them (shares become percent).
PERCENT_UNITS = {"share"}
UNITS = ("share", "pct", "dkk", "count", "mean", "ratio")
#: Columns of the area table besides the indicators, in order; what each means is `export.field.*`.
AREA_COLUMNS = ("layer", "area_id", "name", "kind", "year", "list_year", "category", "criteria_met")


def unit_text(unit: str, lang: str = "da") -> str:
    """How an export writes a unit of the catalogue (`export.unit.*`; shares as percent); a unit
    it does not know by its id."""
    say = words(language(lang))
    return say(f"export.unit.{unit}") if say.has(f"export.unit.{unit}") else unit


#: The units in Danish, as the PostGIS tables describe them.
UNIT_TEXT = {unit: unit_text(unit) for unit in UNITS}


def name_of(say: Words, concept: str, ident: str) -> str:
    """The name of a concept's id in the vocabulary (`Words.name`)."""
    return say.name(concept, ident)


@dataclass
class Publication:
    """The published tables of one database for one audience (lazily built, then reused).

    `policies`: the installation's policies, whose `default` a file's policy is weighed against
    for the warning (the service's own when None)."""

    service: Service
    viewer: Viewer
    generated: dt.datetime
    policies: dict[str, Policy] | None = None
    _memo: dict[tuple[str, str, tuple[int, ...]], pl.DataFrame] = field(default_factory=dict, repr=False)
    _model_names: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, service: Service, viewer: Viewer, policies: dict[str, Policy] | None = None) -> Publication:
        return cls(service, viewer, dt.datetime.now(dt.UTC).replace(microsecond=0), policies)

    def _once(
        self, what: str, layer: str, years: list[int], make: Callable[[], pl.DataFrame]
    ) -> pl.DataFrame:
        """A table made once per publication (the area table, Excel and PostGIS share them)."""
        key = (what, layer, tuple(years))
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    # --- what the data are -------------------------------------------------------------------

    @cached_property
    def indicators(self) -> list[dict[str, Any]]:
        """The catalogue of indicators, in catalogue order."""
        return self.service.indicators()

    @property
    def data_years(self) -> list[int]:
        return self.service.data_years()

    @property
    def policy(self) -> Policy:
        """The disclosure policy the figures were published with: every label and note follows it."""
        return self.viewer.policy

    def warning(self, lang: str = "da") -> str | None:
        """The warning the file starts with when it must not leave the analysis function (exact
        counts, or protection laxer than the installation's default policy); None otherwise."""
        policies = self.policies if self.policies is not None else self.service.policies
        return notes.warning(self.policy, policies.get("default"), lang)

    def hidden_text(
        self, state: str | None, label: str | None = None, nodata: str = "", lang: str = "da"
    ) -> str:
        """What a file writes in place of a figure without a value (see `notes.hidden_text`)."""
        return notes.hidden_text(state, self.policy, label, nodata, lang)

    def model_names(self, lang: str = "da") -> dict[str, str]:
        """The traffic-light models of this database by their names in `lang`, as the load stored
        them (the shipped models and a municipality's own: `traffic_light_models`)."""
        if lang not in self._model_names:  # asked once per row of a workbook's sheet
            self._model_names[lang] = self.service.model_names(lang)
        return self._model_names[lang]

    def model_name(self, model: str, lang: str = "da") -> str:
        """A traffic-light model by its name; one without a name by its id with spaces."""
        return self.model_names(lang).get(model) or model.replace("_", " ")

    def names(self, layer: str) -> dict[str, str]:
        """Area id → latest name in a layer."""
        return dict(self.service.area_names(layer).select("area_id", "name").iter_rows())

    def provenance(self) -> dict[str, str]:
        """Where an export comes from: tool, rule sets, delivery, years, audience, the disclosure
        note of its policy (English and Danish) and time; first, for a file that must not leave
        the analysis function, the warning (Danish and English)."""
        origin = self.service.origin()
        policy = self.policy
        years = self.data_years
        warning = self.warning()
        first = {"warning": f"{warning} / {self.warning('en')}"} if warning else {}
        return first | {
            "tool": f"boligsocial {version('boligsocial')}",
            "municipality": f"{origin['municipality_name']} ({origin['municipality_code']})",
            "rule_sets": origin["rule_sets"],
            "delivery_fingerprint": origin["delivery_fingerprint"],
            "data_years": f"{years[0]}–{years[-1]}" if years else "",
            "audience": self.viewer.role,
            "disclosure_policy": f"{policy.name}: {notes.note_text(policy, 'en')}",
            "disclosure_policy_da": f"{policy.name}: {notes.note_text(policy, 'da')}",
            "generated": self.generated.isoformat().replace("+00:00", "Z"),
            "crs": "EPSG:25832",
        }

    # --- areas and their figures ---------------------------------------------------------------

    def geometries(self, layer: str, year: int) -> pl.DataFrame:
        """The layer's boundaries valid in `year` (WKB, EPSG:25832)."""
        return self.service.boundaries(layer, year)

    def values_long(self, layer: str, years: list[int]) -> pl.DataFrame:
        """Every indicator for every area and year, published: value (percent for shares),
        numerator, denominator, state and, for a small count shown as such, its label."""
        return self._once("values", layer, years, lambda: self._values_long(layer, years))

    def _values_long(self, layer: str, years: list[int]) -> pl.DataFrame:
        rows = []
        for year in years:
            for ind in self.indicators:
                data = self.service.values(layer, ind["id"], year, self.viewer)
                scale = 100.0 if ind["unit"] in PERCENT_UNITS else 1.0
                for a in data["areas"]:
                    value = a.get("value")
                    rows.append(
                        {
                            "layer": layer,
                            "area_id": a["area_id"],
                            "year": year,
                            "indicator": ind["id"],
                            "value": None if value is None else float(value) * scale,
                            "numerator": a.get("numerator"),
                            "denominator": a.get("denominator"),
                            "state": a.get("state"),
                            "label": a.get("label"),
                        }
                    )
        return pl.DataFrame(
            rows,
            schema={
                "layer": pl.String,
                "area_id": pl.String,
                "year": pl.Int64,
                "indicator": pl.String,
                "value": pl.Float64,
                "numerator": pl.Float64,
                "denominator": pl.Float64,
                "state": pl.String,
                "label": pl.String,
            },
        )

    def lists(self, layer: str) -> pl.DataFrame:
        """The published list results of the layer (all list years)."""
        return self._once("lists", layer, [], lambda: self.service.lists(None, layer, viewer=self.viewer))

    def traffic_lights(self, layer: str, lang: str = "da") -> pl.DataFrame:
        """The published traffic-light colours of every model for the layer, each colour's reason
        in `lang` (Danish by default)."""
        lang = language(lang)
        return self._once(
            f"lights.{lang}",
            layer,
            [],
            lambda: self.service.traffic_lights(None, layer, None, self.viewer, lang=lang),
        )

    def area_table(self, layer: str, years: list[int]) -> pl.DataFrame:
        """One row per area and data year: name, kind, every indicator (and its state), the list
        category of the list year the data year leads to, and each traffic-light model's colour;
        with the boundary of that year as WKB in `geometry`."""
        names = self.service.area_names(layer)
        long = self.values_long(layer, years)
        ids = [i["id"] for i in self.indicators]
        wide = long.pivot(on="indicator", index=["area_id", "year"], values="value")
        states = long.pivot(on="indicator", index=["area_id", "year"], values="state").rename(
            {i: f"{i}_state" for i in ids}
        )
        table = wide.join(states, on=["area_id", "year"]).join(names, on="area_id", how="left")
        lists = self.lists(layer)
        if lists.height:
            table = table.with_columns((pl.col("year") + 1).alias("list_year")).join(
                lists.select("area_id", "list_year", "category", "criteria_met"),
                on=["area_id", "list_year"],
                how="left",
            )
        else:
            table = table.with_columns(
                (pl.col("year") + 1).alias("list_year"),
                pl.lit(None, pl.String).alias("category"),
                pl.lit(None, pl.Int64).alias("criteria_met"),
            )
        lights = self.traffic_lights(layer)
        for model in sorted(lights.get_column("model").unique().to_list()) if lights.height else []:
            mine = lights.filter(pl.col("model") == model)
            kind = mine.get_column("year_kind")[0]
            shift = 1 if kind == "list_year" else 0  # a list-year model's colour for data year Y is Y+1's
            table = table.join(
                mine.select(
                    "area_id",
                    (pl.col("year") - shift).alias("year"),
                    pl.col("colour").alias(f"light_{model}"),
                ),
                on=["area_id", "year"],
                how="left",
            )
        geometry = pl.concat(
            [self.geometries(layer, y).with_columns(pl.lit(y, pl.Int64).alias("year")) for y in years]
        )
        first = [c for c in AREA_COLUMNS if c in table.columns and c != "layer"]
        rest = [c for c in table.columns if c not in first]
        return (
            table.join(geometry, on=["area_id", "year"], how="inner")
            .select(pl.lit(layer).alias("layer"), *first, *[c for c in rest if c != "geometry"], "geometry")
            .sort("year", "area_id")
        )

    def flows(self, layer: str) -> pl.DataFrame:
        """Published moves between the layer's areas, per move year ('' is outside)."""
        years = self.service.move_years(layer)
        if not years:
            return pl.DataFrame(
                schema={"year": pl.Int64, "from": pl.String, "to": pl.String, "movers": pl.Float64}
            )
        parts = [
            self.service.flows("area", y, y, layer, self.viewer).with_columns(
                pl.lit(y, pl.Int64).alias("year")
            )
            for y in years
        ]
        return (
            pl.concat(parts).select("year", "from", "to", "movers", "state", "label")
            if parts
            else pl.DataFrame()
        )

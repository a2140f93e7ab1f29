"""Traffic lights (green/yellow/red) per area and year, from configurable models (TOML settings).

Two kinds ship: `criteria_distance` (distance to the state's list criteria, per list year; Vejle's
use for lettings agreements) and `indicator_points` (points per indicator relative to the
municipality average, per data year; Aarhus' categorisation model). A colour change from the year
before is an event (`changed`), for the dashboard and reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import polars as pl
from pydantic import ConfigDict, Field, RootModel

from boligsocial.common.config import Table, parse_toml, read_toml, validated
from boligsocial.compute.rulesets import ListName

GREEN, YELLOW, RED = "groen", "gul", "roed"
EPS = 1e-9
#: Criterion → (value column in the list results, udsat threshold column, scale of `near`).
_CRITERIA = {
    "labour": ("labour_share", "labour_threshold", 0.01),
    "crime": ("crime_ratio", "", 1.0),  # compared with 3 (× national), not with a column
    "education": ("education_share", "education_threshold", 0.01),
    "income": ("income_ratio", "income_threshold", 0.01),
}
COLOUR_SCHEMA = {
    "model": pl.String,
    "layer": pl.String,
    "area_id": pl.String,
    "year": pl.Int64,
    "year_kind": pl.String,
    "colour": pl.String,
    "score": pl.Int64,
    "reason": pl.String,
}


@dataclass(frozen=True)
class Model:
    """One traffic-light model: its kind and its settings as written in the TOML file."""

    id: str
    kind: str
    label_da: str
    label_en: str
    description_da: str
    description_en: str
    settings: dict[str, Any] = field(default_factory=dict)


def inputs(model: Model) -> list[str]:
    """The indicators a points model's colour is made of (a criteria model reads the lists)."""
    return (
        [ind["id"] for ind in model.settings.get("indicator", [])]
        if model.kind != "criteria_distance"
        else []
    )


class Near(Table):
    """How close to the udsat threshold counts as near: percentage points for labour, education and
    income (of the regional mean), multiples of the national share for crime."""

    labour: float
    crime: float
    education: float
    income: float


class CriteriaModel(Table):
    """A `criteria_distance` model: colours per list year from the list results."""

    kind: Literal["criteria_distance"]
    label_da: str | None = None
    label_en: str | None = None
    description_da: str = ""
    description_en: str = ""
    red_lists: list[ListName] = Field(description="Red when the area is on one of these lists ...")
    red_min_criteria: int = Field(
        description="... or meets at least this many of the four criteria, whatever its size."
    )
    yellow_lists: list[ListName] = Field(description="Yellow when the area is on one of these lists ...")
    yellow_min_criteria: int = Field(description="... or meets at least this many criteria ...")
    yellow_min_near: int = Field(description="... or is near at least this many.")
    near: Near


class PointIndicator(Table):
    """[[<model>.indicator]]: points for one indicator relative to the municipality's value."""

    id: str
    worse: Literal["higher", "lower"]
    one_point: float = Field(description="1 point at this ratio to the municipality's value.")
    two_points: float = Field(description="2 points at this ratio.")


class PointsModel(Table):
    """An `indicator_points` model: colours per data year from points per indicator."""

    kind: Literal["indicator_points"]
    label_da: str | None = None
    label_en: str | None = None
    description_da: str = ""
    description_en: str = ""
    yellow_points: int = Field(description="Yellow from this many points.")
    red_points: int = Field(description="Red from this many points.")
    min_denominator: int = Field(description="Indicators with fewer persons behind them give no points.")
    indicator: list[PointIndicator]


class ModelsFile(RootModel[dict[str, Annotated[CriteriaModel | PointsModel, Field(discriminator="kind")]]]):
    """Traffic-light models (compute/trafficlight/models.toml or a municipality's trafficlight.toml),
    one table per model id."""

    model_config = ConfigDict(title="boligsocial traffic-light models", strict=True)


KINDS: tuple[str, ...] = ("criteria_distance", "indicator_points")
TITLE = "config.title.trafficlight"


def parse_models(data: dict[str, Any], source: str) -> list[Model]:
    """Validate a models file, reporting every problem at once."""
    file = validated(ModelsFile, data, source, TITLE)
    return [
        Model(
            mid,
            m.kind,
            m.label_da if m.label_da is not None else mid,
            m.label_en if m.label_en is not None else mid,
            m.description_da,
            m.description_en,
            data[mid],
        )
        for mid, m in file.root.items()
    ]


def load_models(extra: Path | None = None) -> list[Model]:
    """The shipped models plus a municipality's file (same id replaces a shipped model)."""
    text = resources.files(__package__).joinpath("models.toml").read_text(encoding="utf-8")
    models = {m.id: m for m in parse_models(parse_toml(text, "models.toml"), "models.toml")}
    if extra is not None:
        data = read_toml(extra, "config.file.trafficlight")
        models.update({m.id: m for m in parse_models(data, extra.name)})
    return list(models.values())


def criteria_colours(model: Model, results: pl.DataFrame) -> pl.DataFrame:
    """Colours per area and list year from the list results (`bsm lists` columns)."""
    s = model.settings
    near_exprs = []
    for name, (value, threshold, scale) in _CRITERIA.items():
        margin = float(s["near"][name]) * scale
        v = pl.col(value)
        # "near" is a setting, not law; EPS keeps a value exactly at the edge from being decided
        # by binary rounding of threshold ± margin (0.60 - 0.05 is 0.5499999999999999)
        if name == "crime":  # at or above 3× national minus the margin
            near_exprs.append((v - (3.0 - margin) >= -EPS).fill_null(False))
        elif name == "income":  # below 55 % plus the margin
            near_exprs.append(((pl.col(threshold) + margin) - v > EPS).fill_null(False))
        else:
            near_exprs.append((v - (pl.col(threshold) - margin) > EPS).fill_null(False))
    near = pl.sum_horizontal([e.cast(pl.Int64) for e in near_exprs])

    def on(lists: list[str]) -> pl.Expr:
        return pl.any_horizontal([pl.col(n).fill_null(False) for n in lists]) if lists else pl.lit(False)

    met = pl.col("criteria_met").fill_null(0)
    red = on(s["red_lists"]) | (met >= s["red_min_criteria"])
    yellow = on(s["yellow_lists"]) | (met >= s["yellow_min_criteria"]) | (near >= s["yellow_min_near"])
    colour = pl.when(red).then(pl.lit(RED)).when(yellow).then(pl.lit(YELLOW)).otherwise(pl.lit(GREEN))
    # the reason as data in no language (`reason.py` has the grammar; the pages word it)
    reason = pl.format("met={} near={} category={}", met, near, pl.col("category").fill_null("none"))
    return results.select(
        pl.lit(model.id).alias("model"),
        "layer",
        "area_id",
        pl.col("list_year").alias("year"),
        pl.lit("list_year").alias("year_kind"),
        colour.alias("colour"),
        met.alias("score"),
        reason.alias("reason"),
    ).cast(COLOUR_SCHEMA)  # type: ignore[arg-type]


def points_colours(model: Model, values: pl.DataFrame, municipality_layer: str) -> pl.DataFrame:
    """Colours per area and data year from indicator values relative to the municipality total.

    `values`: indicator_values rows with housing_type '*' (numerator, denominator per area)."""
    s = model.settings
    rate = pl.col("numerator") / pl.col("denominator")
    totals = values.filter(pl.col("layer") == municipality_layer).select(
        "year", "indicator", rate.alias("total")
    )
    areas = values.filter(pl.col("layer") != municipality_layer)
    parts = []
    for ind in s["indicator"]:
        part = areas.filter(pl.col("indicator") == ind["id"]).join(totals, on=["year", "indicator"])
        ratio = rate / pl.col("total")
        if ind["worse"] == "higher":
            points = pl.when(ratio >= ind["two_points"]).then(2).when(ratio >= ind["one_point"]).then(1)
        else:
            points = pl.when(ratio <= ind["two_points"]).then(2).when(ratio <= ind["one_point"]).then(1)
        counted = (pl.col("denominator") >= s["min_denominator"]) & (pl.col("total") > 0)
        parts.append(
            part.select(
                "layer",
                "area_id",
                "year",
                pl.lit(ind["id"]).alias("indicator"),
                pl.when(counted).then(points.otherwise(0)).otherwise(0).alias("points"),
            )
        )
    if not parts:
        return pl.DataFrame(schema=COLOUR_SCHEMA)
    scored = (
        pl.concat(parts)
        .group_by("layer", "area_id", "year")
        .agg(
            pl.col("points").sum().alias("score"),
            pl.format("{}={}", "indicator", "points").filter(pl.col("points") > 0).alias("why"),
        )
    )
    colour = (
        pl.when(pl.col("score") >= s["red_points"])
        .then(pl.lit(RED))
        .when(pl.col("score") >= s["yellow_points"])
        .then(pl.lit(YELLOW))
        .otherwise(pl.lit(GREEN))
    )
    return scored.select(
        pl.lit(model.id).alias("model"),
        "layer",
        "area_id",
        "year",
        pl.lit("data_year").alias("year_kind"),
        colour.alias("colour"),
        "score",
        pl.concat_str(
            pl.format("points={}", "score"), pl.col("why").list.sort().list.join(" "), separator=" "
        )
        .str.strip_chars_end()
        .alias("reason"),
    ).cast(COLOUR_SCHEMA)  # type: ignore[arg-type]


def with_changes(colours: pl.DataFrame) -> pl.DataFrame:
    """Add the previous year's colour and whether it changed (the colour-change events)."""
    return (
        colours.sort("model", "layer", "area_id", "year")
        .with_columns(
            pl.col("colour").shift(1).over("model", "layer", "area_id").alias("previous"),
        )
        .with_columns(
            (pl.col("previous").is_not_null() & (pl.col("previous") != pl.col("colour"))).alias("changed")
        )
    )


def colours(
    models: list[Model], results: pl.DataFrame, values: pl.DataFrame, municipality_layer: str
) -> pl.DataFrame:
    """Every model's colours for every area and year, with change events."""
    frames = [
        criteria_colours(m, results)
        if m.kind == "criteria_distance"
        else points_colours(m, values, municipality_layer)
        for m in models
    ]
    return with_changes(pl.concat(frames)) if frames else pl.DataFrame(schema=COLOUR_SCHEMA)

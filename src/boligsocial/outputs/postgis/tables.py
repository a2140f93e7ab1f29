"""The tables a PostgreSQL publication holds, built from a `Publication` (already through the
disclosure step): their columns, comments and indexes, with labels and descriptions that follow
the audience's policy (docs/publish.md). The comments are written in the publication's language
(`lang`, Danish by default) from the catalogues (`postgis.po`, with `export.po`'s field
descriptions for the columns the file exports describe too); table and column names are ids
and the same in every language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from boligsocial.common.errors import InvalidParameter, NotFound
from boligsocial.common.progress import silent
from boligsocial.common.words import DEFAULT, Words, language, words
from boligsocial.compute.lists import LEADING
from boligsocial.compute.rulesets import RuleSet, load_rulebook
from boligsocial.outputs.export.gis import field_descriptions
from boligsocial.outputs.export.notes import state_description
from boligsocial.outputs.export.published import UNIT_TEXT, Publication
from boligsocial.publish.disclosure import Policy

SRID = 25832
#: The stage reported while the published tables are gathered (its message key).
GATHER = "postgis.stage.gather"
Progress = Callable[[str, int, int], None]


@dataclass
class Table:
    """One table to write: rows, comments (in the publication's language), primary key, indexes
    and its WKB column if any."""

    name: str
    frame: pl.DataFrame
    comment: str
    columns: dict[str, str]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    geometry: str | None = None


def layers_of(pub: Publication, layers: list[str] | None) -> list[str]:
    known = pub.service.layers()
    if layers is None:
        return known
    if not layers:
        raise InvalidParameter("no-layers", "no layers to publish", {"allowed": known})
    unknown = [layer for layer in layers if layer not in known]
    if unknown:
        raise NotFound(
            "unknown-layer", f"unknown layer '{unknown[0]}'", {"allowed": known}, params={"layer": unknown[0]}
        )
    return list(dict.fromkeys(layers))


def _conform(frame: pl.DataFrame, required: Mapping[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    """`frame` with each required column (added as nulls when missing) first, in order."""
    missing = [pl.lit(None, dtype).alias(c) for c, dtype in required.items() if c not in frame.columns]
    frame = frame.with_columns(missing) if frame.width else pl.DataFrame(schema=required)
    return frame.select(*required, *[c for c in frame.columns if c not in required])


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


#: The columns each table describes in `postgis.<table>.<column>`, or, for the columns the file
#: exports describe the same way, in `export.field.<column>` (`_texts`).
VALUES_COLUMNS = ("layer", "area_id", "year", "indicator", "value", "numerator", "denominator")
CATALOGUE_COLUMNS = (
    "id",
    "label_da",
    "label_en",
    "unit",
    "unit_da",
    "population",
    "value",
    "description_da",
    "description_en",
)
#: The list columns described: the layer, the leading columns of `bsm lists` (an area's id before
#: its name), and what follows them.
LIST_COLUMNS = (
    "layer",
    "area_id",
    "list_year",
    "name",
    *LEADING[3:],
    "residents_margin",
    "criteria_met_fb",
    "data_years",
    "state",
    "hidden_reason",
)
#: The list tests whose columns `<test>[_fb]_<what>` each criterion has (named by the rule set).
TESTS = ("labour", "crime", "education", "income", "nonwestern")
#: What each column of a test says (`postgis.test.*`).
TEST_COLUMNS = ("threshold", "met", "margin_pp", "margin_persons", "margin_dkk", "state")
LIGHT_COLUMNS = (
    "model",
    "layer",
    "area_id",
    "year",
    "year_kind",
    "colour",
    "score",
    "reason",
    "previous",
    "changed",
    "state",
    "hidden_reason",
)
FLOW_COLUMNS = ("layer", "year", "from", "to", "movers")
FLOW_TYPES = {
    "year": pl.Int64,
    "from": pl.String,
    "to": pl.String,
    "movers": pl.Float64,
    "state": pl.String,
    "label": pl.String,
}
PROVENANCE_COLUMNS = ("key", "value")


def _texts(say: Words, table: str, columns: tuple[str, ...], **params: object) -> dict[str, str]:
    """The descriptions of `columns` of `table`: its own (`postgis.<table>.<column>`, filled with
    `params`), else the exports' description of the same field (`export.field.<column>`)."""
    return {
        c: say(k, **params) if say.has(k := f"postgis.{table}.{c}") else say(f"export.field.{c}")
        for c in columns
    }


def _newest() -> RuleSet:
    """The regime whose criteria the list columns are described by (their names and age bands)."""
    return load_rulebook().rulesets[-1]


def _ages(rules: RuleSet) -> dict[str, int]:
    """The age bands of the criteria as parameters of the list columns' descriptions
    (`labour_low`, `labour_high`, …): written in the rule set only."""
    out: dict[str, int] = {}
    for measure in TESTS:
        band = rules.band(measure)
        if band is not None:
            out[f"{measure}_low"], out[f"{measure}_high"] = band
    return out


def _label_text(say: Words, policy: Policy, what: str) -> str:
    """What a `label` column holds under `policy`: its small-count label, or nothing (exact
    counts); `what` names the small count (`postgis.label.count`, `.residents`, `.movers`)."""
    if policy.small_count_max == 0:
        return say("postgis.label.exact", policy=policy.name, what=say(f"postgis.label.{what}"))
    return say(
        "postgis.label.small",
        what=say(f"postgis.label.{what}"),
        most=policy.small_count_max,
        label=policy.small_label,
    )


def _policy_columns(say: Words, policy: Policy) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The descriptions of the value, list and flow columns that depend on the policy: the states
    and the labels of small counts."""
    shown = say("postgis.state", states=state_description(policy, say.lang))
    values = _texts(say, "indikatorer", VALUES_COLUMNS) | {
        "state": shown,
        "label": _label_text(say, policy, "count"),
    }
    lists = {"residents_label": _label_text(say, policy, "residents")}
    flows = _texts(say, "flytninger", FLOW_COLUMNS) | {
        "state": shown,
        "label": (
            # a hidden flow shows no label: with the other flows its bounds could pin it
            say("postgis.flytninger.label_complementary", most=policy.small_count_max)
            if policy.complementary and policy.small_count_max > 0
            else _label_text(say, policy, "movers")
        ),
    }
    return values, lists, flows


def _list_column(say: Words, column: str, known: Mapping[str, str]) -> str:
    """The description of a list column, also the per-criterion ones (`labour_fb_margin_pp`)."""
    if column in known:
        return known[column]
    for test in TESTS:
        for prefix, level in ((f"{test}_fb_", f" {say('postgis.test.prevention')}"), (f"{test}_", "")):
            rest = column.removeprefix(prefix)
            if column.startswith(prefix) and rest in TEST_COLUMNS:
                return say(f"postgis.test.{rest}", criterion=_newest().criterion_name(test, say), level=level)
    return say("postgis.test.other", column=column)


def _area_column(say: Words, column: str) -> str:
    """An area column the exports do not describe: a municipality's own traffic-light model."""
    if column.startswith("light_"):
        return say("postgis.omraader.light", model=column.removeprefix("light_"))
    return column


def _described(
    frame: pl.DataFrame, known: Mapping[str, str], fallback: Callable[[str], str]
) -> dict[str, str]:
    return {c: known.get(c) or fallback(c) for c in frame.columns}


def tables(
    pub: Publication,
    layers: list[str],
    progress: Progress = silent,
    lang: str = DEFAULT,
) -> list[Table]:
    """The tables of the publication for `layers` and every data year, in the order they are
    written, their comments in `lang`; each table's comment starts with the warning of a
    publication that must not leave the analysis function. The progress reports its stage by
    key (`GATHER`), which the drawer words in its own language."""
    say = words(language(lang))
    years = pub.data_years
    value_text, list_text, flow_text = _policy_columns(say, pub.policy)
    warning = pub.warning(say.lang)
    first = f"{warning} " if warning else ""
    if pub.policy.complementary and pub.policy.small_count_max > 0:
        small_flows = say("postgis.small.complementary")
    elif pub.policy.small_count_max == 0:
        small_flows = say("postgis.small.exact")
    else:
        small_flows = say("postgis.small.labelled", label=pub.policy.small_label)
    areas, values, lists, lights, flows = [], [], [], [], []
    for i, layer in enumerate(layers):
        progress(GATHER, i, len(layers))
        areas.append(pub.area_table(layer, years).rename({"geometry": "geom"}))
        values.append(pub.values_long(layer, years))
        lists.append(pub.lists(layer))
        lights.append(pub.traffic_lights(layer, say.lang))
        moved = _conform(pub.flows(layer), FLOW_TYPES)
        flows.append(moved.select(pl.lit(layer, pl.String).alias("layer"), pl.all()))
    progress(GATHER, len(layers), len(layers))
    area = _concat(areas)
    area = area.select(pl.exclude("geom"), "geom")
    area_text = field_descriptions(pub, say.lang) | {"geom": say("postgis.omraader.geom", srid=SRID)}
    catalogue = _conform(pl.DataFrame(pub.indicators), {"id": pl.String})
    if "unit" in catalogue.columns:
        catalogue = catalogue.with_columns(
            pl.col("unit")
            .replace_strict(UNIT_TEXT, default=pl.col("unit"), return_dtype=pl.String)
            .alias("unit_da")
        )
    catalogue_text = _texts(say, "indikator_katalog", CATALOGUE_COLUMNS) | {"topic": say("export.head.topic")}
    list_known = _texts(say, "lister", LIST_COLUMNS, **_ages(_newest())) | list_text
    provenance = pub.provenance()
    light_keys = {"model": pl.String, "layer": pl.String, "area_id": pl.String, "year": pl.Int64}
    return [
        Table(
            "omraader",
            area,
            first + say("postgis.table.omraader"),
            _described(area, area_text, lambda c: _area_column(say, c)),
            ("layer", "area_id", "year"),
            (("layer", "year"),),
            geometry="geom",
        ),
        Table(
            "indikatorer",
            _concat(values),
            first + say("postgis.table.indikatorer"),
            value_text,
            ("layer", "area_id", "year", "indicator"),
            (("layer", "indicator", "year"),),
        ),
        Table(
            "indikator_katalog",
            catalogue,
            first + say("postgis.table.indikator_katalog"),
            _described(catalogue, catalogue_text, lambda c: c),
            ("id",),
        ),
        Table(
            "lister",
            lst := _conform(
                _concat(lists), {"layer": pl.String, "area_id": pl.String, "list_year": pl.Int64}
            ),
            first + say("postgis.table.lister"),
            _described(lst, {}, lambda c: _list_column(say, c, list_known)),
            ("layer", "area_id", "list_year"),
            (("layer", "list_year"),),
        ),
        Table(
            "trafiklys",
            tl := _conform(_concat(lights), light_keys),
            first + say("postgis.table.trafiklys"),
            _described(tl, _texts(say, "trafiklys", LIGHT_COLUMNS), lambda c: c),
            ("model", "layer", "area_id", "year"),
            (("layer", "year"),),
        ),
        Table(
            "flytninger",
            fl := _concat(flows),
            first + say("postgis.table.flytninger", small=small_flows),
            _described(fl, flow_text, lambda c: c),
            ("layer", "year", "from", "to"),
            (("layer", "year"),),
        ),
        Table(
            "provenance",
            pl.DataFrame(
                {"key": list(provenance), "value": list(provenance.values())},
                schema={"key": pl.String, "value": pl.String},
            ),
            first + say("postgis.table.provenance"),
            _texts(say, "provenance", PROVENANCE_COLUMNS),
            ("key",),
        ),
    ]

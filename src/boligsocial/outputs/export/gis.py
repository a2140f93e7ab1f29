"""GeoPackage, GeoJSON and CSV exports of the published area table (see `published`).

The field names are the ids programs read, the same in every language; what each field means (the
GeoPackage's `indikatorer` table and field aliases, the GeoJSON's `fields`) is written in the
export's language from the catalogues (`export.field.*`, the vocabulary and the indicators' own
`label_da`/`label_en`)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyogrio.raw
import shapely
from pyproj import Transformer

from boligsocial.common.words import language, words
from boligsocial.outputs.export.notes import state_description
from boligsocial.outputs.export.published import (
    AREA_COLUMNS,
    Publication,
    name_of,
    unit_text,
)

NATIVE_CRS = "EPSG:25832"


def field_descriptions(pub: Publication, lang: str = "da") -> dict[str, str]:
    """Column → description with unit in `lang` (Danish by default), for every column of the area
    table (the states with the label of the publication's policy)."""
    say = words(language(lang))
    out = {c: say(f"export.field.{c}") for c in AREA_COLUMNS if c not in ("category", "criteria_met")}
    out["category"] = say("export.field.category", none=say("list.none").lower())
    out["criteria_met"] = say("export.field.criteria_met", list=say("list.udsat").lower())
    states = state_description(pub.policy, lang)
    label = f"label_{say.lang}"
    for ind in pub.indicators:
        out[ind["id"]] = f"{ind.get(label) or ind['label_da']} ({unit_text(ind['unit'], lang)})"
        out[f"{ind['id']}_state"] = say("export.field.state", indicator=ind["id"], states=states)
    for model, name in pub.model_names(lang).items():
        out[f"light_{model}"] = say("export.field.light", model=name)
    return out


def _columns(table: pl.DataFrame) -> tuple[list[np.ndarray], list[str]]:
    """Polars columns as numpy arrays pyogrio writes (None and NaN become NULL)."""
    arrays, names = [], []
    for name in table.columns:
        if name == "geometry":
            continue
        series = table.get_column(name)
        if series.dtype.is_float():
            arrays.append(series.to_numpy().astype("float64"))
        elif series.dtype.is_integer() and series.null_count() == 0:
            arrays.append(series.to_numpy().astype("int64"))
        elif series.dtype.is_integer():
            arrays.append(series.cast(pl.Float64).to_numpy())
        elif series.dtype == pl.Boolean:
            arrays.append(np.array(series.to_list(), dtype=object))
        else:
            arrays.append(np.array(series.cast(pl.String).to_list(), dtype=object))
        names.append(name)
    return arrays, names


def write_gpkg(pub: Publication, layer: str, years: list[int], out: Path, lang: str = "da") -> None:
    """One spatial layer (areas × years) and two tables: `indikatorer` (what each field means, in
    `lang`) and `provenance` (where the figures come from; its first row the warning of a file
    that must not leave the analysis function, which the layer's description also starts with)."""
    table = pub.area_table(layer, years)
    out.unlink(missing_ok=True)
    arrays, names = _columns(table)
    geometry = np.array(table.get_column("geometry").to_list(), dtype=object)
    provenance = pub.provenance()
    warning = f"{provenance['warning']} " if "warning" in provenance else ""
    say = words(language(lang))
    pyogrio.raw.write(
        out,
        geometry,
        arrays,
        names,
        layer=layer,
        driver="GPKG",
        geometry_type="MultiPolygon",
        promote_to_multi=True,
        crs=NATIVE_CRS,
        layer_metadata={
            "DESCRIPTION": warning
            + say(
                "export.gpkg.description",
                layer=name_of(say, "layer", layer),
                period=f"{years[0]}–{years[-1]}",
                audience=provenance["audience"],
            )
        },
    )
    described = field_descriptions(pub, lang)
    fields = [n for n in names if n in described]
    pyogrio.raw.write(
        out,
        None,
        [np.array(fields, dtype=object), np.array([described[f] for f in fields], dtype=object)],
        ["field", "description"],
        layer="indikatorer",
        driver="GPKG",
        append=False,
    )
    pyogrio.raw.write(
        out,
        None,
        [np.array(list(provenance), dtype=object), np.array(list(provenance.values()), dtype=object)],
        ["key", "value"],
        layer="provenance",
        driver="GPKG",
        append=False,
    )
    _field_aliases(out, layer, {f: described[f] for f in fields})


def _field_aliases(out: Path, layer: str, described: dict[str, str]) -> None:
    """The fields' descriptions (in the export's language) in the GeoPackage schema extension
    (gpkg_data_columns), which GDAL reads as alternative names and comments and QGIS shows as
    field aliases."""
    with sqlite3.connect(out) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, "
            "column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT, mime_type TEXT, "
            "constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name), "
            "CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        db.execute(
            "INSERT OR IGNORE INTO gpkg_extensions VALUES ('gpkg_data_columns', NULL, 'gpkg_schema', "
            "'http://www.geopackage.org/spec/#extension_schema', 'read-write')"
        )
        db.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns VALUES (?, ?, ?, ?, ?, NULL, NULL)",
            [(layer, column, text, text, text) for column, text in described.items()],
        )
    db.close()


def _features(table: pl.DataFrame, transform: Transformer | None) -> list[dict[str, Any]]:
    geoms = shapely.from_wkb(table.get_column("geometry").to_numpy())
    if transform is not None:
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(transform.transform(xy[:, 0], xy[:, 1])))
        geoms = shapely.set_precision(geoms, 1e-7)
    else:
        geoms = shapely.set_precision(geoms, 0.01)
    props = table.drop("geometry").to_dicts()
    return [
        {"type": "Feature", "properties": p, "geometry": json.loads(shapely.to_geojson(g))}
        for p, g in zip(props, geoms, strict=True)
    ]


def write_geojson(pub: Publication, layer: str, years: list[int], out: Path, lang: str = "da") -> list[Path]:
    """`out` in EPSG:25832 (with a `crs` member, as QGIS reads it) and `<stem>.wgs84.geojson` in
    WGS84 (RFC 7946); both carry `provenance` (first the warning of a file that must not leave the
    analysis function) and `fields` (what each property means, in `lang`)."""
    table = pub.area_table(layer, years)
    meta = {"provenance": pub.provenance(), "fields": field_descriptions(pub, lang)}
    native = {
        "type": "FeatureCollection",
        "name": layer,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
        **meta,
        "features": _features(table, None),
    }
    to_wgs84 = Transformer.from_crs(NATIVE_CRS, "EPSG:4326", always_xy=True)
    wgs84 = {"type": "FeatureCollection", "name": layer, **meta, "features": _features(table, to_wgs84)}
    other = out.with_name(out.name.removesuffix(".geojson").removesuffix(".json") + ".wgs84.geojson")
    out.write_text(json.dumps(native, ensure_ascii=False, allow_nan=False), encoding="utf-8")
    other.write_text(json.dumps(wgs84, ensure_ascii=False, allow_nan=False), encoding="utf-8")
    return [out, other]


def csv_text(pub: Publication, layer: str, years: list[int]) -> str:
    """The area table without geometry as CSV, after `#` lines with the provenance (read it with
    a comment prefix of '#', e.g. `pl.read_csv(path, comment_prefix="#")`); the first line is the
    warning of a file that must not leave the analysis function, where it has one."""
    table = pub.area_table(layer, years).drop("geometry")
    provenance = pub.provenance()
    warning = provenance.pop("warning", None)
    head = (f"# {warning}\n" if warning else "") + "".join(f"# {k}: {v}\n" for k, v in provenance.items())
    return head + table.write_csv()

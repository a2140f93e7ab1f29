"""Reading a delivery's files (CSV, Parquet, Excel; GeoPackage, GeoJSON, Shapefile) into raw tables.

Everything is read as text first so validation can name every value that does not parse. The mapping
file renames columns and recodes values here, before validation sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyogrio
import shapely

from boligsocial.common.problems import MAX_EXAMPLES, Problem
from boligsocial.ingest.mapping import Mapping, TableMapping

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")
AREA_FILES = ("areas.gpkg", "areas.geojson", "areas.json", "areas.shp")
ROW = "__row"
CRS_COLUMN = "__crs"


@dataclass
class RawTable:
    """A table as text columns with its 1-based data row number in `__row`."""

    file: str
    frame: pl.DataFrame


@dataclass
class RawAreas:
    """Area features: text attributes, each feature's source CRS in `__crs`, and geometries."""

    file: str
    frame: pl.DataFrame
    geometry: np.ndarray


def find_table(delivery: Path, name: str, tm: TableMapping) -> Path | None:
    """The file holding table `name`: the mapping's file name, else `<name>.csv|.parquet|.xlsx`."""
    if tm.file:
        return delivery / tm.file
    for suffix in TABLE_SUFFIXES:
        candidate = delivery / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _apply_mapping(frame: pl.DataFrame, tm: TableMapping) -> pl.DataFrame:
    renames = {s: d for s, d in tm.source_to_contract().items() if s in frame.columns}
    frame = frame.rename(renames)
    for column, codes in tm.codes.items():
        if column in frame.columns:
            frame = frame.with_columns(pl.col(column).replace(codes))
    return frame


def _as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as trimmed text, empty strings as null."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype == pl.Boolean:
            col = col.cast(pl.String).str.to_lowercase()
        elif dtype in (pl.Date, pl.Datetime):
            col = col.cast(pl.Date).cast(pl.String)
        else:
            col = col.cast(pl.String)
        col = col.str.strip_chars()
        exprs.append(pl.when(col == "").then(None).otherwise(col).alias(name))
    return frame.select(exprs)


def read_table(path: Path, mapping: Mapping, tm: TableMapping) -> tuple[RawTable | None, list[Problem]]:
    """Read one tabular file as text; an unreadable file is a problem, not an exception."""
    file = path.name
    try:
        if path.suffix.lower() == ".csv":
            frame = pl.read_csv(path, infer_schema=False, separator=mapping.separator, encoding="utf8-lossy")
        elif path.suffix.lower() == ".parquet":
            frame = pl.read_parquet(path)
        elif path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
            frame = pl.read_excel(path, engine="calamine", sheet_id=1)
        else:
            return None, [
                Problem(
                    "unreadable-file",
                    f"{file}: unsupported file type",
                    file=file,
                    allowed=", ".join(TABLE_SUFFIXES),
                )
            ]
    except FileNotFoundError:
        return None, [Problem("missing-file", f"{file} named in the mapping does not exist", file=file)]
    except Exception as exc:
        return None, [Problem("unreadable-file", f"{file} cannot be read: {exc}", file=file)]
    problems = _short_rows(path, mapping, frame) if path.suffix.lower() == ".csv" else []
    frame = _as_text(frame.rename({c: c.strip() for c in frame.columns}))
    if mapping.decimal_comma:
        frame = frame.with_columns(pl.all().str.replace(r"^(-?\d+),(\d+)$", "$1.$2"))
    frame = _apply_mapping(frame, tm).with_row_index(ROW, offset=1)
    if frame.height == 0:
        problems.append(
            Problem(
                "empty-table",
                f"{file} has a header but no data rows: an export that stopped early, or the wrong "
                "file? (an optional file with nothing to give is left out of the delivery)",
                file=file,
            )
        )
    return RawTable(file, frame), problems


def _short_rows(path: Path, mapping: Mapping, frame: pl.DataFrame) -> list[Problem]:
    """Rows with fewer fields than the header (a file cut off, a line broken by hand): polars fills
    the missing fields with empty values, which optional columns accept silently, so such rows
    are found with DuckDB's strict reader, by data row. Only a file whose last column has an
    empty value can have one, so other files are not read twice."""
    if not frame.width or frame.get_column(frame.columns[-1]).null_count() == 0:
        return []
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(
            "SELECT count(*) FROM read_csv(?, all_varchar = true, header = true, delim = ?, "
            "quote = '\"', escape = '\"', null_padding = false, strict_mode = true, "
            "store_rejects = true, encoding = 'utf-8', max_line_size = 100000000)",
            [str(path), mapping.separator],
        ).fetchall()
        short = con.execute(
            "SELECT line - 1, csv_line FROM reject_errors WHERE error_type = 'MISSING COLUMNS' ORDER BY line"
        ).fetchall()
    except duckdb.Error:
        return []  # a file DuckDB cannot read strictly is judged by the other checks
    finally:
        con.close()
    file, width = path.name, frame.width
    out = [
        Problem(
            "short-row",
            f"row has {line.count(mapping.separator) + 1} of the {width} fields of the header; "
            "the file may be cut off or the row broken",
            file=file,
            row=int(row),
            allowed=f"{width} fields separated by '{mapping.separator}'",
        )
        for row, line in short[:MAX_EXAMPLES]
    ]
    if len(short) > MAX_EXAMPLES:
        out.append(
            Problem(
                "short-row",
                f"rows with fewer fields than the header — and {len(short) - MAX_EXAMPLES} more rows "
                "like this",
                file=file,
                count=len(short) - MAX_EXAMPLES,
            )
        )
    return out


def find_areas(delivery: Path, tm: TableMapping) -> Path | None:
    """The geometry file of the areas, by mapping or by its standard names."""
    if tm.file:
        return delivery / tm.file
    return next((delivery / n for n in AREA_FILES if (delivery / n).is_file()), None)


def read_areas(path: Path, tm: TableMapping) -> tuple[RawAreas | None, list[Problem]]:
    """Read every layer of a geometry file; the file's layer name fills a missing `layer` column."""
    file = path.name
    frames: list[pl.DataFrame] = []
    geometries: list[np.ndarray] = []
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        for layer in layers:
            meta, table = pyogrio.read_arrow(path, layer=layer)
            geom_name = meta.get("geometry_name") or "wkb_geometry"
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            wkb = frame.get_column(geom_name).to_list() if geom_name in frame.columns else []
            geometries.append(shapely.from_wkb(np.array(wkb, dtype=object), on_invalid="ignore"))
            frame = _as_text(frame.drop(geom_name, strict=False))
            frame = _apply_mapping(frame, tm)
            if "layer" not in frame.columns:
                frame = frame.with_columns(pl.lit(layer).alias("layer"))
            frame = frame.with_columns(pl.lit(meta.get("crs"), dtype=pl.String).alias(CRS_COLUMN))
            frames.append(frame)
    except Exception as exc:
        return None, [Problem("unreadable-file", f"{file} cannot be read: {exc}", file=file)]
    frame = pl.concat(frames, how="diagonal_relaxed").with_row_index(ROW, offset=1)
    return RawAreas(file, frame, np.concatenate(geometries)), []

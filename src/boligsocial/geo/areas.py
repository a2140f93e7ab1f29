"""Monitoring areas: validated polygons per layer, with boundary versions, in the storage CRS."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import shapely
from pyproj import CRS, Transformer

from boligsocial.common.problems import Problem
from boligsocial.contract import AREA_COLUMNS, REQUIRED_LAYER, STORAGE_CRS, Table
from boligsocial.ingest.mapping import TableMapping
from boligsocial.ingest.sources import CRS_COLUMN, ROW, RawAreas
from boligsocial.ingest.validate import VALUE, emit, validate_table

AREAS_TABLE = Table("areas", AREA_COLUMNS, key=())
#: Open-ended boundary versions use these sentinels internally (null in the delivery and the db).
OPEN_FROM, OPEN_TO = 0, 9999


@dataclass
class Areas:
    """Area attributes (one row per feature/version) and their polygons, aligned row by row."""

    frame: pl.DataFrame
    geometry: np.ndarray

    def layers(self) -> list[str]:
        return sorted(self.frame.get_column("layer").unique().to_list())


def to_storage_crs(geometry: np.ndarray, source_crs: str) -> np.ndarray:
    """Reproject geometries to EPSG:25832 (no-op when already there)."""
    if CRS.from_user_input(source_crs) == CRS.from_user_input(STORAGE_CRS):
        return geometry
    tr = Transformer.from_crs(source_crs, STORAGE_CRS, always_xy=True)
    return shapely.transform(geometry, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def transform_points(x: np.ndarray, y: np.ndarray, source_crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Reproject coordinate arrays to EPSG:25832."""
    if CRS.from_user_input(source_crs) == CRS.from_user_input(STORAGE_CRS):
        return x, y
    tr = Transformer.from_crs(source_crs, STORAGE_CRS, always_xy=True)
    nx, ny = tr.transform(x, y)
    return np.asarray(nx), np.asarray(ny)


def _geometry_problems(geometry: np.ndarray, rows: np.ndarray, file: str) -> list[Problem]:
    problems: list[Problem] = []
    kinds = shapely.get_type_id(geometry)
    missing = shapely.is_missing(geometry) | shapely.is_empty(geometry)
    not_polygon = ~missing & ~np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    invalid = ~missing & ~not_polygon & ~shapely.is_valid(geometry)
    for mask, why in (
        (missing, "empty or missing geometry"),
        (not_polygon, "geometry is not a Polygon or MultiPolygon"),
    ):
        bad = pl.DataFrame({ROW: rows[mask], VALUE: [why] * int(mask.sum())})
        problems += emit(bad, "invalid-geometry", file, "geometry", why, "a valid (Multi)Polygon")
    if invalid.any():
        reasons = shapely.is_valid_reason(geometry[invalid])
        bad = pl.DataFrame({ROW: rows[invalid], VALUE: reasons})
        problems += emit(
            bad,
            "invalid-geometry",
            file,
            "geometry",
            "invalid polygon",
            "a valid (Multi)Polygon (fix it, e.g. with QGIS 'Fix geometries')",
        )
    return problems


def validate_areas(raw: RawAreas, default_crs: str, tm: TableMapping) -> tuple[Areas | None, list[Problem]]:
    """Check attributes and geometries, reproject to EPSG:25832, and check versions and layers."""
    frame, problems = validate_table(raw.frame, AREAS_TABLE, raw.file, tm)
    if frame is None:
        return None, problems
    rows = frame.get_column(ROW).to_numpy()
    problems += _geometry_problems(raw.geometry, rows, raw.file)

    crs_col = raw.frame.get_column(CRS_COLUMN)
    if crs_col.null_count():
        bad = raw.frame.filter(pl.col(CRS_COLUMN).is_null()).select(ROW, pl.lit(default_crs).alias(VALUE))
        problems += emit(
            bad,
            "missing-crs",
            raw.file,
            "geometry",
            f"no CRS in the file; assuming {default_crs}",
            "a CRS in the file",
        )
    geometry = raw.geometry.copy()
    sources = crs_col.fill_null(default_crs).to_numpy()
    for src in np.unique(sources):
        sel = sources == src
        geometry[sel] = to_storage_crs(geometry[sel], str(src))

    frame = frame.with_columns(
        pl.col("valid_from").fill_null(OPEN_FROM), pl.col("valid_to").fill_null(OPEN_TO)
    )
    dup = frame.filter(pl.struct("layer", "area_id", "valid_from").is_duplicated())
    problems += emit(
        dup.select(ROW, pl.concat_str("layer", "area_id", separator="/").alias(VALUE)),
        "duplicate-key",
        raw.file,
        "layer, area_id, valid_from",
        "(layer, area_id, valid_from) appears more than once",
        "one feature per area and version",
    )
    # Versions of one area overlap when a later version starts before an earlier one ends.
    versions = frame.sort("layer", "area_id", "valid_from").with_columns(
        pl.col("valid_to").shift(1).over("layer", "area_id").alias("__prev_to")
    )
    overlap = versions.filter(pl.col("__prev_to") >= pl.col("valid_from"))
    problems += emit(
        overlap.select(ROW, pl.concat_str("layer", "area_id", separator="/").alias(VALUE)),
        "version-overlap",
        raw.file,
        "valid_from",
        "boundary versions of this area overlap in years",
        "valid_from after the previous valid_to",
    )
    if REQUIRED_LAYER not in frame.get_column("layer").to_list():
        problems.append(
            Problem(
                "missing-layer",
                f"{raw.file} has no '{REQUIRED_LAYER}' layer",
                file=raw.file,
                column="layer",
                allowed=f"'{REQUIRED_LAYER}' (wall-to-wall) and optionally others",
            )
        )
    return Areas(frame, geometry), problems

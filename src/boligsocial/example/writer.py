"""Writing the delivery folder: municipality.toml, areas.gpkg and tables as CSV or Parquet.

Tables are appended year by year so a large scale never needs all person-years in memory; the
GeoPackage timestamp is pinned so that the same seed gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Literal

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely

from boligsocial.example import names
from boligsocial.example.geography import Area

Format = Literal["csv", "parquet"]
_GPKG_DATE = "2025-12-31T00:00:00Z"


def write_municipality(out_dir: Path) -> None:
    """municipality.toml: name, municipality and region code, CRS."""
    text = (
        f'name = "{names.MUNICIPALITY_NAME}"\n'
        f'code = "{names.MUNICIPALITY_CODE}"\n'
        f'region = "{names.REGION_CODE}"\n'
        f'crs = "{names.CRS}"\n'
    )
    (out_dir / "municipality.toml").write_text(text, encoding="utf-8")


def write_areas(path: Path, areas: list[Area]) -> None:
    """areas.gpkg with one GeoPackage layer per monitoring layer, each feature tagged `layer`."""
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        for layer in dict.fromkeys(a.layer for a in areas):
            rows = [a for a in areas if a.layer == layer]
            geoms = np.array([shapely.multipolygons(shapely.get_parts(a.geometry)) for a in rows])
            table = pa.table(
                {
                    "area_id": pa.array([a.area_id for a in rows], pa.string()),
                    "name": pa.array([a.name for a in rows], pa.string()),
                    "layer": pa.array([a.layer for a in rows], pa.string()),
                    "kind": pa.array([a.kind for a in rows], pa.string()),
                    "parent_id": pa.array([a.parent_id for a in rows], pa.string()),
                    "valid_from": pa.array([a.valid_from for a in rows], pa.int32()),
                    "valid_to": pa.array([a.valid_to for a in rows], pa.int32()),
                    "geometry": pa.array(shapely.to_wkb(geoms), pa.binary()),
                }
            )
            pyogrio.write_arrow(
                table,
                str(path),
                layer=layer,
                driver="GPKG",
                geometry_name="geometry",
                geometry_type="MultiPolygon",
                crs=names.CRS,
            )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


class TableWriter:
    """Appends polars frames with a fixed schema to `<name>.csv` or `<name>.parquet`."""

    def __init__(self, out_dir: Path, name: str, fmt: Format) -> None:
        self.path = out_dir / f"{name}.{fmt}"
        self.fmt = fmt
        self.rows = 0
        self._csv = open(self.path, "wb") if fmt == "csv" else None  # noqa: SIM115
        self._pq: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def append(self, df: pl.DataFrame) -> None:
        """Write the rows of `df` (its columns and types must match earlier appends)."""
        if self._csv is not None:
            df.write_csv(self._csv, include_header=self.rows == 0)
        else:
            table = df.to_arrow(compat_level=pl.CompatLevel.oldest())
            if self._pq is None:
                self._schema = table.schema
                self._pq = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            assert self._schema is not None
            self._pq.write_table(table.cast(self._schema))
        self.rows += df.height

    def close(self) -> None:
        """Finish the file."""
        if self._csv is not None:
            self._csv.close()
        if self._pq is not None:
            self._pq.close()

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_table(out_dir: Path, name: str, fmt: Format, df: pl.DataFrame) -> None:
    """Write one whole table."""
    with TableWriter(out_dir, name, fmt) as w:
        w.append(df)

"""A tiny hand-built delivery whose every indicator can be computed by hand.

Two omraade squares share the boundary x = 500100: `a-almen` (kind almen) to the west and `b-by` to
the east; one school district covers both. Address `adr-edge` lies exactly on the shared boundary and
must go to `a-almen` (the smaller area_id). Persons are listed row by row below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyogrio
import shapely

X0, Y0 = 500000.0, 6200000.0


def area_rows() -> list[dict]:
    return [
        {
            "area_id": "a-almen",
            "name": "Ålunden",
            "layer": "omraade",
            "kind": "almen",
            "geometry": shapely.box(X0, Y0, X0 + 100, Y0 + 100),
        },
        {
            "area_id": "b-by",
            "name": "Bymidten",
            "layer": "omraade",
            "kind": "by",
            "geometry": shapely.box(X0 + 100, Y0, X0 + 200, Y0 + 100),
        },
        {
            "area_id": "s-1",
            "name": "Skoledistrikt Nord",
            "layer": "skoledistrikt",
            "kind": "by",
            "geometry": shapely.box(X0, Y0, X0 + 200, Y0 + 100),
        },
    ]


def address_rows() -> list[dict]:
    return [
        {
            "address_id": "adr-a1",
            "x": X0 + 50,
            "y": Y0 + 50,
            "housing_type": "almen",
            "housing_org": "Boligselskabet",
            "housing_department": "1",
        },
        {
            "address_id": "adr-b1",
            "x": X0 + 150,
            "y": Y0 + 50,
            "housing_type": "ejer",
            "housing_org": None,
            "housing_department": None,
        },
        {
            "address_id": "adr-edge",
            "x": X0 + 100,
            "y": Y0 + 50,
            "housing_type": "privat_leje",
            "housing_org": None,
            "housing_department": None,
        },
    ]


def person(year: int, pid: str, address: str | None, birth: str, **kw: object) -> dict:
    row: dict[str, object] = {
        "year": year,
        "person_id": pid,
        "address_id": address,
        "birth_date": birth,
        "sex": "M",
        "origin": "dansk",
        "origin_country": None,
        "outside_fte": 0.0,
        "education": "gymnasial",
        "gross_income": 300000.0,
        "taxable": "true",
        "student": "false",
        "convicted": "false",
        "household_id": None,
        "eviction": "false",
    }
    row.update(kw)
    return row


def person_rows() -> list[dict]:
    """2021: four residents in a-almen (incl. the edge address), one in b-by, one emigrated."""
    return [
        # a-almen, 2021
        person(
            2021,
            "010180-1111",
            "adr-a1",
            "1980-01-01",
            outside_fte=1.0,
            education="uoplyst",
            gross_income=100000.0,
            convicted="true",
            origin="indvandrer",
            origin_country="SY",
        ),
        person(
            2021,
            "311203-2222",
            "adr-a1",
            "2003-12-31",
            sex="K",
            outside_fte=0.5,
            student="true",
            gross_income=50000.0,
        ),  # age exactly 18 at 31 Dec 2021
        person(
            2021,
            "0101571234",
            "adr-edge",
            "1957-01-01",
            education="grundskole",
            gross_income=200000.0,
            taxable="false",
        ),  # age 64
        person(
            2021,
            "150615-3333",
            "adr-a1",
            "2015-06-15",
            sex="K",
            education="uoplyst",
            gross_income=0.0,
            origin="efterkommer",
            origin_country="DE",
            eviction="true",
        ),
        # b-by, 2021
        person(2021, "020290-4444", "adr-b1", "1990-02-02", sex="K", education="lvu", gross_income=600000.0),
        # emigrated before the end of 2021: no address
        person(2021, "030385-5555", None, "1985-03-03"),
        # 2020: one resident in b-by
        person(2020, "020290-4444", "adr-b1", "1990-02-02", sex="K", education="lvu", gross_income=550000.0),
    ]


def reference_rows() -> list[dict]:
    return [
        {"year": y, "metric": m, "region": r, "value": v}
        for y in (2020, 2021)
        for m, r, v in (
            ("national_convicted_share_18plus", None, 0.012),
            ("regional_mean_income_15_64", "1083", 350000.0),
        )
    ]


MUNICIPALITY = 'name = "Testby Kommune"\ncode = "998"\nregion = "1083"\ncrs = "EPSG:25832"\n'


@dataclass
class SmallDelivery:
    """Rows of each file; edit them in a test, then `write` the folder."""

    areas: list[dict] = field(default_factory=area_rows)
    addresses: list[dict] = field(default_factory=address_rows)
    persons: list[dict] = field(default_factory=person_rows)
    reference: list[dict] = field(default_factory=reference_rows)
    municipality: str = MUNICIPALITY
    official_lists: list[dict] | None = None
    moves: list[dict] | None = None
    areas_crs: str | None = "EPSG:25832"
    areas_file: str = "areas.gpkg"

    def write(self, folder: Path, fmt: str = "csv") -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "municipality.toml").write_text(self.municipality, encoding="utf-8")
        tables = {"addresses": self.addresses, "persons": self.persons, "reference": self.reference}
        if self.official_lists is not None:
            tables["official_lists"] = self.official_lists
        if self.moves is not None:
            tables["moves"] = self.moves
        for name, rows in tables.items():
            frame = pl.DataFrame(rows, infer_schema_length=None)
            if fmt == "csv":
                frame.write_csv(folder / f"{name}.csv")
            elif fmt == "parquet":
                frame.write_parquet(folder / f"{name}.parquet")
            else:
                frame.write_excel(folder / f"{name}.xlsx")
        write_areas(folder / self.areas_file, self.areas, self.areas_crs)
        return folder


def write_areas(path: Path, rows: list[dict], crs: str | None) -> None:
    """Write area rows (with a shapely `geometry`): one layer per `layer` value in a GeoPackage,
    a single layer (with the `layer` column) in GeoJSON or Shapefile."""
    if path.suffix != ".gpkg":
        attrs = {k: [r.get(k) for r in rows] for k in rows[0] if k != "geometry"}
        table = pa.table({**attrs, "geometry": shapely.to_wkb([r["geometry"] for r in rows])})
        pyogrio.write_arrow(table, path, geometry_name="geometry", geometry_type="Polygon", crs=crs)
        return
    layers = sorted({r["layer"] for r in rows})
    for layer in layers:
        sel = [r for r in rows if r["layer"] == layer]
        attrs = {k: [r.get(k) for r in sel] for k in sel[0] if k != "geometry"}
        table = pa.table({**attrs, "geometry": shapely.to_wkb([r["geometry"] for r in sel])})
        pyogrio.write_arrow(
            table,
            path,
            layer=layer,
            driver="GPKG",
            geometry_name="geometry",
            geometry_type="Unknown",
            crs=crs,
            append=path.exists(),
        )

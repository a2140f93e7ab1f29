"""Loading: atomic commit, replacing and adding years, formats, and refusing the wrong database."""

from __future__ import annotations

import importlib
from pathlib import Path

import duckdb
import pytest

from boligsocial.common.errors import DatabaseError, DeliveryInvalid
from boligsocial.pipeline import load
from boligsocial.store.summary import database_summary
from builders import SmallDelivery
from conftest import small_copy

# the module, not the function `load` the package exports under the same name
loading = importlib.import_module("boligsocial.pipeline.load")


def count(db: Path, sql: str) -> int:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()


@pytest.mark.slow  # a load per failing step
@pytest.mark.parametrize("stage", ["assign_addresses", "compute", "write_indicators", "_record_load"])
def test_failure_mid_load_leaves_previous_database_byte_identical(
    tmp_path: Path, small: SmallDelivery, key_file: Path, monkeypatch: pytest.MonkeyPatch, stage: str
) -> None:
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d1"), db, key_file)
    before = db.read_bytes()
    small.persons[0]["outside_fte"] = 0.0

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"injected failure in {stage}")

    monkeypatch.setattr(loading, stage, boom)  # the names the load calls
    with pytest.raises(RuntimeError, match="injected"):
        load(small.write(tmp_path / "d2"), db, key_file)
    assert db.read_bytes() == before
    # the lock file stays (removing it would race with a waiting load); no working copy does
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bsm.duckdb",
        "bsm.duckdb.lock",
        "d1",
        "d2",
        "secret",
    ]


def test_invalid_delivery_does_not_create_or_touch_the_database(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    db = tmp_path / "bsm.duckdb"
    small.persons[0]["sex"] = "X"
    with pytest.raises(DeliveryInvalid) as info:
        load(small.write(tmp_path / "d"), db, key_file)
    assert not db.exists()
    assert info.value.report.error_count == 1


@pytest.mark.slow  # three loads
def test_coverage_error_found_at_load_rolls_back(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d1"), db, key_file)
    before = db.read_bytes()
    small.addresses.append({"address_id": "adr-far", "x": 1.0, "y": 1.0, "housing_type": "ejer"})
    with pytest.raises(DeliveryInvalid) as info:
        load(small.write(tmp_path / "d2"), db, key_file)
    assert "address-unassigned" in info.value.report.codes()
    assert db.read_bytes() == before
    load(tmp_path / "d2", db, key_file, allow_unassigned=True)
    assert count(db, "SELECT count(*) FROM problems WHERE code = 'address-unassigned-allowed'") == 1


@pytest.mark.slow  # three loads
def test_same_years_replace_and_new_years_add(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d1"), db, key_file)
    assert count(db, "SELECT count(*) FROM persons") == 7
    # the same years again, with one value changed: replaced, not duplicated
    small.persons[0]["outside_fte"] = 0.0
    load(small.write(tmp_path / "d2"), db, key_file)
    assert count(db, "SELECT count(*) FROM persons") == 7
    assert (
        count(
            db,
            "SELECT numerator FROM indicator_values WHERE area_id = 'a-almen' AND year = 2021 "
            "AND indicator = 'outside_labour_18_64' AND housing_type = '*'",
        )
        == 0
    )  # 0.5 → 0
    # a delivery with only 2022 adds that year and keeps 2020-2021
    small.persons = [{**p, "year": 2022} for p in small.persons if p["year"] == 2021]
    small.reference = [{**r, "year": 2022} for r in small.reference if r["year"] == 2021]
    load(small.write(tmp_path / "d3"), db, key_file)
    summary = database_summary(db)
    assert summary.years == [2020, 2021, 2022]
    assert summary.residents == {2020: 1, 2021: 5, 2022: 5}
    assert count(db, "SELECT count(*) FROM loads") == 3


def test_other_municipality_is_refused(tmp_path: Path, small: SmallDelivery, small_loaded: Path) -> None:
    db, key_file = small_copy(small_loaded, tmp_path)  # `small` loaded
    small.municipality = small.municipality.replace('"998"', '"630"')
    with pytest.raises(DatabaseError, match="municipality 998"):
        load(small.write(tmp_path / "d2"), db, key_file)


@pytest.mark.slow  # a load per format
@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_parquet_and_excel_give_the_same_indicators_as_csv(
    tmp_path: Path, small: SmallDelivery, key_file: Path, fmt: str
) -> None:
    csv_db, other_db = tmp_path / "csv.duckdb", tmp_path / f"{fmt}.duckdb"
    load(small.write(tmp_path / "csv"), csv_db, key_file)
    load(small.write(tmp_path / fmt, fmt=fmt), other_db, key_file)
    sql = "SELECT * FROM indicator_values ORDER BY ALL"
    a = duckdb.connect(str(csv_db), read_only=True)
    b = duckdb.connect(str(other_db), read_only=True)
    try:
        rows = a.execute(sql).fetchall()
        assert len(rows) > 100
        assert rows == b.execute(sql).fetchall()
    finally:
        a.close()
        b.close()


def test_areas_in_another_crs_are_reprojected(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    import shapely
    from pyproj import Transformer

    tr = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
    for area in small.areas:
        area["geometry"] = shapely.transform(
            shapely.segmentize(area["geometry"], 10),
            lambda xy: __import__("numpy").column_stack(tr.transform(xy[:, 0], xy[:, 1])),
        )
    small.areas_crs = "EPSG:4326"
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d"), db, key_file)
    assert (
        count(db, "SELECT count(*) FROM address_areas WHERE layer = 'omraade' AND area_id = 'a-almen'") == 2
    )


@pytest.mark.parametrize(
    "areas_file",
    ["areas.geojson", pytest.param("areas.shp", marks=pytest.mark.slow)],  # a load per format
)
def test_geojson_and_shapefile_areas(
    tmp_path: Path, small: SmallDelivery, key_file: Path, areas_file: str
) -> None:
    small.areas_file = areas_file
    db = tmp_path / "bsm.duckdb"
    load(small.write(tmp_path / "d"), db, key_file)
    assert count(db, "SELECT count(*) FROM areas") == 3
    assert count(db, "SELECT count(*) FROM address_areas WHERE area_id = 'a-almen'") == 2


@pytest.mark.slow  # a second load of the example
def test_two_loads_of_one_delivery_store_the_same_figures_and_publish_the_same_cells(
    example_db: Path, tmp_path: Path
) -> None:
    """A reload of the same delivery must reproduce every stored figure to the last bit and the
    same protection against differencing: two different patterns of hidden cells for the same
    figures could be laid side by side to undo each other. (Floats summed in the order DuckDB's
    threads happened to add them, and the person kinds in the order DISTINCT gave them, made
    both differ between loads.)"""
    from boligsocial.publish import disclosure as dc
    from boligsocial.publish.service import Service
    from boligsocial.publish.service.snapshot import Viewer

    again = tmp_path / "again.duckdb"
    load(example_db.parent / "delivery", again, example_db.parent / "pseudonym.key")
    first, second = (
        duckdb.connect(str(example_db), read_only=True),
        duckdb.connect(str(again), read_only=True),
    )
    tables = [
        t for (t,) in first.sql("SELECT table_name FROM information_schema.tables ORDER BY 1").fetchall()
    ]
    assert "statistic_relations" in tables and "indicator_values" in tables
    for table in tables:
        if table in ("loads", "meta"):  # when it was loaded, and the file's fingerprint
            continue
        a, b = first.sql(f"SELECT * FROM {table}").pl(), second.sql(f"SELECT * FROM {table}").pl()
        if table != "statistic_relations":  # its rows are numbered: the numbers must agree too
            a, b = a.sort(a.columns), b.sort(b.columns)
        assert a.equals(b), table
    first.close()
    second.close()
    politician = Viewer("politician", dc.load_policies()[dc.AUDIENCE_OF_ROLE["politician"]])
    shown = [Service(db).lists(layer=None, viewer=politician) for db in (example_db, again)]
    assert shown[0].height > 0 and shown[0].equals(shown[1])

"""The example municipality generator: a complete, consistent, deterministic delivery."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import numpy as np
import polars as pl
import pyogrio
import pytest
import shapely

from boligsocial.example import generate

SCALE = 0.05
LAYERS = ["omraade", "skoledistrikt", "almen_boligomraade", "landsby"]
EDUCATION_ORDER = [
    "uoplyst",
    "grundskole",
    "gymnasial",
    "erhvervsfaglig",
    "kvu",
    "mvu",
    "bachelor",
    "lvu",
    "phd",
]
PERSON_COLUMNS = [
    "year", "person_id", "address_id", "birth_date", "sex", "origin", "origin_country", "outside_fte",
    "education", "gross_income", "taxable", "student", "convicted", "household_id",
]  # fmt: skip
EXTRA_COLUMNS = [
    "special_class", "child_notification", "placement", "lifestyle_disease", "eviction", "school_absence_pct",
]  # fmt: skip


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("example") / "delivery"
    calls: list[tuple[str, int, int]] = []
    summary = generate(
        out, seed=7, scale=SCALE, progress=lambda d, done, total: calls.append((d, done, total))
    )
    assert calls and calls[-1][1] == calls[-1][2], "progress must end at done == total"
    return out, summary


def _read(path: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(path / f"{name}.csv", infer_schema_length=None)


def _persons(path: Path) -> pl.DataFrame:
    return _read(path, "persons").with_columns(pl.col("birth_date").str.to_date())


def _layer(path: Path, layer: str) -> tuple[pl.DataFrame, np.ndarray]:
    _, table = pyogrio.read_arrow(path / "areas.gpkg", layer=layer)
    geom_col = next(c for c in table.column_names if c in ("geom", "geometry"))
    geoms = shapely.from_wkb(table[geom_col].to_numpy(zero_copy_only=False))
    return pl.from_arrow(table.drop([geom_col])), geoms  # type: ignore[return-value]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_writes_every_contract_file_with_its_columns(delivery: tuple[Path, dict[str, int]]) -> None:
    path, summary = delivery
    names = {p.name for p in path.iterdir()}
    assert names == {
        "municipality.toml", "areas.gpkg", "addresses.csv", "persons.csv", "reference.csv", "moves.csv",
        "official_lists.csv",
    }  # fmt: skip
    meta = tomllib.loads((path / "municipality.toml").read_text(encoding="utf-8"))
    assert meta == {"name": "Fjordby Kommune", "code": "999", "region": "1083", "crs": "EPSG:25832"}
    persons = _read(path, "persons")
    assert persons.columns == PERSON_COLUMNS + EXTRA_COLUMNS
    assert _read(path, "addresses").columns == [
        "address_id", "x", "y", "housing_type", "housing_org", "housing_department", "label",
    ]  # fmt: skip
    assert _read(path, "reference").columns == ["year", "metric", "region", "value"]
    assert _read(path, "moves").columns == ["person_id", "move_date", "from_address_id", "to_address_id"]
    assert _read(path, "official_lists").columns == ["list_year", "area_id", "list"]
    assert summary["persons_rows"] == persons.height
    assert summary["persons"] == persons["person_id"].n_unique()
    assert (summary["first_year"], summary["last_year"]) == (2015, 2025)
    assert sorted(persons["year"].unique()) == list(range(2015, 2026))


def test_same_seed_gives_identical_files_and_another_seed_other_people(
    delivery: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    path, _ = delivery
    again = tmp_path / "again"
    other = tmp_path / "other"
    generate(again, seed=7, scale=SCALE)
    generate(other, seed=8, scale=SCALE)
    for name in ("persons.csv", "areas.gpkg", "addresses.csv", "moves.csv"):
        assert _digest(path / name) == _digest(again / name), name
    assert _digest(path / "persons.csv") != _digest(other / "persons.csv")
    assert _digest(path / "addresses.csv") != _digest(other / "addresses.csv")
    # The map is part of the example, not of the draw: area ids are stable across seeds.
    assert _digest(path / "areas.gpkg") == _digest(other / "areas.gpkg")


def test_areas_are_valid_polygons_in_etrs89_utm32(delivery: tuple[Path, dict[str, int]]) -> None:
    path, summary = delivery
    assert sorted(layer for layer, _ in pyogrio.list_layers(path / "areas.gpkg")) == sorted(LAYERS)
    for layer in LAYERS:
        info = pyogrio.read_info(path / "areas.gpkg", layer=layer)
        assert info["crs"] == "EPSG:25832"
        frame, geoms = _layer(path, layer)
        assert shapely.is_valid(geoms).all(), layer
        assert (frame["layer"] == layer).all()
        assert summary[f"areas_{layer}"] == frame["area_id"].n_unique()
        versions = frame.select("area_id", "valid_from", "valid_to").unique()
        assert versions.height == frame.height, f"{layer}: an (area_id, version) repeats"
    omraade, _ = _layer(path, "omraade")
    assert 70 <= omraade["area_id"].n_unique() <= 90
    assert set(omraade["kind"]) == {"almen", "by", "land", "blandet"}
    districts, _ = _layer(path, "skoledistrikt")
    assert set(omraade["parent_id"]) == set(districts["area_id"])
    changed = omraade.filter(pl.col("valid_to") == 2019)["area_id"].sort().to_list()
    assert len(changed) >= 2
    assert omraade.filter(pl.col("valid_from") == 2020)["area_id"].sort().to_list() == changed


@pytest.mark.slow  # geometry of every address
def test_every_address_lies_in_exactly_one_omraade_area_every_year(
    delivery: tuple[Path, dict[str, int]],
) -> None:
    path, _ = delivery
    addresses = _read(path, "addresses")
    x, y = addresses["x"].to_numpy(), addresses["y"].to_numpy()
    frame, geoms = _layer(path, "omraade")
    for year in range(2015, 2026):
        valid = (frame["valid_from"].fill_null(0) <= year) & (frame["valid_to"].fill_null(9999) >= year)
        current = geoms[valid.to_numpy()]
        hits = np.zeros(len(x), dtype=int)
        for geom in current:
            hits += shapely.contains_xy(geom, x, y)
        assert (hits == 1).all(), f"{year}: {(hits != 1).sum()} addresses not in exactly one area"
        assert shapely.coverage_is_valid(current), year
        boundary = shapely.union_all(shapely.boundary(current))
        assert shapely.distance(boundary, shapely.points(x, y)).min() > 0.5


def test_person_ids_are_cpr_shaped_unique_and_match_birth_dates(
    delivery: tuple[Path, dict[str, int]],
) -> None:
    persons = _persons(delivery[0])
    assert persons["person_id"].str.contains(r"^\d{6}-\d{4}$").all()
    ddmmyy = persons["birth_date"].dt.strftime("%d%m%y")
    assert (persons["person_id"].str.slice(0, 6) == ddmmyy).all()
    male = persons["person_id"].str.slice(10, 1).cast(pl.Int32) % 2 == 1
    assert (male == (persons["sex"] == "M")).all()
    assert not persons.select("person_id", "year").is_duplicated().any()
    one_birth_date = persons.group_by("person_id").agg(pl.col("birth_date").n_unique())
    assert (one_birth_date["birth_date"] == 1).all()


def test_education_never_decreases(delivery: tuple[Path, dict[str, int]]) -> None:
    persons = _persons(delivery[0])
    rank = {level: i for i, level in enumerate(EDUCATION_ORDER)}
    steps = (
        persons.select("person_id", "year", pl.col("education").replace_strict(rank).alias("rank"))
        .sort("person_id", "year")
        .with_columns(step=pl.col("rank").diff().over("person_id"))
    )
    assert steps["step"].drop_nulls().min() >= 0
    assert steps["step"].drop_nulls().max() > 0  # people do complete educations


def test_moves_explain_every_change_of_address(delivery: tuple[Path, dict[str, int]]) -> None:
    path, _ = delivery
    persons = _read(path, "persons").select("year", "person_id", "address_id")
    moves = _read(path, "moves").with_columns(year=pl.col("move_date").str.slice(0, 4).cast(pl.Int64))
    assert not moves.select("person_id", "year").is_duplicated().any()
    before = persons.with_columns(year=pl.col("year") + 1).rename({"address_id": "before"})
    changed = persons.join(before, on=["year", "person_id"]).filter(pl.col("before") != pl.col("address_id"))
    assert changed.height > 0
    unexplained = changed.join(
        moves,
        left_on=["year", "person_id", "before", "address_id"],
        right_on=["year", "person_id", "from_address_id", "to_address_id"],
        how="anti",
    )
    assert unexplained.height == 0
    assert moves["from_address_id"].is_null().any() and moves["to_address_id"].is_null().any()
    addresses = set(_read(path, "addresses")["address_id"])
    used = set(moves["from_address_id"].drop_nulls()) | set(moves["to_address_id"].drop_nulls())
    assert used <= addresses
    assert set(persons["address_id"]) <= addresses


def test_register_values_are_in_range(delivery: tuple[Path, dict[str, int]]) -> None:
    persons = _persons(delivery[0]).with_columns(
        age=pl.col("year") - pl.col("birth_date").dt.year(),
    )
    assert persons["outside_fte"].is_between(0, 1).all()
    assert (persons.filter((pl.col("age") < 16) | (pl.col("age") >= 67))["outside_fte"] == 0).all()
    assert set(persons["sex"]) == {"M", "K"}
    assert set(persons["origin"]) == {"dansk", "indvandrer", "efterkommer"}
    assert set(persons["education"]) <= set(EDUCATION_ORDER)
    kids = persons.filter(pl.col("age") < 16)
    assert set(kids["education"]) <= {"uoplyst", "grundskole"}
    school = pl.col("age").is_between(6, 16)
    assert persons.filter(school)["special_class"].null_count() == 0
    assert persons.filter(~school)["special_class"].null_count() == persons.filter(~school).height
    assert persons.filter(~school)["school_absence_pct"].null_count() == persons.filter(~school).height
    adults = persons.filter(pl.col("age") >= 18)
    assert adults["lifestyle_disease"].null_count() == 0
    assert 0.9 < adults["taxable"].mean() < 1.0  # type: ignore[operator]
    assert 0.002 < adults["convicted"].mean() < 0.03  # type: ignore[operator]
    assert re.fullmatch(r"[A-Z]{2}", persons["origin_country"].drop_nulls()[0])


def test_reference_and_official_lists_cover_the_years(delivery: tuple[Path, dict[str, int]]) -> None:
    path, _ = delivery
    reference = _read(path, "reference")
    national = reference.filter(pl.col("metric") == "national_convicted_share_18plus")
    assert national["year"].to_list() == list(range(2015, 2026))
    assert national["value"].is_between(0.009, 0.014).all()
    income = reference.filter((pl.col("metric") == "regional_mean_income_15_64") & (pl.col("region") == 1083))
    assert income["year"].to_list() == list(range(2015, 2026))
    assert (income["value"].diff().drop_nulls() > 0).all()
    lists = _read(path, "official_lists")
    omraade, _ = _layer(path, "omraade")
    almen = set(omraade.filter(pl.col("kind") == "almen")["area_id"])
    assert set(lists["area_id"]) <= almen
    assert set(lists["list"]) <= {"ghetto", "haardt_ghetto", "udsat", "parallelsamfund", "omdannelse"}
    assert lists["list_year"].max() <= 2018


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("precious", encoding="utf-8")
    with pytest.raises(ValueError, match="not an empty folder"):
        generate(tmp_path, scale=SCALE)
    assert (tmp_path / "keep.txt").read_text(encoding="utf-8") == "precious"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_an_empty_existing_folder_is_fine(tmp_path: Path) -> None:
    generate(tmp_path, scale=0.01)
    assert (tmp_path / "persons.csv").is_file()


def test_parquet_format_writes_parquet_tables(tmp_path: Path, delivery: tuple[Path, dict[str, int]]) -> None:
    out = tmp_path / "pq"
    summary = generate(out, seed=7, scale=SCALE, fmt="parquet")
    for name in ("addresses", "persons", "reference", "moves", "official_lists"):
        assert (out / f"{name}.parquet").read_bytes()[:4] == b"PAR1"
        assert not (out / f"{name}.csv").exists()
    persons = pl.read_parquet(out / "persons.parquet")
    assert persons.height == summary["persons_rows"]
    assert persons.schema["birth_date"] == pl.Date
    assert persons.schema["taxable"] == pl.Boolean
    csv = _read(delivery[0], "persons")
    assert persons["person_id"].to_list() == csv["person_id"].to_list()

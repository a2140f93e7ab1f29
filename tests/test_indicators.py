"""Indicators against values computed by hand from the small delivery (see builders.person_rows)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from boligsocial.common.errors import ConfigError
from boligsocial.compute.catalogue import builtin, load_catalogue, parse_catalogue
from boligsocial.pipeline import load
from builders import SmallDelivery


@pytest.fixture
def db(small_loaded: Path) -> Path:
    """The small delivery loaded (once per run): the tests only read it."""
    return small_loaded / "bsm.duckdb"


def value(
    db: Path, indicator: str, area: str, year: int = 2021, layer: str = "omraade", housing: str = "*"
) -> tuple[float, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT numerator, denominator FROM indicator_values WHERE layer = ? AND area_id = ? "
            "AND year = ? AND indicator = ? AND housing_type = ?",
            [layer, area, year, indicator, housing],
        ).fetchall()
    finally:
        con.close()
    assert len(rows) == 1, rows
    return rows[0][0], rows[0][1]


def test_residents_per_area_include_the_boundary_address_once(db: Path) -> None:
    # a-almen: three at adr-a1 and one at adr-edge (on the shared boundary → a-almen)
    assert value(db, "residents", "a-almen") == (4.0, 4)
    assert value(db, "residents", "b-by") == (1.0, 1)
    assert value(db, "residents", "b-by", 2020) == (1.0, 1)
    assert value(db, "residents", "998", layer="kommune") == (5.0, 5)  # emigrant not counted
    assert value(db, "residents", "s-1", layer="skoledistrikt") == (5.0, 5)


def test_labour_indicator_sums_fte_over_ages_18_to_64(db: Path) -> None:
    # 41 y: 1.0, 18 y (born 31 Dec 2003, exactly 18): 0.5, 64 y: 0.0; the 6-year-old is outside
    assert value(db, "outside_labour_18_64", "a-almen") == (1.5, 3)


def test_crime_indicator_counts_convicted_18_plus(db: Path) -> None:
    assert value(db, "convicted_18plus", "a-almen") == (1.0, 3)


def test_education_indicator_counts_uoplyst_with_grundskole_30_59(db: Path) -> None:
    # only the 41-year-old (uoplyst) is 30-59; the 64-year-old with grundskole is too old
    assert value(db, "low_education_30_59", "a-almen") == (1.0, 1)


def test_income_indicator_excludes_students_and_non_taxable(db: Path) -> None:
    # 41 y 100,000 counts; the student (18) and the non-taxable 64-year-old do not
    assert value(db, "mean_income_15_64", "a-almen") == (100000.0, 1)
    assert value(db, "mean_income_15_64", "998", layer="kommune") == (700000.0, 2)


def test_nonwestern_share_uses_dst_country_list(db: Path) -> None:
    # SY immigrant is non-western; the descendant from DE is western
    assert value(db, "nonwestern_share", "a-almen") == (1.0, 4)
    assert value(db, "western_immigrants_share", "a-almen") == (1.0, 4)


def test_housing_type_breakdown_and_extra_column(db: Path) -> None:
    assert value(db, "residents", "a-almen", housing="almen") == (3.0, 3)
    assert value(db, "residents", "a-almen", housing="privat_leje") == (1.0, 1)
    assert value(db, "evicted_persons", "a-almen") == (1.0, 4)


def test_age_bands_at_their_edges(db: Path) -> None:
    assert value(db, "age_6_16", "a-almen") == (1.0, 4)  # the child turned 6 in 2021
    assert value(db, "age_17_29", "a-almen") == (1.0, 4)  # 18 years old on 31 Dec 2021
    assert value(db, "age_30_64", "a-almen") == (2.0, 4)  # 41 and exactly 64
    assert value(db, "age_65_plus", "a-almen") == (0.0, 4)


def test_income_quartiles_partition_the_income_population(db: Path) -> None:
    q1, n1 = value(db, "income_q1_share", "998", layer="kommune")
    q4, n4 = value(db, "income_q4_share", "998", layer="kommune")
    assert n1 == n4 == 2 and q1 == 1.0 and q4 == 1.0


def test_municipality_adds_an_indicator_by_writing_toml(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    folder = small.write(tmp_path / "delivery")
    (folder / "indicators.toml").write_text(
        '[[indicator]]\nid = "women_18_64"\ntopic = "demografi"\nlabel_da = "Kvinder 18-64"\n'
        'label_en = "Women 18-64"\nunit = "count"\npopulation = "18 <= age <= 64"\n'
        "value = \"sex == 'K'\"\n"
    )
    db = tmp_path / "own.duckdb"
    load(folder, db, key_file)
    assert value(db, "women_18_64", "a-almen") == (1.0, 3)
    assert value(db, "women_18_64", "b-by") == (1.0, 1)


def test_catalogue_errors_are_all_reported(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    folder = small.write(tmp_path / "delivery")
    (folder / "indicators.toml").write_text(
        '[[indicator]]\nid = "x"\ntopic = "t"\nlabel_da = "x"\nlabel_en = "x"\nunit = "liters"\n'
        '[[indicator]]\nid = "y"\ntopic = "t"\nlabel_da = "y"\nlabel_en = "y"\nunit = "count"\n'
        "value = \"__import__('os')\"\n"
    )
    with pytest.raises(ConfigError) as info:
        load(folder, tmp_path / "x.duckdb", key_file)
    lines = str(info.value).splitlines()
    assert lines[:2] == [
        "fejl i indikatorkataloget / indicator catalogue problems:",
        "  indicators.toml: indicator[1].unit: ukendt værdi / unknown value: 'liters' "
        "(tilladt/allowed: count, share, mean, dkk, pct)",
    ]
    assert lines[2].startswith(
        "  indicators.toml: indicator[2].value: udtrykket kan ikke bruges / the expression cannot be used: "
    )
    assert "not allowed" in lines[2] and len(lines) == 3
    assert not (tmp_path / "x.duckdb").exists()


def test_a_misspelled_key_in_a_catalogue_is_refused_with_a_hint() -> None:
    entry = {"id": "x", "topic": "t", "label_da": "x", "label_en": "x", "unit": "share"}
    with pytest.raises(ConfigError) as info:
        parse_catalogue(
            {"indicator": [{**entry, "populaton": "age >= 18"}, {**entry, "label_en": ""}]}, "indicators.toml"
        )
    assert str(info.value).splitlines()[1:] == [
        "  indicators.toml: indicator[1].populaton: ukendt nøgle / unknown key; "
        "mente du 'population'? / did you mean 'population'?",
        "  indicators.toml: indicator[2].label_en: må ikke være tom / must not be empty",
        "  indicators.toml: indicator[2].id: id'et findes to gange / the id appears twice: 'x'",
    ]
    with pytest.raises(ConfigError, match="indicater: ukendt nøgle / unknown key; mente du 'indicator'"):
        parse_catalogue({"indicater": [entry]}, "indicators.toml")


def test_the_shipped_catalogue_reads_as_it_always_did() -> None:
    """Every shipped indicator is its TOML entry, with the defaults the loader always gave."""
    import tomllib

    from boligsocial.compute import catalogue

    folder = Path(catalogue.__file__).parent
    raw = [
        (entry, path.name)
        for path in sorted(folder.glob("*.toml"))
        for entry in tomllib.loads(path.read_text(encoding="utf-8"))["indicator"]
    ]
    got = builtin()
    assert len(got) == len(raw) > 30
    for indicator, (entry, source) in zip(got, raw, strict=True):
        assert (indicator.id, indicator.topic, indicator.unit, indicator.source) == (
            entry["id"],
            entry["topic"],
            entry["unit"],
            source,
        )
        assert (indicator.label_da, indicator.label_en) == (entry["label_da"], entry["label_en"])
        assert indicator.description_da == entry.get("description_da", "")
        assert indicator.description_en == entry.get("description_en", "")
        assert indicator.population.source == entry.get("population", "True")
        assert indicator.value.source == entry.get("value", "1")
    assert [i.id for i in load_catalogue()] == [i.id for i in got]

"""Every validation rule, each with a delivery that breaks it: code, place and severity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import shapely

from boligsocial.common.problems import CODES, Problem, Report, Severity
from boligsocial.ingest.municipality import Municipality, read_municipality
from boligsocial.pipeline.delivery import check
from builders import X0, Y0, SmallDelivery, person


def _persons(d: SmallDelivery, **changes: object) -> None:
    d.persons[0].update(changes)


def _drop_column(rows: list[dict], column: str) -> None:
    for r in rows:
        r.pop(column, None)


def run(tmp_path: Path, d: SmallDelivery) -> Report:
    return check(d.write(tmp_path / "delivery"))


def find(report: Report, code: str) -> list[Problem]:
    return [p for p in report.problems if p.code == code]


CASES: list[tuple[str, Callable[[SmallDelivery], None], str, str | None, int | None]] = [
    # (expected code, mutation, file, column, row)
    ("missing-column", lambda d: _drop_column(d.persons, "sex"), "persons.csv", "sex", None),
    ("missing-value", lambda d: _persons(d, sex=None), "persons.csv", "sex", 1),
    ("bad-type", lambda d: _persons(d, outside_fte="abc"), "persons.csv", "outside_fte", 1),
    ("bad-type", lambda d: _persons(d, year="2021.5"), "persons.csv", "year", 1),
    ("bad-type", lambda d: _persons(d, birth_date="01-01-1980"), "persons.csv", "birth_date", 1),
    ("bad-type", lambda d: _persons(d, student="maybe"), "persons.csv", "student", 1),
    ("unknown-code", lambda d: _persons(d, education="folkeskole"), "persons.csv", "education", 1),
    ("unknown-code", lambda d: _persons(d, origin_country="XX"), "persons.csv", "origin_country", 1),
    (
        "unknown-code",
        lambda d: d.addresses[1].update(housing_type="leje"),
        "addresses.csv",
        "housing_type",
        2,
    ),
    ("out-of-range", lambda d: _persons(d, outside_fte=1.5), "persons.csv", "outside_fte", 1),
    ("duplicate-key", lambda d: d.persons.append(dict(d.persons[0])), "persons.csv", "person_id, year", 1),
    ("duplicate-key", lambda d: d.addresses.append(dict(d.addresses[0])), "addresses.csv", "address_id", 1),
    ("unknown-reference", lambda d: _persons(d, address_id="adr-nope"), "persons.csv", "address_id", 1),
    ("unborn", lambda d: _persons(d, birth_date="2022-01-01"), "persons.csv", "birth_date", 1),
    (
        "nonwestern-undecidable",
        lambda d: _persons(d, origin_country=None),
        "persons.csv",
        "origin_country",
        1,
    ),
    ("implausible-age", lambda d: _persons(d, birth_date="1900-01-01"), "persons.csv", "birth_date", 1),
    ("negative-income", lambda d: _persons(d, gross_income=-5000), "persons.csv", "gross_income", 1),
    ("nonwestern-conflict", lambda d: _persons(d, nonwestern="false"), "persons.csv", "nonwestern", 1),
    (
        "extra-column-ignored",
        lambda d: [r.update(note="free text") for r in d.persons],
        "persons.csv",
        "note",
        None,
    ),
    (
        "extra-column-ignored",
        lambda d: [r.update(rent=1234.5) for r in d.persons],  # numeric, but its type is not declared
        "persons.csv",
        "rent",
        None,
    ),
    (
        "cpr-in-column",
        lambda d: d.persons[2].update(contact_cpr="020290-4444"),
        "persons.csv",
        "contact_cpr",
        None,
    ),
    (
        "cpr-in-column",
        lambda d: d.addresses[1].update(housing_department="0202904444"),
        "addresses.csv",
        "housing_department",
        None,
    ),
    ("missing-reference", lambda d: d.reference.pop(), "reference.csv", "metric", None),
    (
        "bad-config",
        lambda d: setattr(d, "municipality", d.municipality.replace("1083", "9999")),
        "municipality.toml",
        "region",
        None,
    ),
    (
        "unknown-reference",
        lambda d: setattr(
            d,
            "moves",
            [
                {
                    "person_id": "010180-1111",
                    "move_date": "2021-05-01",
                    "from_address_id": "adr-b1",
                    "to_address_id": "adr-gone",
                }
            ],
        ),
        "moves.csv",
        "to_address_id",
        1,
    ),
    (
        "unknown-reference",
        lambda d: setattr(
            d,
            "official_lists",
            [
                {"list_year": 2019, "area_id": "a-almen", "list": "udsat"},
                {"list_year": 2019, "area_id": "x-unknown", "list": "udsat"},
            ],
        ),
        "official_lists.csv",
        "area_id",
        2,
    ),
    (
        "unknown-code",
        lambda d: setattr(
            d, "official_lists", [{"list_year": 2019, "area_id": "a-almen", "list": "ghetto-light"}]
        ),
        "official_lists.csv",
        "list",
        1,
    ),
    (
        "invalid-geometry",
        lambda d: d.areas[0].update(
            geometry=shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
        ),
        "areas.gpkg",
        "geometry",
        None,
    ),
    (
        "missing-layer",
        lambda d: [a.update(layer="bydel") for a in d.areas if a["layer"] == "omraade"],
        "areas.gpkg",
        "layer",
        None,
    ),
    (
        "version-overlap",
        lambda d: d.areas.append({**d.areas[0], "valid_from": 2015, "valid_to": 2025}),
        "areas.gpkg",
        "valid_from",
        None,
    ),
    ("missing-crs", lambda d: setattr(d, "areas_crs", None), "areas.gpkg", "geometry", None),
    (
        "address-unassigned",
        lambda d: d.addresses.append(
            {"address_id": "adr-out", "x": X0 + 500, "y": Y0 + 500, "housing_type": "ejer"}
        ),
        "addresses",
        "x, y",
        None,
    ),
    (
        "address-overlap",
        lambda d: d.areas.append(
            {
                "area_id": "c-overlap",
                "name": "Overlap",
                "layer": "omraade",
                "kind": "by",
                "geometry": shapely.box(X0 + 25, Y0 + 25, X0 + 75, Y0 + 75),
            }
        ),
        "addresses",
        "x, y",
        None,
    ),
    (
        "area-empty",
        lambda d: d.areas.append(
            {
                "area_id": "z-empty",
                "name": "Tom",
                "layer": "landsby",
                "kind": "land",
                "geometry": shapely.box(X0 + 500, Y0, X0 + 600, Y0 + 100),
            }
        ),
        "areas",
        "area_id",
        None,
    ),
]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The report on the clean small delivery, checked once for every case."""
    return run(tmp_path_factory.mktemp("clean"), SmallDelivery())


@pytest.mark.parametrize(
    ("code", "mutate", "file", "column", "row"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_rule_reports_its_problem(
    tmp_path: Path,
    small: SmallDelivery,
    clean: Report,
    code: str,
    mutate: Callable[[SmallDelivery], None],
    file: str,
    column: str | None,
    row: int | None,
) -> None:
    assert not find(clean, code), "the clean fixture must not trigger it"
    mutate(small)
    report = run(tmp_path, small)
    found = find(report, code)
    assert found, f"expected {code}, got {[p.code for p in report.problems]}"
    p = found[0]
    assert p.file == file
    assert p.column == column
    if row is not None:
        assert p.row == row
    assert p.message
    if CODES[code][0] is Severity.ERROR:
        assert not report.ok
    else:
        assert report.error_count == 0, [q for q in report.problems if q.severity is Severity.ERROR]


def test_clean_delivery_has_no_errors_or_warnings(tmp_path: Path, small: SmallDelivery) -> None:
    report = run(tmp_path, small)
    assert report.ok and report.warning_count == 0, report.problems
    assert report.codes() == {"address-on-boundary"}


def test_all_problems_are_collected_not_only_the_first(tmp_path: Path, small: SmallDelivery) -> None:
    small.persons[0].update(education="folkeskole")
    small.persons[1].update(outside_fte="x")
    small.persons[4].update(sex="Q")
    small.addresses[1].update(housing_type="leje")
    report = run(tmp_path, small)
    assert {"unknown-code", "bad-type"} <= report.codes()
    assert report.error_count == 4
    places = {(p.file, p.row, p.column) for p in report.problems}
    assert {
        ("persons.csv", 1, "education"),
        ("persons.csv", 2, "outside_fte"),
        ("persons.csv", 5, "sex"),
        ("addresses.csv", 2, "housing_type"),
    } <= places


def test_a_misspelled_key_in_municipality_toml_is_refused_with_a_hint(
    tmp_path: Path, small: SmallDelivery
) -> None:
    small.municipality = 'nmae = "Testby Kommune"\ncode = "99"\nregion = 1083\ncrs = "EPSG:nope"\n'
    bad = find(run(tmp_path, small), "bad-config")
    assert [(p.file, p.column, p.value) for p in bad] == [
        ("municipality.toml", "name", None),
        ("municipality.toml", "code", "99"),
        ("municipality.toml", "crs", "EPSG:nope"),
        ("municipality.toml", "nmae", None),
    ]
    assert [p.message for p in bad] == [
        "municipality.toml: name: mangler / is missing",
        "municipality.toml: code: skal være kommunens 3-cifrede kode, fx 630 / "
        "must be the 3-digit municipality code, e.g. 630: '99'",
        "municipality.toml: crs: ukendt koordinatsystem; skriv en EPSG-kode som EPSG:25832 / "
        "unknown CRS; write an EPSG code such as EPSG:25832: 'EPSG:nope'",
        "municipality.toml: nmae: ukendt nøgle / unknown key; mente du 'name'? / did you mean 'name'?",
    ]
    assert bad[-1].allowed == "name"


def test_municipality_toml_reads_as_it_always_did(tmp_path: Path) -> None:
    """Codes may be written as numbers, text is trimmed and the CRS is written as pyproj writes it."""
    folder = tmp_path / "delivery"
    folder.mkdir()
    (folder / "municipality.toml").write_text('name = " Testby Kommune "\ncode = 630\nregion = "1083"\n')
    assert read_municipality(folder) == (Municipality("Testby Kommune", "630", "1083", "EPSG:25832"), [])
    (folder / "municipality.toml").write_text('name = "X"\ncode = "998"\nregion = 1084\ncrs = "epsg:4326"\n')
    assert read_municipality(folder) == (Municipality("X", "998", "1084", "EPSG:4326"), [])


def test_many_bad_rows_are_counted_beyond_the_examples(tmp_path: Path, small: SmallDelivery) -> None:
    extra = [person(2020, f"p{i}", "adr-b1", "1990-01-01", education="folkeskole") for i in range(45)]
    small.persons.extend(extra)
    report = run(tmp_path, small)
    bad = find(report, "unknown-code")
    assert sum(p.count for p in bad) == 45
    assert len([p for p in bad if p.row is not None]) == 20
    assert report.error_count == 45


def test_missing_file_is_reported(tmp_path: Path, small: SmallDelivery) -> None:
    folder = small.write(tmp_path / "delivery")
    (folder / "persons.csv").unlink()
    report = check(folder)
    assert [p.file for p in find(report, "missing-file")] == ["persons.csv"]


def test_unreadable_file_is_reported(tmp_path: Path, small: SmallDelivery) -> None:
    folder = small.write(tmp_path / "delivery")
    (folder / "persons.csv").unlink()
    (folder / "persons.parquet").write_bytes(b"this is not parquet")
    report = check(folder)
    assert [p.file for p in find(report, "unreadable-file")] == ["persons.parquet"]


def test_cpr_numbers_never_appear_in_a_report(tmp_path: Path, small: SmallDelivery) -> None:
    small.persons.append(dict(small.persons[0]))  # duplicate key whose value is a CPR number
    small.persons[2].update(person_id="0101571234", sex="?")
    report = run(tmp_path, small)
    text = repr(report.to_dict())
    assert "duplicate-key" in report.codes()
    for cpr in ("010180-1111", "0101801111", "0101571234", "010157-1234"):
        assert cpr not in text


def test_comma_separated_danish_csv_via_mapping(tmp_path: Path, small: SmallDelivery) -> None:
    folder = small.write(tmp_path / "delivery")
    text = (folder / "persons.csv").read_text()
    lines = text.splitlines()
    header = lines[0].replace("person_id", "CPR").replace("education", "UDD")
    body = [ln.replace("gymnasial", "20").replace("uoplyst", "99") for ln in lines[1:]]
    (folder / "persons.csv").unlink()
    (folder / "befolkning.csv").write_text("\n".join([header, *body]) + "\n")
    (folder / "mapping.toml").write_text(
        '[persons]\nfile = "befolkning.csv"\n[persons.columns]\nperson_id = "CPR"\n'
        'education = "UDD"\n[persons.codes.education]\n"20" = "gymnasial"\n"99" = "uoplyst"\n'
    )
    report = check(folder)
    assert report.ok, report.problems

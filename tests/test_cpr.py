"""No CPR number is stored by any route: every column of every table is searched at ingest.

A column holding CPR numbers (as text, with or without the dash, or as a number that lost its
leading zero or came from Excel as a float) refuses the load unless the mapping file declares it
to be pseudonymised; then the whole database is searched, byte by byte and value by value, for
every CPR number delivered. Extra persons columns are stored only when their type is known.

Assertion messages name tables and columns, never a value: a failing test must not print a CPR
number either.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from boligsocial.common.errors import ConfigError, DeliveryInvalid
from boligsocial.common.problems import Report, mask_cpr
from boligsocial.ingest import cpr
from boligsocial.ingest.mapping import Mapping, TableMapping, load_mapping, parse_mapping
from boligsocial.ingest.pseudonym import load_or_create_key, pseudonymise
from boligsocial.pipeline import load
from boligsocial.pipeline.delivery import check
from builders import SmallDelivery
from conftest import KEY

# --- the shape of a CPR number ----------------------------------------------------------------

CPR_SHAPED = [
    "010180-1111",
    "0101801111",
    "311299-9999",
    "300480-1234",  # 30 April
    "290280-1234",  # 29 Feb in a leap year
    "290200-1234",  # 00 is divisible by 4: 2000 was a leap year (1900 was not; the century is unknown)
    "290296-1234",
    "101801111",  # 0101801111 read as a number
    "101801111.0",
    "0101801111.0",
    "1012801111",  # 10 Dec 1980
    "1012801111.0",
    "1.012801111e9",  # a float of that size written by a program
    "1.012801111E+09",
    "Ring til 010180-1111 om sagen",  # a word in free text
    "kontakt:0101801111.",
]
NOT_CPR_SHAPED = [
    "290281-1234",  # 29 Feb in 1981
    "290290-1234",  # 90 is not divisible by 4
    "310480-1234",  # 31 April
    "320180-1111",
    "000180-1111",  # day 00
    "011380-1111",  # month 13
    "010080-1111",  # month 00
    "01018-01111",  # dash after the fifth digit
    "0101-801111",
    "010180--1111",
    "01018011111",  # eleven digits
    "010180-11111",
    "12345678",
    "123456789",  # 0123456789: month 23
    "101801111.5",  # a fraction: a number, not an identifier
    "1018011110",  # 10/18/01: month 18
    "-101801111",
    "ab010180-1111-4abc-8def-123456789012",  # hex digits inside a UUID are no CPR number
    "36d15555-9ff7-4cda-ae65-868c0ae5d2fc",
    "x0101801111",
    "2015-01-01",
    "541361.52",
    "1.01e9",  # 1010000000, but written with too few digits to be an identifier
    "",
]


def holds(values: list[str | None]) -> list[bool]:
    return (
        pl.DataFrame({"v": values}, schema={"v": pl.String}).select(cpr.holds_cpr(pl.col("v")))["v"].to_list()
    )


@pytest.mark.parametrize("text", CPR_SHAPED)
def test_cpr_shaped_values_are_found(text: str) -> None:
    assert holds([text]) == [True]
    assert pl.select(cpr.may_hold_cpr(pl.lit(text))).item() is True  # the first pass lets it through


@pytest.mark.parametrize("text", NOT_CPR_SHAPED)
def test_other_values_are_not_taken_for_cpr_numbers(text: str) -> None:
    assert holds([text]) == [False]


def test_a_missing_value_holds_no_cpr_number() -> None:
    assert holds([None]) == [False]


def test_every_date_of_a_year_and_nothing_else_starts_a_cpr_number() -> None:
    import datetime as dt

    leap, common = dt.date(1980, 1, 1), dt.date(1981, 1, 1)
    days = {(leap + dt.timedelta(d)).strftime("%d%m") for d in range(366)}
    assert len(days) == 366
    candidates = [f"{dd:02d}{mm:02d}" for dd in range(100) for mm in range(100)]
    found = holds([f"{c}801234" for c in candidates])
    assert {c for c, hit in zip(candidates, found, strict=True) if hit} == days
    found_common = holds([f"{c}811234" for c in candidates])
    assert {c for c, hit in zip(candidates, found_common, strict=True) if hit} == days - {"2902"}
    assert len({(common + dt.timedelta(d)).strftime("%d%m") for d in range(365)}) == 365


@pytest.mark.parametrize(
    "spelling", ["010180-1111", "0101801111", "101801111", "101801111.0", "0101801111.0", "1.01801111e8"]
)
def test_every_spelling_of_one_cpr_number_normalises_to_its_ten_digits(spelling: str) -> None:
    assert pl.select(cpr.normalised(pl.lit(spelling))).item() == "0101801111"


@pytest.mark.parametrize("other", ["abc", "123456789", "101801111.5", "hh-0000001", "1018011110"])
def test_other_ids_are_not_normalised(other: str) -> None:
    assert pl.select(cpr.normalised(pl.lit(other))).item() == other


@pytest.mark.parametrize("text", ["101801111", "101801111.0", "1.012801111e9", "010180-1111", "0101801111"])
def test_problems_mask_every_spelling(text: str) -> None:
    assert text not in mask_cpr(f"value {text} here")


# --- deliveries with CPR numbers ------------------------------------------------------------------

#: CPR numbers of the small delivery's persons (as ten digits) and two of people outside it.
PERSON_CPRS = ["0101801111", "3112032222", "0101571234", "1506153333", "0202904444", "0303855555"]
OTHER_CPRS = ["2412997777", "2902048888"]


def dashed(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


def spelled(digits: str, form: str) -> object:
    """One CPR number as a delivery may hold it: text with or without the dash, integer or float."""
    return {
        "dash": dashed(digits),
        "plain": digits,
        "int": int(digits),
        "float": float(int(digits)),
        "float-text": f"{digits}.0",
    }[form]


def set_column(rows: list[dict], column: str, values: list[object]) -> None:
    for i, row in enumerate(rows):
        row[column] = values[i % len(values)]


def persons_column(form: str, column: str = "contact_cpr") -> Callable[[SmallDelivery], None]:
    def mutate(d: SmallDelivery) -> None:
        set_column(d.persons, column, [spelled(c, form) for c in [*PERSON_CPRS, *OTHER_CPRS]])

    return mutate


def one_address(column: str, value: object) -> Callable[[SmallDelivery], None]:
    def mutate(d: SmallDelivery) -> None:
        for a in d.addresses:
            a[column] = value if a["address_id"] == "adr-a1" else None

    return mutate


def own_department_column(d: SmallDelivery, first: object) -> None:
    """The addresses' housing_department under the municipality's own name `AFD`."""
    for a in d.addresses:
        a["AFD"] = a.pop("housing_department")
    d.addresses[0]["AFD"] = first


def with_moves(d: SmallDelivery, **extra: object) -> None:
    d.moves = [
        {
            "person_id": "010180-1111",
            "move_date": "2021-05-01",
            "from_address_id": "adr-b1",
            "to_address_id": "adr-a1",
            **extra,
        },
        {
            "person_id": "020290-4444",
            "move_date": "2021-06-01",
            "from_address_id": None,
            "to_address_id": "adr-b1",
        },
    ]
    if extra:
        d.moves[1].update({k: None for k in extra})


def with_lists(d: SmallDelivery, **extra: object) -> None:
    d.official_lists = [{"list_year": 2019, "area_id": "a-almen", "list": "udsat", **extra}]


def areas_column(column: str, value: object, areas_file: str) -> Callable[[SmallDelivery], None]:
    def mutate(d: SmallDelivery) -> None:
        d.areas_file = areas_file
        set_column(d.areas, column, [value])

    return mutate


@dataclass
class Refused:
    """A delivery with a CPR column, the problem it must get, and how its files are written."""

    id: str
    mutate: Callable[[SmallDelivery], None]
    file: str
    column: str
    rows: int
    fmt: str = "csv"
    mapping: str = ""
    pseudonymisable: bool = True


REFUSED = [
    Refused("persons-text-dash", persons_column("dash"), "persons.csv", "contact_cpr", 7),
    Refused("persons-text-plain", persons_column("plain"), "persons.csv", "contact_cpr", 7),
    Refused("persons-text-float", persons_column("float-text"), "persons.csv", "contact_cpr", 7),
    Refused("persons-int-parquet", persons_column("int"), "persons.parquet", "contact_cpr", 7, "parquet"),
    Refused("persons-float-parquet", persons_column("float"), "persons.parquet", "contact_cpr", 7, "parquet"),
    Refused("persons-int-xlsx", persons_column("int"), "persons.xlsx", "contact_cpr", 7, "xlsx"),
    Refused("persons-float-xlsx", persons_column("float"), "persons.xlsx", "contact_cpr", 7, "xlsx"),
    Refused(
        "persons-declared-number",
        persons_column("int"),
        "persons.parquet",
        "contact_cpr",
        7,
        "parquet",
        '[persons.extra]\ncontact_cpr = "number"\n',
    ),
    Refused(
        "persons-one-row",
        lambda d: d.persons[3].update(note="ring 1506153333 i morgen"),
        "persons.csv",
        "note",
        1,
    ),
    Refused("addresses-extra", one_address("caretaker", "010180-1111"), "addresses.csv", "caretaker", 1),
    Refused(
        "addresses-department",
        one_address("housing_department", 101801111),
        "addresses.parquet",
        "housing_department",
        1,
        "parquet",
    ),
    Refused(
        "addresses-mapped-name",
        lambda d: own_department_column(d, "0101801111"),
        "addresses.csv",
        "housing_department",
        1,
        mapping='[addresses.columns]\nhousing_department = "AFD"\n',
    ),
    Refused(
        "moves-extra",
        lambda d: with_moves(d, registered_by="3112032222"),
        "moves.csv",
        "registered_by",
        1,
    ),
    Refused(
        "moves-extra-int",
        lambda d: with_moves(d, registered_by=3112032222),
        "moves.parquet",
        "registered_by",
        1,
        "parquet",
    ),
    Refused(
        "official-lists-text",
        lambda d: with_lists(d, note="indstillet af 010180-1111"),
        "official_lists.csv",
        "note",
        1,
    ),
    Refused(
        "official-lists-area-id",
        lambda d: with_lists(d, area_id="0101801111"),
        "official_lists.csv",
        "area_id",
        1,
        pseudonymisable=False,
    ),
    Refused(
        "reference-value",
        lambda d: d.reference[1].update(value=1012801111.0),
        "reference.csv",
        "value",
        1,
        pseudonymisable=False,
    ),
    Refused(
        "reference-extra",
        lambda d: set_column(d.reference, "source", ["010180-1111", None]),
        "reference.csv",
        "source",
        2,
    ),
    Refused(
        "areas-gpkg-text", areas_column("contact", "010180-1111", "areas.gpkg"), "areas.gpkg", "contact", 3
    ),
    Refused("areas-gpkg-int", areas_column("contact", 101801111, "areas.gpkg"), "areas.gpkg", "contact", 3),
    Refused(
        "areas-geojson-float",
        areas_column("contact", 1012801111.0, "areas.geojson"),
        "areas.geojson",
        "contact",
        3,
    ),
    Refused("areas-shp-int", areas_column("contact", 1012801111, "areas.shp"), "areas.shp", "contact", 3),
    Refused(
        "areas-name",
        lambda d: d.areas[1].update(name="Kontakt 010180-1111"),
        "areas.gpkg",
        "name",
        1,
    ),
]


@pytest.fixture
def baseline(small_loaded: Path) -> tuple[Path, Path]:
    """A database loaded from the clean small delivery (once per run), and its key file."""
    return small_loaded / "bsm.duckdb", small_loaded / KEY


def write(d: SmallDelivery, folder: Path, fmt: str, mapping: str = "") -> Path:
    """Write the delivery's files in `fmt`, with a mapping file when one is given."""
    d.write(folder, fmt=fmt)
    if mapping:
        (folder / "mapping.toml").write_text(mapping, encoding="utf-8")
    return folder


def delivered_forms(values: list[str]) -> list[str]:
    return [f for v in values for f in (v, dashed(v), str(int(v)))]


def report_text(report: Report) -> str:
    return repr(report.to_dict())


@pytest.mark.parametrize("case", REFUSED, ids=[c.id for c in REFUSED])
def test_a_cpr_column_refuses_the_load_and_leaves_the_database(
    tmp_path: Path, baseline: tuple[Path, Path], case: Refused
) -> None:
    source_db, key = baseline
    db = tmp_path / "bsm.duckdb"
    shutil.copy2(source_db, db)
    before = db.read_bytes()
    d = SmallDelivery()
    case.mutate(d)
    folder = write(d, tmp_path / "delivery", case.fmt, case.mapping)
    with pytest.raises(DeliveryInvalid) as info:
        load(folder, db, key)
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bsm.duckdb", "delivery"]
    report = info.value.report
    found = [p for p in report.problems if p.code == "cpr-in-column"]
    assert [(p.file, p.column, p.count) for p in found] == [(case.file, case.column, case.rows)]
    problem = found[0]
    assert problem.severity.value == "error" and problem.value is None and problem.row is None
    assert case.file in problem.message and f"'{case.column}'" in problem.message
    assert f"{case.rows} row" in problem.message
    assert ("pseudonymise" in problem.message) is case.pseudonymisable
    text = report_text(report) + str(info.value)
    leaked = [i for i, form in enumerate(delivered_forms(PERSON_CPRS + OTHER_CPRS)) if form in text]
    assert not leaked, "a CPR number appears in the report"
    # `bsm check` refuses it the same way
    assert "cpr-in-column" in check(folder).codes()


def test_the_message_reads_well(tmp_path: Path) -> None:
    d = SmallDelivery()
    persons_column("dash")(d)
    report = check(d.write(tmp_path / "delivery"))
    (problem,) = [p for p in report.problems if p.code == "cpr-in-column"]
    assert problem.message == (
        "persons.csv: column 'contact_cpr' holds CPR numbers in 7 rows (the first is row 1); declare "
        'it in the mapping file (pseudonymise = ["contact_cpr"] in its persons section) to store it '
        "only as pseudonyms, or leave it out of the delivery"
    )
    assert report.error_count == 7  # one error per row, like every other check


def test_the_contracts_own_identifiers_may_hold_cpr_numbers(tmp_path: Path) -> None:
    d = SmallDelivery()
    for p, household in zip(d.persons, PERSON_CPRS + PERSON_CPRS, strict=False):
        p["household_id"] = household  # a household named after its head's CPR number
    with_moves(d)
    report = check(d.write(tmp_path / "delivery"))
    assert report.ok and "cpr-in-column" not in report.codes(), report.problems


def test_an_undeclared_cpr_column_gets_only_the_error(tmp_path: Path) -> None:
    d = SmallDelivery()
    persons_column("dash")(d)
    report = check(d.write(tmp_path / "delivery"))
    assert [p.column for p in report.problems if p.code == "extra-column-ignored"] == []


# --- declared to be pseudonymised: loads, and the database holds no CPR number -----------------

DECLARED = """
[persons]
pseudonymise = ["contact_cpr"]
[addresses]
pseudonymise = ["caretaker", "AFD"]
[addresses.columns]
housing_department = "AFD"
[moves]
pseudonymise = ["registered_by"]
[official_lists]
pseudonymise = ["note"]
[reference]
pseudonymise = ["source"]
[areas]
pseudonymise = ["contact", "name"]
"""


def cpr_everywhere(d: SmallDelivery, form: str) -> list[str]:
    """Put CPR numbers (in one spelling) into a column of every table; the ten digits delivered."""
    values = [*PERSON_CPRS, *OTHER_CPRS]
    persons_column(form)(d)
    for i, a in enumerate(d.addresses):
        a["caretaker"] = spelled(OTHER_CPRS[i % 2], form)
        a["AFD"] = spelled(PERSON_CPRS[i], form)
        a.pop("housing_department")
    with_moves(d, registered_by=spelled(PERSON_CPRS[1], form))
    with_lists(d, note=spelled(OTHER_CPRS[0], form))
    set_column(d.reference, "source", [spelled(PERSON_CPRS[2], form)])
    set_column(d.areas, "contact", [spelled(c, form) for c in PERSON_CPRS[:3]])
    d.areas[0]["name"] = (
        f"Område {dashed(OTHER_CPRS[1])}" if form in ("dash", "plain") else d.areas[0]["name"]
    )
    return values


def cells(value: Any) -> Iterator[Any]:
    """Every scalar inside a value read back from DuckDB (lists, structs and maps included)."""
    if isinstance(value, list | tuple):
        for v in value:
            yield from cells(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from cells(v)
    else:
        yield value


def cpr_hits(db: Path, delivered: list[str]) -> list[str]:
    """Where the database holds a delivered CPR number: file names for raw bytes, table.column for
    values. Text is searched for every spelling, numbers are compared with the number's value."""
    forms = [f for c in delivered for f in (c, dashed(c))]
    numbers = {int(c) for c in delivered}
    hits = []
    for f in [db, *db.parent.glob("*.wal")]:
        data = f.read_bytes()
        hits += [f"{f.name}: bytes" for form in forms if form.encode() in data]
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("SELECT database_name, schema_name, table_name FROM duckdb_tables()").fetchall()
        assert len(tables) > 20
        for database, schema, table in tables:
            result = con.execute(f'SELECT * FROM "{database}"."{schema}"."{table}"')
            names = [c[0] for c in result.description]
            for row in result.fetchall():
                for name, value in zip(names, row, strict=True):
                    if any(_holds(v, forms, numbers) for v in cells(value)):
                        hits.append(f"{table}.{name}")
    finally:
        con.close()
    return sorted(set(hits))


def _holds(value: Any, forms: list[str], numbers: set[int]) -> bool:
    if isinstance(value, str):
        return any(form in value for form in forms)
    if isinstance(value, bytes | bytearray | memoryview):
        return any(form.encode() in bytes(value) for form in forms)
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float | Decimal) and abs(float(value)) < 1e12:  # finite, CPR-sized
        return value == int(value) and int(value) in numbers
    return False


@pytest.mark.slow  # a load per spelling and format
@pytest.mark.parametrize(
    ("form", "fmt", "areas_file"),
    [
        ("dash", "csv", "areas.gpkg"),
        ("plain", "csv", "areas.geojson"),
        ("float-text", "csv", "areas.shp"),
        ("int", "parquet", "areas.gpkg"),
        ("float", "parquet", "areas.geojson"),
        ("int", "xlsx", "areas.shp"),
        ("float", "xlsx", "areas.gpkg"),
    ],
)
def test_declared_columns_load_as_pseudonyms_and_no_cpr_number_is_stored(
    tmp_path: Path, key_file: Path, form: str, fmt: str, areas_file: str
) -> None:
    d = SmallDelivery(areas_file=areas_file)
    delivered = cpr_everywhere(d, form)
    folder = write(d, tmp_path / "delivery", fmt, DECLARED)
    db = tmp_path / "bsm.duckdb"
    summary = load(folder, db, key_file)
    assert "cpr-in-column" not in summary.report.codes()
    assert cpr_hits(db, delivered + PERSON_CPRS) == []

    # the declared persons column is the same keyed pseudonym as person_id: it links to the person
    con = duckdb.connect(str(db), read_only=True)
    try:
        types = dict(
            con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'persons'"
            ).fetchall()
        )
        assert types["contact_cpr"] == "VARCHAR"
        linked = con.execute(
            "SELECT count(*) FROM persons p JOIN persons q "
            "ON p.contact_cpr = q.person_key AND p.year = q.year"
        ).fetchall()[0][0]
        departments = [
            r[0]
            for r in con.execute("SELECT housing_department FROM addresses ORDER BY address_id").fetchall()
        ]
        area_columns = {r[0] for r in con.execute("DESCRIBE areas").fetchall()}
        address_columns = {r[0] for r in con.execute("DESCRIBE addresses").fetchall()}
    finally:
        con.close()
    assert linked == 6  # every persons row whose contact is one of the delivery's persons
    key = load_or_create_key(key_file)
    expected = pseudonymise(pl.Series([PERSON_CPRS[i] for i in range(3)]), key).to_list()
    assert sorted(departments) == sorted(expected)  # hashed in place, in any spelling
    assert "contact" not in area_columns and "caretaker" not in address_columns  # outside the contract


def test_a_number_spelling_gets_the_persons_own_pseudonym(tmp_path: Path, key_file: Path) -> None:
    d = SmallDelivery()
    for p in d.persons:
        p["contact_cpr"] = 101801111  # 010180-1111, the first person, read as a number
    db = tmp_path / "bsm.duckdb"
    load(write(d, tmp_path / "delivery", "parquet", DECLARED), db, key_file)
    con = duckdb.connect(str(db), read_only=True)
    try:
        pairs = con.execute("SELECT DISTINCT contact_cpr FROM persons").fetchall()
    finally:
        con.close()
    own = pseudonymise(pl.Series(["010180-1111"]), load_or_create_key(key_file)).to_list()
    assert pairs == [(own[0],)]


# --- extra persons columns need a type ---------------------------------------------------------


def persons_columns(db: Path) -> dict[str, str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0]: r[1] for r in con.execute("DESCRIBE persons").fetchall()}
    finally:
        con.close()


def test_an_undeclared_extra_column_is_dropped_with_a_warning(tmp_path: Path, key_file: Path) -> None:
    d = SmallDelivery()
    set_column(d.persons, "note", ["free text"])
    set_column(d.persons, "rent", [1234.5, 0.0])  # numeric, but its meaning is unknown: not kept
    db = tmp_path / "bsm.duckdb"
    summary = load(d.write(tmp_path / "delivery"), db, key_file)
    warned = sorted(p.column or "" for p in summary.report.problems if p.code == "extra-column-ignored")
    assert warned == ["note", "rent"]
    assert all(
        p.severity.value == "warning" for p in summary.report.problems if p.code == "extra-column-ignored"
    )
    columns = persons_columns(db)
    assert "note" not in columns and "rent" not in columns
    assert columns["eviction"] == "BOOLEAN"  # a column the catalogue knows is kept without a declaration
    assert "special_class" not in columns  # and one not delivered is not made up


def test_a_declared_extra_column_is_kept_with_its_type(tmp_path: Path, key_file: Path) -> None:
    d = SmallDelivery()
    set_column(d.persons, "rent_arrears", ["ja", "nej", None])
    set_column(d.persons, "debt_dkk", [1500.5, 0, None])
    db = tmp_path / "bsm.duckdb"
    mapping = '[persons.extra]\nrent_arrears = "bool"\ndebt_dkk = "number"\n'
    summary = load(write(d, tmp_path / "delivery", "csv", mapping), db, key_file)
    assert "extra-column-ignored" not in summary.report.codes()
    columns = persons_columns(db)
    assert columns["rent_arrears"] == "BOOLEAN" and columns["debt_dkk"] == "DOUBLE"


def test_a_declared_extra_column_with_a_bad_value_is_an_error(tmp_path: Path) -> None:
    d = SmallDelivery()
    set_column(d.persons, "rent_arrears", ["ja", "måske"])
    folder = write(d, tmp_path / "delivery", "csv", '[persons.extra]\nrent_arrears = "bool"\n')
    bad = [p for p in check(folder).problems if p.code == "bad-type"]
    assert [(p.column, p.row) for p in bad] == [("rent_arrears", 2), ("rent_arrears", 4), ("rent_arrears", 6)]


def test_known_extra_columns_are_typed_and_checked(tmp_path: Path) -> None:
    d = SmallDelivery()
    set_column(d.persons, "school_absence_pct", [12.5, 130])
    problems = check(d.write(tmp_path / "delivery")).problems
    out_of_range = [(p.column, p.row) for p in problems if p.code == "out-of-range"]
    assert out_of_range == [("school_absence_pct", 2), ("school_absence_pct", 4), ("school_absence_pct", 6)]


# --- the mapping keys themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        (
            {"addresses": {"extra": {"x": "bool"}}},
            "addresses.extra: ukendt nøgle / unknown key "
            "(tilladt/allowed: file, columns, codes, formats, pseudonymise)",
        ),
        (
            {"persons": {"extra": {"x": "text"}}},
            "persons.extra.x: ukendt værdi / unknown value: 'text' (tilladt/allowed: bool, number)",
        ),
        (
            {"persons": {"pseudonymise": "contact_cpr"}},
            "persons.pseudonymise: skal være en liste, fx [...] / must be a list, e.g. [...]",
        ),
        (
            {"persons": {"pseudonymise": ["x"], "extra": {"x": "number"}}},
            "persons.extra.x: også erklæret i pseudonymise; et pseudonym er tekst, ikke bool eller tal: "
            "vælg én / also declared in pseudonymise; a pseudonym is text, not a bool or number: choose one",
        ),
        (
            {"csv": {"separator": ";;"}},
            "csv.separator: må højst have 1 tegn / must have at most 1 character(s): ';;'",
        ),
    ],
)
def test_wrong_mapping_keys_are_refused(toml: dict[str, Any], says: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_mapping(toml)
    assert str(info.value).splitlines() == [
        "fejl i mappingfilen / mapping file problems:",
        f"  mapping.toml: {says}",
    ]


def test_a_misspelled_mapping_key_is_refused_with_a_hint_and_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "kortlægning.toml"
    path.write_text(
        '[csv]\nseperator = ";"\ndecimal_comma = "ja"\n'
        '[persons]\npseudonymize = ["contact_cpr"]\n[persons.columns]\nperson_id = "CPR"\n'
        '[adresses]\nfile = "adr.csv"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_mapping(path)
    assert str(info.value).splitlines()[1:] == [
        "  kortlægning.toml: csv.decimal_comma: skal være true eller false / must be true or false",
        "  kortlægning.toml: csv.seperator: ukendt nøgle / unknown key; "
        "mente du 'separator'? / did you mean 'separator'?",
        "  kortlægning.toml: persons.pseudonymize: ukendt nøgle / unknown key; "
        "mente du 'pseudonymise'? / did you mean 'pseudonymise'?",
        "  kortlægning.toml: adresses: ukendt nøgle / unknown key; "
        "mente du 'addresses'? / did you mean 'addresses'?",
    ]


def test_a_mapping_reads_as_it_always_did() -> None:
    """The documented example (docs/delivery.md) gives exactly the mapping the hand-written loader
    gave: codes written as numbers are text, own names in pseudonymise and extra become the
    contract's, and only the sections written are tables."""
    m = parse_mapping(
        {
            "csv": {"separator": ";", "decimal_comma": True},
            "persons": {
                "file": "befolkning.xlsx",
                "pseudonymise": ["contact_cpr", "CPR", "contact_cpr"],
                "columns": {"person_id": "CPR", "year": "AAR"},
                "codes": {"education": {"10": "grundskole", "20": 3}},
                "formats": {"birth_date": "%d-%m-%Y"},
                "extra": {"rent_arrears": "bool", "AAR": "number"},
            },
            "areas": {"file": "omraader.shp", "columns": {"area_id": "OMR_ID"}},
            "moves": {},
        }
    )
    assert m == Mapping(
        {
            "persons": TableMapping(
                "befolkning.xlsx",
                {"person_id": "CPR", "year": "AAR"},
                {"education": {"10": "grundskole", "20": "3"}},
                {"birth_date": "%d-%m-%Y"},
                ("contact_cpr", "person_id"),
                {"rent_arrears": "bool", "year": "number"},
            ),
            "areas": TableMapping("omraader.shp", {"area_id": "OMR_ID"}),
            "moves": TableMapping(),
        },
        ";",
        True,
    )
    assert parse_mapping({}) == Mapping() == load_mapping(None)


def test_mapping_names_may_be_the_deliverys_own() -> None:
    m = parse_mapping(
        {"addresses": {"pseudonymise": ["AFD"], "columns": {"housing_department": "AFD"}}, "persons": {}}
    )
    assert m.table("addresses").pseudonymise == ("housing_department",)


@pytest.mark.parametrize(
    ("mapping", "file", "column"),
    [
        ('[persons]\npseudonymise = ["year"]\n', "persons.csv", "year"),
        ('[persons]\npseudonymise = ["eviction"]\n', "persons.csv", "eviction"),
        ('[addresses]\npseudonymise = ["address_id"]\n', "addresses.csv", "address_id"),
        ('[areas]\npseudonymise = ["area_id"]\n', "areas.gpkg", "area_id"),
        ('[persons.extra]\nsex = "bool"\n', "persons.csv", "sex"),
        ('[persons.extra]\neviction = "number"\n', "persons.csv", "eviction"),
    ],
)
def test_declarations_the_contract_forbids_are_errors(
    tmp_path: Path, mapping: str, file: str, column: str
) -> None:
    folder = write(SmallDelivery(), tmp_path / "delivery", "csv", mapping)
    bad = [p for p in check(folder).problems if p.code == "bad-config"]
    assert [(p.file, p.column) for p in bad] == [(file, column)]


@pytest.mark.slow  # two loads
def test_pseudonymising_person_id_again_is_harmless(tmp_path: Path, key_file: Path) -> None:
    d = SmallDelivery()
    db_a, db_b = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    load(d.write(tmp_path / "plain"), db_a, key_file)
    load(write(d, tmp_path / "declared", "csv", '[persons]\npseudonymise = ["person_id"]\n'), db_b, key_file)
    sql = "SELECT person_key FROM persons ORDER BY ALL"
    keys = []
    for db in (db_a, db_b):
        con = duckdb.connect(str(db), read_only=True)
        keys.append(con.execute(sql).fetchall())
        con.close()
    assert keys[0] == keys[1]

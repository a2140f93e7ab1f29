"""The load pipeline: delivery files → validated tables → pseudonyms → areas → indicators → database.

This module is the I/O edge that strings the pure steps together; `check` stops after validation and
coverage, `load` goes on and commits everything atomically.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import shapely

from boligsocial import __version__
from boligsocial.areas import OPEN_FROM, OPEN_TO, Areas, transform_points, validate_areas
from boligsocial.assign import Assignment, assign_addresses
from boligsocial.backtest import history_until
from boligsocial.catalogue import Indicator, load_catalogue
from boligsocial.classify import FIGURES, classify, exact_figures
from boligsocial.contract import ADDRESSES, MOVES, OFFICIAL_LISTS, PERSONS, REFERENCE, Table
from boligsocial.errors import DatabaseError, DeliveryInvalid
from boligsocial.forecast import forecast
from boligsocial.indicators import MUNICIPALITY_LAYER, compute, usable
from boligsocial.lists import DISAGREEMENT_SCHEMA, Ages, compute_lists, results_frame
from boligsocial.mapping import Mapping, TableMapping, load_mapping
from boligsocial.measures import compute_measures
from boligsocial.moves import decompositions, moves_in
from boligsocial.municipality import Municipality, read_municipality
from boligsocial.problems import Problem, Report
from boligsocial.progress import Progress, silent
from boligsocial.pseudonym import key_id, load_or_create_key, pseudonymise
from boligsocial.rulesets import RuleBook, load_rulebook
from boligsocial.sources import ROW, find_areas, find_table, read_areas, read_table
from boligsocial.store import SCHEMA_VERSION, frame, get_meta, list_inputs, replace_rows, replacing, set_meta
from boligsocial.trafficlight import Model, colours, load_models
from boligsocial.validate import check_persons, check_reference, validate_table

MAPPING_FILE = "mapping.toml"
INDICATOR_FILE = "indicators.toml"
TRAFFIC_FILE = "trafficlight.toml"
#: Which housing organisations have dwellings in each area (latest boundaries): a housing
#: association's own areas, for its detailed profiles.
AREA_ORGANISATIONS = """
    SELECT aa.layer, aa.area_id, a.housing_org, count(*) AS dwellings
    FROM address_areas aa JOIN addresses a USING (address_id)
    WHERE a.housing_org IS NOT NULL AND aa.year_to = (SELECT max(year_to) FROM address_areas)
    GROUP BY ALL ORDER BY ALL
"""


def _own(delivery: Path, name: str) -> Path | None:
    """A municipality's own settings file in the delivery folder, if there is one."""
    return delivery / name if (delivery / name).is_file() else None


@dataclass
class Delivery:
    """A validated delivery in memory. `persons.person_id` is raw until `pseudonymised`."""

    path: Path
    municipality: Municipality
    areas: Areas
    addresses: pl.DataFrame
    persons: pl.DataFrame
    reference: pl.DataFrame
    moves: pl.DataFrame | None
    official_lists: pl.DataFrame | None
    fingerprint: str
    indicator_files: list[Path] = field(default_factory=list)

    @property
    def years(self) -> list[int]:
        return sorted(self.persons.get_column("year").drop_nulls().unique().to_list())


@dataclass
class LoadSummary:
    """What a load did, for the CLI and the benchmark."""

    municipality: str
    years: list[int]
    persons_rows: int
    report: Report
    seconds: dict[str, float]


def fingerprint(path: Path) -> str:
    """SHA-256 over the delivery's file names and bytes: identifies exactly what was loaded."""
    digest = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file()):
        digest.update(f.name.encode())
        with f.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def _table(path: Path, mapping: Mapping, table: Table, report: Report) -> pl.DataFrame | None:
    tm = mapping.table(table.name)
    found = find_table(path, table.name, tm)
    if found is None:
        if table.required:
            report.add(
                Problem(
                    "missing-file",
                    f"{table.name} is missing from the delivery",
                    file=f"{table.name}.csv",
                    allowed=".csv, .parquet or .xlsx",
                )
            )
        return None
    raw, problems = read_table(found, mapping, tm)
    report.extend(problems)
    if raw is None:
        return None
    typed, problems = validate_table(raw.frame, table, raw.file, tm)
    report.extend(problems)
    return typed


def _reference_problems(reference: pl.DataFrame, years: list[int], region: str) -> list[Problem]:
    problems = []
    for metric, reg in (
        ("national_convicted_share_18plus", None),
        ("regional_mean_income_15_64", region),
    ):
        rows = reference.filter(pl.col("metric") == metric)
        rows = rows.filter(pl.col("region") == reg) if reg else rows
        missing = sorted(set(years) - set(rows.get_column("year").to_list()))
        if missing:
            problems.append(
                Problem(
                    "missing-reference",
                    f"reference.csv has no {metric}"
                    + (f" for region {reg}" if reg else "")
                    + f" for the year(s) {missing}",
                    file="reference.csv",
                    column="metric",
                    value=metric,
                )
            )
    return problems


def read_delivery(
    path: Path, mapping_path: Path | None = None, progress: Progress = silent
) -> tuple[Delivery | None, Report]:
    """Read and validate every file of a delivery; `None` when errors make it unusable."""
    report = Report()
    if not path.is_dir():
        report.add(Problem("missing-file", f"the delivery folder {path} does not exist", file=str(path)))
        return None, report
    mapping_path = mapping_path or (path / MAPPING_FILE if (path / MAPPING_FILE).is_file() else None)
    mapping = load_mapping(mapping_path)
    progress("Læser og validerer leverancen", 0, 4)
    municipality, problems = read_municipality(path)
    report.extend(problems)
    addresses = _table(path, mapping, ADDRESSES, report)
    progress("Læser og validerer leverancen", 1, 4)
    persons = _table(path, mapping, PERSONS, report)
    progress("Læser og validerer leverancen", 2, 4)
    reference = _table(path, mapping, REFERENCE, report)
    moves = _table(path, mapping, MOVES, report)
    official = _table(path, mapping, OFFICIAL_LISTS, report)

    areas_tm = mapping.table("areas")
    areas_path = find_areas(path, areas_tm)
    areas: Areas | None = None
    if areas_path is None:
        report.add(
            Problem(
                "missing-file",
                "the areas geometry file is missing",
                file="areas.gpkg",
                allowed="areas.gpkg, areas.geojson or areas.shp",
            )
        )
    else:
        raw_areas, problems = read_areas(areas_path, areas_tm)
        report.extend(problems)
        if raw_areas is not None and municipality is not None:
            areas, problems = validate_areas(raw_areas, municipality.crs, areas_tm)
            report.extend(problems)
    progress("Læser og validerer leverancen", 3, 4)

    if persons is not None and addresses is not None:
        persons, problems = check_persons(
            persons, _file_name(path, mapping, PERSONS), addresses.get_column("address_id")
        )
        report.extend(problems)
    if moves is not None and addresses is not None:
        for column in ("from_address_id", "to_address_id"):
            report.extend(
                check_reference(
                    moves,
                    column,
                    addresses.get_column("address_id"),
                    _file_name(path, mapping, MOVES),
                    "addresses",
                )
            )
    if official is not None and areas is not None:
        report.extend(
            check_reference(
                official,
                "area_id",
                areas.frame.get_column("area_id"),
                _file_name(path, mapping, OFFICIAL_LISTS),
                "areas",
            )
        )
    if reference is not None and persons is not None and municipality is not None:
        years = sorted(persons.get_column("year").drop_nulls().unique().to_list())
        report.extend(_reference_problems(reference, years, municipality.region))
    progress("Læser og validerer leverancen", 4, 4)
    if (
        not report.ok
        or municipality is None
        or areas is None
        or addresses is None
        or persons is None
        or reference is None
    ):
        return None, report
    x, y = transform_points(
        addresses.get_column("x").to_numpy(), addresses.get_column("y").to_numpy(), municipality.crs
    )
    addresses = addresses.with_columns(pl.Series("x", x), pl.Series("y", y)).drop(ROW)
    own_catalogue = [own] if (own := _own(path, INDICATOR_FILE)) else []
    return Delivery(
        path,
        municipality,
        areas,
        addresses,
        persons.drop(ROW),
        reference.drop(ROW),
        None if moves is None else moves.drop(ROW),
        None if official is None else official.drop(ROW),
        fingerprint(path),
        own_catalogue,
    ), report


def _file_name(path: Path, mapping: Mapping, table: Table) -> str:
    found = find_table(path, table.name, mapping.table(table.name))
    return found.name if found else f"{table.name}.csv"


def _residents_per_address(persons: pl.DataFrame) -> pl.DataFrame:
    return (
        persons.filter(pl.col("address_id").is_not_null())
        .group_by("address_id", "year")
        .agg(pl.len().alias("n"))
    )


def check(
    path: Path,
    mapping_path: Path | None = None,
    allow_unassigned: bool = False,
    progress: Progress = silent,
) -> Report:
    """Validate a delivery and its area coverage without touching any database."""
    delivery, report = read_delivery(path, mapping_path, progress)
    if delivery is None:
        return report
    progress("Placerer adresser i områder", 0, 1)
    assignment = assign_addresses(
        delivery.areas,
        delivery.addresses,
        _residents_per_address(delivery.persons),
        delivery.years,
        allow_unassigned,
    )
    progress("Placerer adresser i områder", 1, 1)
    report.extend(assignment.problems)
    return report


def pseudonymised(delivery: Delivery, key: bytes) -> Delivery:
    """The delivery with person_id/household_id replaced by keyed hashes (raw ids dropped)."""
    persons = delivery.persons.with_columns(
        pseudonymise(delivery.persons.get_column("person_id"), key).alias("person_key"),
        pseudonymise(delivery.persons.get_column("household_id"), key).alias("household_key"),
    ).drop("person_id", "household_id", "birth_date")
    moves = delivery.moves
    if moves is not None:
        moves = moves.with_columns(pseudonymise(moves.get_column("person_id"), key).alias("person_key")).drop(
            "person_id"
        )
    return replace(delivery, persons=persons, moves=moves)


def _areas_frame(areas: Areas) -> pl.DataFrame:
    return areas.frame.drop(ROW).with_columns(
        pl.Series("geometry", shapely.to_wkb(areas.geometry), dtype=pl.Binary),
        pl.when(pl.col("valid_from") == OPEN_FROM)
        .then(None)
        .otherwise(pl.col("valid_from"))
        .alias("valid_from"),
        pl.when(pl.col("valid_to") == OPEN_TO).then(None).otherwise(pl.col("valid_to")).alias("valid_to"),
    )


def load(
    path: Path,
    db: Path,
    key_path: Path,
    *,
    mapping_path: Path | None = None,
    indicator_files: list[Path] | None = None,
    rule_files: list[Path] | None = None,
    traffic_light_file: Path | None = None,
    allow_unassigned: bool = False,
    progress: Progress = silent,
) -> LoadSummary:
    """Validate, pseudonymise, assign, compute and commit one delivery atomically into `db`."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    delivery, report = read_delivery(path, mapping_path, progress)
    if delivery is None:
        raise DeliveryInvalid(report)
    catalogue = load_catalogue([*delivery.indicator_files, *(indicator_files or [])])
    seconds["read_validate"] = time.perf_counter() - t

    t = time.perf_counter()
    progress("Pseudonymiserer", 0, 1)
    key = load_or_create_key(key_path)
    delivery = pseudonymised(delivery, key)
    progress("Pseudonymiserer", 1, 1)
    seconds["pseudonymise"] = time.perf_counter() - t

    with replacing(db) as con:
        t = time.perf_counter()
        progress("Skriver leverancen", 0, 1)
        _check_compatible(get_meta(con), delivery.municipality, key_id(key))
        _merge(con, delivery)
        progress("Skriver leverancen", 1, 1)
        seconds["merge"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("Placerer adresser i områder", 0, 1)
        areas = delivery.areas
        addresses = frame(con, "SELECT * FROM addresses ORDER BY address_id")
        residents = frame(con, "SELECT * FROM persons WHERE address_id IS NOT NULL")
        years = sorted(residents.get_column("year").unique().to_list())
        assignment: Assignment = assign_addresses(
            areas, addresses, _residents_per_address(residents), years, allow_unassigned
        )
        report.extend(assignment.problems)
        if not report.ok:
            raise DeliveryInvalid(report)
        replace_rows(con, "address_areas", assignment.frame, None)
        replace_rows(con, "area_organisations", frame(con, AREA_ORGANISATIONS), None)
        progress("Placerer adresser i områder", 1, 1)
        seconds["assign"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("Beregner indikatorer", 0, 1)
        indicators, skipped = usable(catalogue, set(residents.columns))
        report.extend(skipped)
        values = compute(residents, addresses, assignment.frame, indicators, delivery.municipality.code)
        write_indicators(con, indicators, values)
        progress("Beregner indikatorer", 1, 1)
        seconds["indicators"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("Beregner listerne", 0, 1)
        book = load_rulebook(rule_files)
        measures = {
            ages: compute_measures(residents, addresses, assignment.frame, delivery.municipality.code, ages)
            for ages in {rs.ages() for rs in book.rulesets}
        }
        replace_rows(
            con,
            "criteria_inputs",
            pl.concat(
                [m.with_columns(pl.lit(json.dumps(ages)).alias("ages")) for ages, m in measures.items()]
            ),
            None,
        )
        write_lists(con, book, measures, delivery.municipality.region)
        write_traffic_lights(con, load_models(traffic_light_file or _own(delivery.path, TRAFFIC_FILE)))
        progress("Beregner listerne", 1, 1)
        seconds["lists"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("Beregner flytninger", 0, 1)
        write_moves(con, residents)
        progress("Beregner flytninger", 1, 1)
        seconds["moves"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("Gemmer", 0, 1)
        _record_load(con, delivery, report, key)
        progress("Gemmer", 1, 1)
    seconds["commit"] = time.perf_counter() - t
    return LoadSummary(delivery.municipality.name, years, delivery.persons.height, report, seconds)


def write_lists(
    con: duckdb.DuckDBPyConnection, book: RuleBook, measures: dict[Ages, pl.DataFrame], region: str
) -> None:
    """Compute every list year the data allow and store results and disagreements."""
    areas, reference, official = list_inputs(con, region)
    rows, disagree = compute_lists(book, measures, areas, reference, official)
    results = results_frame(rows, book)
    replace_rows(con, "list_results", results, None)
    replace_rows(con, "list_disagreements", pl.DataFrame(disagree, schema=DISAGREEMENT_SCHEMA), None)
    latest = book.for_year(max(results.get_column("list_year").to_list()) + 1) if results.height else None
    if latest is not None:
        criteria, lists = forecast(
            book, measures[latest.ages()], areas, reference, history_until(official, results, 9999)
        )
        replace_rows(con, "forecast_criteria", criteria, None)
        replace_rows(con, "forecast_lists", lists, None)


MOVE_TABLES = (
    "move_displaced",
    "move_flows",
    "move_areas",
    "mover_profiles",
    "move_decomposition",
)


def write_moves(con: duckdb.DuckDBPyConnection, residents: pl.DataFrame) -> None:
    """Flows, per-area tallies, mover profiles and the exact decomposition for every layer."""
    years = sorted(residents.get_column("year").unique().to_list())
    if len(years) < 2:
        return
    # computed inside the database, where the person-years already are (no copy into a new one)
    con.execute("CREATE OR REPLACE TEMP VIEW residents AS SELECT * FROM persons WHERE address_id IS NOT NULL")
    con.execute("CREATE OR REPLACE TEMP VIEW assignment AS SELECT * FROM address_areas")
    has_moves = bool(con.execute("SELECT count(*) FROM moves").fetchall()[0][0])
    m = moves_in(con, years, has_moves)
    for table, data in zip(
        MOVE_TABLES,
        (m.displaced, m.flows, m.areas, m.profiles, decompositions(m.groups)),
        strict=True,
    ):
        replace_rows(con, table, data, None)


def write_traffic_lights(con: duckdb.DuckDBPyConnection, models: list[Model]) -> None:
    """Colours of every model for every area and year, from the stored lists and indicators."""
    results = frame(con, "SELECT * FROM list_results")
    values = frame(con, "SELECT * FROM indicator_values WHERE housing_type = '*'")
    replace_rows(con, "traffic_light", colours(models, results, values, MUNICIPALITY_LAYER), None)


def _check_compatible(meta: dict[str, str], municipality: Municipality, kid: str) -> None:
    if not meta:
        return
    if meta.get("municipality_code") != municipality.code:
        raise DatabaseError(
            f"the database holds municipality {meta.get('municipality_code')} "
            f"({meta.get('municipality_name')}), the delivery is {municipality.code}; use another --db"
        )
    if meta.get("key_id") != kid:
        raise DatabaseError(
            "the pseudonym key differs from the one this database was built with; "
            "use the same --key-file, or pseudonyms would not match across deliveries"
        )


def _merge(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    """Replace the delivered years, upsert addresses, and replace areas, reference and lists."""
    years = ", ".join(str(y) for y in delivery.years)
    replace_rows(con, "persons", delivery.persons, f"year IN ({years})")
    replace_rows(con, "addresses", delivery.addresses, "address_id IN (SELECT address_id FROM __new)")
    replace_rows(con, "areas", _areas_frame(delivery.areas), None)
    replace_rows(
        con,
        "reference",
        delivery.reference,
        "(year, metric, coalesce(region, '')) IN (SELECT (year, metric, coalesce(region, '')) FROM __new)",
    )
    if delivery.official_lists is not None:
        replace_rows(
            con,
            "official_lists",
            delivery.official_lists,
            "list_year IN (SELECT list_year FROM __new)",
        )
    if delivery.moves is not None:
        replace_rows(con, "moves", delivery.moves, f"year(move_date) IN ({years})")


def write_indicators(
    con: duckdb.DuckDBPyConnection, catalogue: list[Indicator], values: pl.DataFrame
) -> None:
    """Store the catalogue used and all indicator values (recomputed for every year on each load)."""
    definitions = pl.DataFrame(
        [
            {
                "id": i.id,
                "topic": i.topic,
                "label_da": i.label_da,
                "label_en": i.label_en,
                "unit": i.unit,
                "population": i.population.source,
                "value": i.value.source,
                "description_da": i.description_da,
                "description_en": i.description_en,
            }
            for i in catalogue
        ]
    )
    replace_rows(con, "indicators", definitions, None)
    replace_rows(con, "indicator_values", values, None)


def _record_load(con: duckdb.DuckDBPyConnection, delivery: Delivery, report: Report, key: bytes) -> None:
    load_id = con.execute("SELECT coalesce(max(load_id), 0) + 1 FROM loads").fetchall()[0][0]
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            load_id,
            datetime.now(UTC).replace(tzinfo=None),
            delivery.fingerprint,
            ",".join(map(str, delivery.years)),
            __version__,
            report.error_count,
            report.warning_count,
        ],
    )
    if report.problems:
        con.register(
            "__problems",
            pl.DataFrame(
                [
                    {
                        "load_id": load_id,
                        "code": p.code,
                        "severity": p.severity.value,
                        "file": p.file,
                        "row": p.row,
                        "column": p.column,
                        "value": p.value,
                        "message": p.message,
                        "count": p.count,
                    }
                    for p in report.problems
                ],
                schema={
                    "load_id": pl.Int32,
                    "code": pl.String,
                    "severity": pl.String,
                    "file": pl.String,
                    "row": pl.Int64,
                    "column": pl.String,
                    "value": pl.String,
                    "message": pl.String,
                    "count": pl.Int64,
                },
            ),
        )
        con.execute("INSERT INTO problems SELECT * FROM __problems")
        con.unregister("__problems")
    m = delivery.municipality
    set_meta(
        con,
        {
            "schema_version": SCHEMA_VERSION,
            "municipality_name": m.name,
            "municipality_code": m.code,
            "region": m.region,
            "source_crs": m.crs,
            "key_id": key_id(key),
            "tool_version": __version__,
            "last_fingerprint": delivery.fingerprint,
        },
    )


def classify_file(
    figures_path: Path,
    history_path: Path | None = None,
    without_origin: bool = False,
    rule_files: list[Path] | None = None,
) -> pl.DataFrame:
    """`bsm classify`: validate a figures file (and a history file), classify, return the results."""
    report = Report()
    mapping = Mapping()
    raw, problems = read_table(figures_path, mapping, mapping.table("figures"))
    report.extend(problems)
    typed = None
    if raw is not None:
        typed, problems = validate_table(raw.frame, FIGURES, raw.file, mapping.table("figures"))
        report.extend(problems)
    official = pl.DataFrame(schema={"list_year": pl.Int32, "area_id": pl.String, "list": pl.String})
    if history_path is not None:
        hist_raw, problems = read_table(history_path, mapping, mapping.table("official_lists"))
        report.extend(problems)
        if hist_raw is not None:
            hist, problems = validate_table(hist_raw.frame, OFFICIAL_LISTS, hist_raw.file, TableMapping())
            report.extend(problems)
            official = official if hist is None else hist.drop(ROW)
    if not report.ok or raw is None or typed is None:
        raise DeliveryInvalid(report)
    book = load_rulebook(rule_files)
    book = book.without_origin() if without_origin else book
    rows = classify(book, exact_figures(raw.frame, typed), official)
    return results_frame(rows, book)

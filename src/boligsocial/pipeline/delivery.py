"""A delivery read and validated: the municipality's files → typed, checked tables in memory.

`read_delivery` collects every problem of every file (nothing stops at the first), `check` adds the
area coverage, and `pseudonymised` replaces person ids, and every column the mapping file declares
to be pseudonymised, with keyed hashes before anything is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from boligsocial.common.problems import Problem, Report
from boligsocial.common.progress import Progress, silent
from boligsocial.contract import ADDRESSES, MOVES, OFFICIAL_LISTS, PERSONS, REFERENCE, TABLES, Table
from boligsocial.geo.areas import Areas, transform_points, validate_areas
from boligsocial.geo.assign import assign_addresses
from boligsocial.ingest.mapping import Mapping, load_mapping
from boligsocial.ingest.municipality import Municipality, read_municipality
from boligsocial.ingest.pseudonym import pseudonymise
from boligsocial.ingest.rules import check_persons, check_reference
from boligsocial.ingest.sources import ROW, find_areas, find_table, read_areas, read_table
from boligsocial.ingest.validate import validate_table

MAPPING_FILE = "mapping.toml"
INDICATOR_FILE = "indicators.toml"
TRAFFIC_FILE = "trafficlight.toml"


def own_file(delivery: Path, name: str) -> Path | None:
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
    #: Per table ("persons", "areas", ...): the columns the mapping file declares to be pseudonymised.
    declared_pseudonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return sorted(self.persons.get_column("year").drop_nulls().unique().to_list())


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
                    + f" for the data year(s) {', '.join(map(str, missing))} of persons; the lists "
                    "cannot be computed without it: add a row year;metric;region;value per year "
                    "(Danmarks Statistik publishes the figures)",
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
    progress("stage.validate", 0, 4)
    municipality, problems = read_municipality(path)
    report.extend(problems)
    addresses = _table(path, mapping, ADDRESSES, report)
    progress("stage.validate", 1, 4)
    persons = _table(path, mapping, PERSONS, report)
    progress("stage.validate", 2, 4)
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
    progress("stage.validate", 3, 4)

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
    progress("stage.validate", 4, 4)
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
    own_catalogue = [own] if (own := own_file(path, INDICATOR_FILE)) else []
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
        _declared_pseudonyms(mapping),
    ), report


def _declared_pseudonyms(mapping: Mapping) -> dict[str, tuple[str, ...]]:
    """Per table, the mapping's `pseudonymise` columns beyond the ids the contract hashes anyway
    (naming `person_id` there must not hash it twice)."""
    own = {t.name: t.pseudonymised for t in TABLES}
    declared = {
        name: tuple(c for c in tm.pseudonymise if c not in own.get(name, ()))
        for name, tm in mapping.tables.items()
    }
    return {name: columns for name, columns in declared.items() if columns}


def _file_name(path: Path, mapping: Mapping, table: Table) -> str:
    found = find_table(path, table.name, mapping.table(table.name))
    return found.name if found else f"{table.name}.csv"


def residents_per_address(persons: pl.DataFrame) -> pl.DataFrame:
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
    progress("stage.assign", 0, 1)
    assignment = assign_addresses(
        delivery.areas,
        delivery.addresses,
        residents_per_address(delivery.persons),
        delivery.years,
        allow_unassigned,
    )
    progress("stage.assign", 1, 1)
    report.extend(assignment.problems)
    return report


def _hash_declared(frame: pl.DataFrame, columns: tuple[str, ...], key: bytes) -> pl.DataFrame:
    """`frame` with each declared column present replaced, in place, by its keyed hashes (text)."""
    present = [c for c in columns if c in frame.columns]
    return frame.with_columns(pseudonymise(frame.get_column(c), key) for c in present)


def pseudonymised(delivery: Delivery, key: bytes) -> Delivery:
    """The delivery with person_id/household_id replaced by keyed hashes (raw ids dropped), and
    every column the mapping file declares to be pseudonymised hashed in place."""
    declared = delivery.declared_pseudonyms

    def hashed(name: str, frame: pl.DataFrame) -> pl.DataFrame:
        return _hash_declared(frame, declared.get(name, ()), key)

    persons = hashed("persons", delivery.persons).with_columns(
        pseudonymise(delivery.persons.get_column("person_id"), key).alias("person_key"),
        pseudonymise(delivery.persons.get_column("household_id"), key).alias("household_key"),
    )
    persons = persons.drop("person_id", "household_id", "birth_date")
    moves = delivery.moves
    if moves is not None:
        moves = moves.with_columns(pseudonymise(moves.get_column("person_id"), key).alias("person_key"))
        moves = hashed("moves", moves.drop("person_id"))
    official = delivery.official_lists
    return replace(
        delivery,
        persons=persons,
        moves=moves,
        addresses=hashed("addresses", delivery.addresses),
        reference=hashed("reference", delivery.reference),
        official_lists=None if official is None else hashed("official_lists", official),
        areas=Areas(hashed("areas", delivery.areas.frame), delivery.areas.geometry),
    )

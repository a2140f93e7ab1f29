"""A load: a delivery read and checked (`delivery`), pseudonymised, placed in the areas,
computed (`write`) and committed to the database in one swap, so a failed load leaves the old
database as it was."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import shapely

from boligsocial import __version__
from boligsocial.common.errors import DatabaseError, DeliveryInvalid
from boligsocial.common.problems import Report
from boligsocial.common.progress import Progress, silent
from boligsocial.compute.catalogue import load_catalogue
from boligsocial.compute.indicators import compute, usable
from boligsocial.compute.measures import compute_measures
from boligsocial.compute.rulesets import load_rulebook
from boligsocial.compute.trafficlight import load_models
from boligsocial.geo.areas import OPEN_FROM, OPEN_TO, Areas
from boligsocial.geo.assign import Assignment, assign_addresses
from boligsocial.geo.atoms import build_atoms
from boligsocial.ingest.municipality import Municipality
from boligsocial.ingest.pseudonym import key_id, load_or_create_key
from boligsocial.ingest.sources import ROW
from boligsocial.pipeline.delivery import (
    TRAFFIC_FILE,
    Delivery,
    own_file,
    pseudonymised,
    read_delivery,
    residents_per_address,
)
from boligsocial.pipeline.write import (
    from_atoms,
    write_indicators,
    write_lists,
    write_moves,
    write_statistics,
    write_traffic_lights,
)
from boligsocial.store.database import (
    SCHEMA_VERSION,
    frame,
    get_meta,
    replace_rows,
    replacing,
    set_meta,
)

#: Which housing organisations have dwellings in each area (latest boundaries): a housing
#: association's own areas, for its detailed profiles.
AREA_ORGANISATIONS = """
    SELECT aa.layer, aa.area_id, a.housing_org, count(*) AS dwellings
    FROM address_areas aa JOIN addresses a USING (address_id)
    WHERE a.housing_org IS NOT NULL AND aa.year_to = (SELECT max(year_to) FROM address_areas)
    GROUP BY ALL ORDER BY ALL
"""


@dataclass
class LoadSummary:
    """What a load did, for the CLI and the benchmark."""

    municipality: str
    years: list[int]
    persons_rows: int
    report: Report
    seconds: dict[str, float]


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
    wait: bool = True,
    waiting: Callable[[str], None] | None = None,
) -> LoadSummary:
    """Validate, pseudonymise, assign, compute and commit one delivery atomically into `db`.

    Loads of one database take turns: while another holds it, this one waits (telling `waiting`
    the other's process id) or, with `wait=False`, raises `files.Busy`."""
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    delivery, report = read_delivery(path, mapping_path, progress)
    if delivery is None:
        raise DeliveryInvalid(report)
    catalogue = load_catalogue([*delivery.indicator_files, *(indicator_files or [])])
    seconds["read_validate"] = time.perf_counter() - t

    t = time.perf_counter()
    progress("stage.pseudonymise", 0, 1)
    key = load_or_create_key(key_path)
    delivery = pseudonymised(delivery, key)
    progress("stage.pseudonymise", 1, 1)
    seconds["pseudonymise"] = time.perf_counter() - t

    with replacing(db, wait=wait, waiting=waiting) as con:
        t = time.perf_counter()
        progress("stage.write", 0, 1)
        _check_compatible(get_meta(con), delivery.municipality, key_id(key))
        _merge(con, delivery)
        progress("stage.write", 1, 1)
        seconds["merge"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("stage.assign", 0, 1)
        areas = delivery.areas
        addresses = frame(con, "SELECT * FROM addresses ORDER BY address_id")
        residents = frame(con, "SELECT * FROM persons WHERE address_id IS NOT NULL")
        years = sorted(residents.get_column("year").unique().to_list())
        assignment: Assignment = assign_addresses(
            areas, addresses, residents_per_address(residents), years, allow_unassigned
        )
        report.extend(assignment.problems)
        if not report.ok:
            raise DeliveryInvalid(report)
        replace_rows(con, "address_areas", assignment.frame, None)
        replace_rows(con, "area_organisations", frame(con, AREA_ORGANISATIONS), None)
        progress("stage.assign", 1, 1)
        seconds["assign"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("stage.indicators", 0, 1)
        atoms = build_atoms(assignment.frame, addresses.get_column("address_id"), years)
        indicators, skipped = usable(catalogue, set(residents.columns))
        report.extend(skipped)
        code = delivery.municipality.code
        per_atom = compute(residents, addresses, atoms.assignment(), indicators, code)
        values = from_atoms(
            per_atom, atoms, ["year", "indicator", "housing_type"], ["numerator", "denominator"]
        )
        write_indicators(con, indicators, values)
        progress("stage.indicators", 1, 1)
        seconds["indicators"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("stage.lists", 0, 1)
        book = load_rulebook(rule_files)
        atom_measures = {
            ages: compute_measures(residents, addresses, atoms.assignment(), code, ages)
            for ages in {rs.ages() for rs in book.rulesets}
        }
        measures = {
            ages: from_atoms(
                m, atoms, ["year"], [c for c in m.columns if c not in ("layer", "area_id", "year")]
            )
            .select(m.columns)
            .sort("layer", "area_id", "year")
            for ages, m in atom_measures.items()
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
        write_traffic_lights(con, load_models(traffic_light_file or own_file(delivery.path, TRAFFIC_FILE)))
        progress("stage.lists", 1, 1)
        seconds["lists"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("stage.disclosure", 0, 1)
        write_statistics(con, residents, addresses, atoms, indicators, per_atom, atom_measures, code)
        progress("stage.disclosure", 1, 1)
        seconds["statistics"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("stage.moves", 0, 1)
        write_moves(con, years, book.rulesets[-1].ages())  # the moves explain today's criteria
        progress("stage.moves", 1, 1)
        seconds["moves"] = time.perf_counter() - t

        t = time.perf_counter()
        progress("stage.save", 0, 1)
        _record_load(con, delivery, report, key)
        progress("stage.save", 1, 1)
    seconds["commit"] = time.perf_counter() - t
    return LoadSummary(delivery.municipality.name, years, delivery.persons.height, report, seconds)


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

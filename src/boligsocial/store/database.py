"""The DuckDB database: schema, atomic replacement of a whole load, and the reads other layers need.

A load works on a copy of the database file and swaps it into place with `os.replace` only after
every step has succeeded, so a failure at any point leaves the previous file byte for byte as it was;
loads of one database take turns (`files.exclusive`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from boligsocial.common.errors import DatabaseError
from boligsocial.common.files import exclusive, forget_kept, private_files, remove_stale_copies, restrict
from boligsocial.common.numbers import exact
from boligsocial.common.sql import ident
from boligsocial.compute.lists import Ages

SCHEMA_VERSION = "4"  # 2: lists, forecast, traffic lights, moves; 3: moves in every layer, by trait;
# 4: atoms and statistics for the disclosure step

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER, loaded_at TIMESTAMP, fingerprint VARCHAR, years VARCHAR,
    tool_version VARCHAR, errors INTEGER, warnings INTEGER);
CREATE TABLE IF NOT EXISTS problems (
    load_id INTEGER, code VARCHAR, severity VARCHAR, file VARCHAR, "row" BIGINT,
    "column" VARCHAR, value VARCHAR, message VARCHAR, count BIGINT);
CREATE TABLE IF NOT EXISTS areas (
    layer VARCHAR, area_id VARCHAR, name VARCHAR, kind VARCHAR, parent_id VARCHAR,
    valid_from INTEGER, valid_to INTEGER, geometry BLOB);
CREATE TABLE IF NOT EXISTS addresses (
    address_id VARCHAR, x DOUBLE, y DOUBLE, housing_type VARCHAR, housing_org VARCHAR,
    housing_department VARCHAR);
CREATE TABLE IF NOT EXISTS address_areas (
    layer VARCHAR, address_id VARCHAR, area_id VARCHAR, year_from INTEGER, year_to INTEGER);
CREATE TABLE IF NOT EXISTS persons (
    year INTEGER, person_key VARCHAR, address_id VARCHAR, age INTEGER, sex VARCHAR,
    origin VARCHAR, origin_country VARCHAR, nonwestern BOOLEAN, outside_fte DOUBLE,
    education VARCHAR, gross_income DOUBLE, taxable BOOLEAN, student BOOLEAN,
    convicted BOOLEAN, household_key VARCHAR);
CREATE TABLE IF NOT EXISTS reference (year INTEGER, metric VARCHAR, region VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS official_lists (list_year INTEGER, area_id VARCHAR, list VARCHAR);
CREATE TABLE IF NOT EXISTS moves (
    person_key VARCHAR, move_date DATE, from_address_id VARCHAR, to_address_id VARCHAR);
CREATE TABLE IF NOT EXISTS indicators (
    id VARCHAR, topic VARCHAR, label_da VARCHAR, label_en VARCHAR, unit VARCHAR,
    population VARCHAR, value VARCHAR, description_da VARCHAR, description_en VARCHAR);
CREATE TABLE IF NOT EXISTS criteria_inputs (layer VARCHAR, area_id VARCHAR, year INTEGER, ages VARCHAR);
CREATE TABLE IF NOT EXISTS list_results (layer VARCHAR, area_id VARCHAR, list_year INTEGER);
CREATE TABLE IF NOT EXISTS list_disagreements (layer VARCHAR, area_id VARCHAR, list_year INTEGER);
CREATE TABLE IF NOT EXISTS forecast_criteria (layer VARCHAR, area_id VARCHAR, list_year INTEGER);
CREATE TABLE IF NOT EXISTS forecast_lists (layer VARCHAR, area_id VARCHAR, list_year INTEGER);
CREATE TABLE IF NOT EXISTS area_organisations (
    layer VARCHAR, area_id VARCHAR, housing_org VARCHAR, dwellings BIGINT);
CREATE TABLE IF NOT EXISTS move_flows (layer VARCHAR, year INTEGER);
CREATE TABLE IF NOT EXISTS move_displaced (layer VARCHAR, year INTEGER);
DROP TABLE IF EXISTS move_housing;
DROP TABLE IF EXISTS move_kinds;
CREATE TABLE IF NOT EXISTS move_areas (layer VARCHAR, year INTEGER, area_id VARCHAR);
CREATE TABLE IF NOT EXISTS mover_profiles (layer VARCHAR, year INTEGER, area_id VARCHAR);
CREATE TABLE IF NOT EXISTS move_decomposition (layer VARCHAR, area_id VARCHAR, year INTEGER);
CREATE TABLE IF NOT EXISTS traffic_light (model VARCHAR, layer VARCHAR, area_id VARCHAR, year INTEGER);
CREATE TABLE IF NOT EXISTS traffic_light_models (
    model VARCHAR, kind VARCHAR, inputs VARCHAR, label_da VARCHAR, label_en VARCHAR
);
CREATE TABLE IF NOT EXISTS atoms (year INTEGER, atom_id VARCHAR, layer VARCHAR, area_id VARCHAR);
CREATE TABLE IF NOT EXISTS atom_values (year INTEGER, atom_id VARCHAR, statistic VARCHAR, value DOUBLE);
CREATE TABLE IF NOT EXISTS statistics (id VARCHAR, kind VARCHAR, canonical VARCHAR);
CREATE TABLE IF NOT EXISTS statistic_relations (derivation INTEGER, statistic VARCHAR, coefficient INTEGER);
CREATE TABLE IF NOT EXISTS indicator_values (
    layer VARCHAR, area_id VARCHAR, year INTEGER, indicator VARCHAR, housing_type VARCHAR,
    numerator DOUBLE, denominator BIGINT);
"""


def connect_read(path: Path) -> duckdb.DuckDBPyConnection:
    """Open an existing database read-only; a clear error when it is missing or not ours."""
    if not path.is_file():
        raise DatabaseError(f"no database at {path}; create one with: bsm load DELIVERY --db {path}")
    try:
        con = duckdb.connect(str(path), read_only=True)
        con.execute("SET enable_progress_bar = false")  # the CLI draws its own
    except duckdb.Error as exc:
        raise DatabaseError(f"{path} is not a DuckDB database: {exc}") from exc
    try:
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    except duckdb.Error:
        version = []
    if not version:
        con.close()
        raise DatabaseError(f"{path} is not a boligsocial database")
    return con


@contextmanager
def replacing(
    path: Path, *, wait: bool = True, waiting: Callable[[str], None] | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to a private copy of `path`; the copy replaces `path` only if the block succeeds.

    One load at a time: the block holds the database's lock (`files.exclusive`; `wait=False` raises
    `files.Busy` at once instead of waiting). The copy lives beside the database with the tool's
    file mode (0600) and is removed on every exit path that Python sees; what a killed load left
    behind is removed by the next one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(path, wait, waiting), private_files():
        remove_stale_copies(path)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".loading", dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        tmp.unlink()
        wal = path.with_name(path.name + ".wal")
        try:
            if path.exists():
                shutil.copyfile(path, tmp)  # not copy2: the copy gets the tool's mode, not the old one
                if wal.exists():
                    shutil.copyfile(wal, tmp.with_name(tmp.name + ".wal"))
            con = duckdb.connect(str(tmp))
            restrict(tmp)
            con.execute("SET enable_progress_bar = false")  # the CLI draws its own
            try:
                con.execute(_DDL)
                con.execute("BEGIN TRANSACTION")
                yield con
                con.execute("COMMIT")
                con.execute("CHECKPOINT")
            finally:
                con.close()
            os.replace(tmp, path)
            wal.unlink(missing_ok=True)  # merged into the copy; replayed onto it, it would corrupt it
            forget_kept(path)  # protections of the old data
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)


def get_meta(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.execute("SELECT key, value FROM meta").fetchall())


def set_meta(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> None:
    for key, value in values.items():
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, new: pl.DataFrame, where: str | None) -> None:
    """Drop the rows matching `where` (all rows when None) and add `new`, keeping extra columns: in
    place when `new` brings no new column or type, else by rebuilding the table. A frame without
    columns (nothing computed, e.g. no forecast for a delivery without adults) only drops."""
    name, nxt = ident(table), ident(f"{table}__next")
    if not new.width:
        con.execute(f"DELETE FROM {name}" + (f" WHERE {where}" if where else ""))
        return
    con.register("__new", new)
    try:
        have = {r[0]: r[1] for r in con.execute(f"DESCRIBE {name}").fetchall()}
        incoming = {r[0]: r[1] for r in con.execute("DESCRIBE SELECT * FROM __new").fetchall()}
        if all(have.get(c) == t for c, t in incoming.items()):  # same columns and types: in place
            con.execute(f"DELETE FROM {name}" + (f" WHERE {where}" if where else ""))
            con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM __new")
            return
        keep = f"SELECT * FROM {name} WHERE NOT ({where})" if where else f"SELECT * FROM {name} WHERE false"
        con.execute(f"CREATE OR REPLACE TABLE {nxt} AS {keep} UNION ALL BY NAME SELECT * FROM __new")
        con.execute(f"DROP TABLE {name}")
        con.execute(f"ALTER TABLE {nxt} RENAME TO {name}")
    finally:
        con.unregister("__new")


def frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    """Run a query and return its result as a polars frame."""
    return con.sql(sql, params=params).pl()


def read_measures(con: duckdb.DuckDBPyConnection) -> dict[Ages, pl.DataFrame]:
    """The stored criteria building blocks, per age-band setting."""
    stored = frame(con, "SELECT * FROM criteria_inputs")
    return {
        tuple(tuple(band) for band in json.loads(key)): part.drop("ages")
        for (key,), part in stored.partition_by("ages", as_dict=True).items()
    }


def list_inputs(
    con: duckdb.DuckDBPyConnection, region: str
) -> tuple[pl.DataFrame, dict[tuple[str, int], Fraction], pl.DataFrame]:
    """Areas (one row each, latest version), reference figures as exact fractions, official lists."""
    areas = frame(
        con,
        "SELECT layer, area_id, arg_max(name, coalesce(valid_to, 9999)) AS name, "
        "arg_max(kind, coalesce(valid_to, 9999)) AS kind FROM areas GROUP BY layer, area_id",
    )
    reference = {
        (metric, year): exact(value)
        for year, metric, value in con.execute(
            "SELECT year, metric, value FROM reference WHERE region IS NULL OR region = ?", [region]
        ).fetchall()
    }
    official = frame(con, "SELECT list_year, area_id, list FROM official_lists")
    return areas, reference, official

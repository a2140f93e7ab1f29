"""The example delivery: every file of the data contract (areas, addresses, persons year by year,
reference figures, moves, official lists) written deterministically from a seed."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from boligsocial.common.progress import Progress, silent
from boligsocial.example.addresses import build_dwellings
from boligsocial.example.demography import World, populate, step
from boligsocial.example.geography import build_geography
from boligsocial.example.identifiers import CprRegistry, cpr_expr, household_expr
from boligsocial.example.market import Market
from boligsocial.example.people import COUNTRIES, ORIGINS
from boligsocial.example.reference import official_lists_table, reference_table
from boligsocial.example.story import BURN_IN_YEARS, FIRST_YEAR, LAST_YEAR
from boligsocial.example.writer import (
    TableWriter,
    write_areas,
    write_municipality,
    write_table,
)

__all__ = ["FIRST_YEAR", "LAST_YEAR", "generate"]

_CHUNK = 500_000  # person-rows turned into strings and written at a time
_PERSON_COLUMNS = [
    "year",
    "person_id",
    "address_id",
    "birth_date",
    "sex",
    "origin",
    "origin_country",
    "outside_fte",
    "education",
    "gross_income",
    "taxable",
    "student",
    "convicted",
    "household_id",
    "special_class",
    "child_notification",
    "placement",
    "lifestyle_disease",
    "eviction",
    "school_absence_pct",
]


def generate(
    out_dir: Path,
    seed: int = 42,
    scale: float = 1.0,
    fmt: Literal["csv", "parquet"] = "csv",
    progress: Progress = silent,
) -> dict[str, int]:
    """Write the Fjordby delivery into `out_dir` and return a summary of what was written.

    `scale` multiplies dwellings and residents (the map stays the same); the same seed and
    scale always give byte-identical files. Refuses a non-empty `out_dir` so nothing is
    overwritten by accident.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise ValueError(f"{out_dir} exists and is not an empty folder; choose a new one")
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    years = list(range(FIRST_YEAR - BURN_IN_YEARS, LAST_YEAR + 1))
    total = len(years) + 1
    streams = np.random.SeedSequence(seed).spawn(3 + len(years))
    rngs = [np.random.default_rng(s) for s in streams]

    progress("stage.example_geography", 0, total)
    geo = build_geography()
    dwellings = build_dwellings(geo, scale, rngs[0])
    areas = geo.layer("omraade", LAST_YEAR)
    market = Market(dwellings, [a.role for a in areas])
    write_municipality(out_dir)
    write_areas(out_dir / "areas.gpkg", geo.areas)
    write_table(out_dir, "addresses", fmt, dwellings.table)
    write_table(out_dir, "reference", fmt, reference_table(FIRST_YEAR, LAST_YEAR))
    write_table(out_dir, "official_lists", fmt, official_lists_table())

    world: World = populate(market, years[0] - 1, rngs[1], CprRegistry(rngs[2]))
    address_ids = dwellings.table["address_id"]
    summary = {"persons_rows": 0, "persons": 0, "moves": 0}
    with TableWriter(out_dir, "persons", fmt) as persons, TableWriter(out_dir, "moves", fmt) as moves:
        for k, year in enumerate(years):
            stage = "stage.example_burn_in" if year < FIRST_YEAR else "stage.example_simulate"
            progress(stage, k + 1, total)  # the burn-in years are simulated but not written
            rows, events = step(world, market, year, rngs[3 + k])
            if year < FIRST_YEAR:
                continue
            summary["persons"] += int(rows["new"].sum()) if year > FIRST_YEAR else rows.height
            for start in range(0, rows.height, _CHUNK):  # bounded memory at large scales
                persons.append(_persons_frame(rows.slice(start, _CHUNK), year, address_ids))
            moves.append(_moves_frame(events, address_ids))
        summary["persons_rows"] = persons.rows
        summary["moves"] = moves.rows
    progress("stage.done", total, total)

    for layer in ("omraade", "skoledistrikt", "almen_boligomraade", "landsby"):
        summary[f"areas_{layer}"] = len({a.area_id for a in geo.layer(layer)})
    summary["area_features"] = len(geo.areas)
    summary["addresses"] = dwellings.table.height
    summary["first_year"] = FIRST_YEAR
    summary["last_year"] = LAST_YEAR
    return summary


def _persons_frame(rows: pl.DataFrame, year: int, address_ids: pl.Series) -> pl.DataFrame:
    """Turn simulation rows into the contract's persons columns."""
    return (
        rows.with_columns(
            year=pl.lit(year, pl.Int64),
            birth_date=pl.col("birth").cast(pl.Date),
            address_id=address_ids.gather(rows["addr"]),
            sex=pl.when(pl.col("male")).then(pl.lit("M")).otherwise(pl.lit("K")),
            origin=pl.Series(ORIGINS).gather(rows["origin"]),
            origin_country=pl.Series(COUNTRIES).gather(rows["country"]),
            household_id=household_expr("hh"),
        )
        .with_columns(person_id=cpr_expr("birth_date", "serial"))
        .select(_PERSON_COLUMNS)
    )


def _moves_frame(events: pl.DataFrame, address_ids: pl.Series) -> pl.DataFrame:
    """Turn move events into moves.csv rows, sorted by date and person."""
    ids = pl.concat([address_ids, pl.Series([None], dtype=pl.String)])
    none = len(address_ids)
    return (
        events.with_columns(
            move_date=pl.col("move_day").cast(pl.Date),
            birth_date=pl.col("birth").cast(pl.Date),
            from_address_id=ids.gather(events["src"].replace(-1, none)),
            to_address_id=ids.gather(events["dst"].replace(-1, none)),
        )
        .with_columns(person_id=cpr_expr("birth_date", "serial"))
        .select("person_id", "move_date", "from_address_id", "to_address_id")
        .sort("move_date", "person_id")
    )

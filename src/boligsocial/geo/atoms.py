"""Geographic atoms: the finest pieces every published area is made of, per data year.

An atom is the set of addresses that lie in the same area of every layer in a year (the same
wall-to-wall area, the same school district, the same almene area or none, the same village or
none). Every area of every layer, and the municipality, is a union of atoms, so every figure the
system publishes about an area is a sum over its atoms. The disclosure step works on atoms: it
knows exactly which differences of published areas an attacker can form (docs/access.md).

Pure: the assignment in, the atom of every address and the areas of every atom out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

#: The pseudo-layer under which figures per atom are computed (never published).
ATOM_LAYER = "_atom"
#: The atom of addresses that lie in no area of any layer (possible with --allow-unassigned).
NO_AREA = "none"


@dataclass(frozen=True)
class Atoms:
    """`addresses`: (year, address_id, atom_id); `members`: (year, atom_id, layer, area_id)."""

    addresses: pl.DataFrame
    members: pl.DataFrame

    def assignment(self) -> pl.DataFrame:
        """The atoms as an assignment (layer `_atom`), so indicators can be computed per atom
        with the same code that computes them per area."""
        return self.addresses.select(
            pl.lit(ATOM_LAYER).alias("layer"),
            "address_id",
            pl.col("atom_id").alias("area_id"),
            pl.col("year").cast(pl.Int32).alias("year_from"),
            pl.col("year").cast(pl.Int32).alias("year_to"),
        )


def _atom_id(key: str) -> str:
    """A stable id for a combination of areas: the same combination gets the same id in every
    year and every load, so deterministic choices made per atom do not change between loads."""
    return "g" + hashlib.sha1(key.encode()).hexdigest()[:12] if key else NO_AREA


def build_atoms(assignment: pl.DataFrame, addresses: pl.Series, years: list[int]) -> Atoms:
    """Atoms of `years` from an assignment (layer, address_id, area_id, year_from, year_to).

    `addresses`: every address id; one not assigned in a year goes to the atom `none`."""
    per_year = (
        assignment.with_columns(pl.int_ranges("year_from", pl.col("year_to") + 1).alias("year"))
        .explode("year")
        .filter(pl.col("year").is_in(years))
        .select(pl.col("year").cast(pl.Int32), "address_id", "layer", "area_id")
    )
    keys = per_year.group_by("year", "address_id").agg(
        pl.concat_str(pl.col("layer"), pl.lit("="), pl.col("area_id")).sort().str.join("\x1f").alias("key")
    )
    everywhere = pl.DataFrame({"year": years}, schema={"year": pl.Int32}).join(
        pl.DataFrame({"address_id": addresses.unique()}), how="cross"
    )
    keyed = everywhere.join(keys, on=["year", "address_id"], how="left").with_columns(
        pl.col("key").fill_null("")
    )
    ids = (
        keyed.select("key")
        .unique()
        .with_columns(pl.col("key").map_elements(_atom_id, return_dtype=pl.String).alias("atom_id"))
    )
    located = keyed.join(ids, on="key").select("year", "address_id", "atom_id")
    members = (
        per_year.join(located, on=["year", "address_id"])
        .select("year", "atom_id", "layer", "area_id")
        .unique()
        .sort("year", "atom_id", "layer")
    )
    return Atoms(located.sort("year", "address_id"), members)


def aggregate(
    per_atom: pl.DataFrame, members: pl.DataFrame, keys: list[str], sums: list[str]
) -> pl.DataFrame:
    """Figures per area of every layer, summed from figures per atom (`layer` = `_atom`,
    `area_id` = atom id): an area's figure is exactly the sum over its atoms."""
    return (
        per_atom.rename({"area_id": "atom_id"})
        .drop("layer")
        .join(members, on=["year", "atom_id"])
        .group_by("layer", "area_id", *keys)
        .agg(pl.col(c).sum() for c in sums)
    )

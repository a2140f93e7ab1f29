"""The tables of the data contract v1: which tables a delivery holds, their columns and types,
and which code list each coded column takes (`codes`).

Mirrors ../shared/spec/data-contract.md; validation reads these definitions instead of hard-coding
checks per column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from boligsocial.contract.codes import (
    AREA_KINDS,
    EDUCATION,
    HOUSING_TYPES,
    ISO_COUNTRIES,
    LISTS,
    ORIGIN,
    REFERENCE_METRICS,
    REGIONS,
    SEX,
)

DType = Literal["str", "int", "float", "bool", "date"]
#: The types a mapping file may declare for an extra persons column (`[persons.extra]`).
EXTRA_TYPES: dict[str, DType] = {"bool": "bool", "number": "float"}

TRUE_WORDS = frozenset({"true", "t", "1", "ja", "j", "yes", "y", "sand", "x"})
FALSE_WORDS = frozenset({"false", "f", "0", "nej", "n", "no", "falsk"})


@dataclass(frozen=True)
class Column:
    """One column of a contract table. `default` fills a missing optional column and empty cells.

    `linked` marks a key or reference that other tables or steps join on: it is never replaced by a
    pseudonym in place, because the joins would break.
    """

    name: str
    dtype: DType
    required: bool = True
    nullable: bool = False
    codes: frozenset[str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    default: object = None
    linked: bool = False

    @property
    def free_text(self) -> bool:
        """Text that is neither a code nor a join key: the only contract columns a mapping file may
        declare to be pseudonymised."""
        return self.dtype == "str" and self.codes is None and not self.linked


@dataclass(frozen=True)
class Table:
    """A tabular file of the delivery, found as `<stem>.csv`, `.parquet` or `.xlsx`."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    #: Optional extra indicator columns with a fixed type: typed when delivered, absent otherwise
    #: (the indicators that need them are then skipped, not computed from empty values).
    extras: tuple[Column, ...] = ()
    #: True for persons: further extra columns are kept when the mapping file declares their type.
    declared_extras: bool = False
    #: Identifier columns the load always replaces by keyed pseudonyms (CPR numbers allowed).
    pseudonymised: tuple[str, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def known(self, name: str) -> Column | None:
        """The contract's column (or known extra) of that name, if there is one."""
        return next((c for c in (*self.columns, *self.extras) if c.name == name), None)


ADDRESSES = Table(
    "addresses",
    (
        Column("address_id", "str", linked=True),
        Column("x", "float"),
        Column("y", "float"),
        Column("housing_type", "str", codes=HOUSING_TYPES),
        Column("housing_org", "str", required=False, nullable=True),
        Column("housing_department", "str", required=False, nullable=True),
    ),
    key=("address_id",),
)

PERSONS = Table(
    "persons",
    (
        Column("year", "int", minimum=1980, maximum=2100),
        Column("person_id", "str"),
        Column("address_id", "str", nullable=True, linked=True),
        Column("birth_date", "date"),
        Column("sex", "str", codes=SEX),
        Column("origin", "str", codes=ORIGIN),
        Column("origin_country", "str", required=False, nullable=True, codes=ISO_COUNTRIES),
        Column("nonwestern", "bool", required=False, nullable=True),
        Column("outside_fte", "float", nullable=True, minimum=0.0, maximum=1.0),
        Column("education", "str", codes=EDUCATION),
        Column("gross_income", "float", nullable=True),
        Column("taxable", "bool", required=False, nullable=True, default=True),
        Column("student", "bool"),
        Column("convicted", "bool"),
        Column("household_id", "str", required=False, nullable=True),
    ),
    key=("person_id", "year"),
    extras=(
        # the extra columns the shipped catalogue (catalogue/30_welfare.toml) uses
        Column("special_class", "bool", required=False, nullable=True),
        Column("school_absence_pct", "float", required=False, nullable=True, minimum=0.0, maximum=100.0),
        Column("child_notification", "bool", required=False, nullable=True),
        Column("placement", "bool", required=False, nullable=True),
        Column("lifestyle_disease", "bool", required=False, nullable=True),
        Column("eviction", "bool", required=False, nullable=True),
    ),
    declared_extras=True,
    pseudonymised=("person_id", "household_id"),
)

REFERENCE = Table(
    "reference",
    (
        Column("year", "int", minimum=1980, maximum=2100),
        Column("metric", "str", codes=REFERENCE_METRICS),
        Column("region", "str", nullable=True, codes=REGIONS),
        Column("value", "float", minimum=0.0),
    ),
    key=("year", "metric", "region"),
)

MOVES = Table(
    "moves",
    (
        Column("person_id", "str"),
        Column("move_date", "date"),
        Column("from_address_id", "str", nullable=True, linked=True),
        Column("to_address_id", "str", nullable=True, linked=True),
    ),
    key=(),
    required=False,
    pseudonymised=("person_id",),
)

OFFICIAL_LISTS = Table(
    "official_lists",
    (
        Column("list_year", "int", minimum=1990, maximum=2100),
        Column("area_id", "str", linked=True),
        Column("list", "str", codes=LISTS),
    ),
    key=("list_year", "area_id", "list"),
    required=False,
)

TABLES: tuple[Table, ...] = (ADDRESSES, PERSONS, REFERENCE, MOVES, OFFICIAL_LISTS)

#: Columns of the areas geometry file (besides the geometry itself).
AREA_COLUMNS = (
    Column("area_id", "str", linked=True),
    Column("name", "str"),
    Column("layer", "str", linked=True),
    Column("kind", "str", required=False, nullable=True, codes=AREA_KINDS),
    Column("parent_id", "str", required=False, nullable=True, linked=True),
    Column("valid_from", "int", required=False, nullable=True, minimum=1900, maximum=2100),
    Column("valid_to", "int", required=False, nullable=True, minimum=1900, maximum=2100),
)

#: The CRS every geometry is stored in (ETRS89 / UTM 32N, the Danish standard).
STORAGE_CRS = "EPSG:25832"

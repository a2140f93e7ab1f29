"""The mapping file: how a municipality's own file names, column names and codes map onto the contract.

A delivery may hold `mapping.toml` (or the CLI names one with `--mapping`)::

    [csv]
    separator = ";"
    decimal_comma = true

    [persons]
    file = "befolkning.xlsx"            # instead of persons.csv/.parquet/.xlsx
    pseudonymise = ["contact_cpr"]      # identifier columns stored only as keyed pseudonyms
    [persons.columns]                   # contract column = the delivery's column
    person_id = "CPR"
    year = "AAR"
    [persons.codes.education]           # the delivery's code = contract code
    "10" = "grundskole"
    [persons.formats]
    birth_date = "%d-%m-%Y"             # strftime format of a date column
    [persons.extra]                     # extra indicator columns and their type
    rent_arrears = "bool"               # "bool" or "number"; undeclared extras are not stored
    debt_dkk = "number"

Every column of every table is checked for CPR numbers, and a column holding one is refused unless
`pseudonymise` names it (every table's section may have that key). Its values are then replaced by
the same keyed HMAC pseudonym as `person_id` (any spelling of a CPR number gives that person's
pseudonym) and stored as text; a column outside the contract is stored only in persons, elsewhere it
is dropped. `extra` is only for persons; the shipped catalogue's columns (`special_class`,
`eviction`, ...) are known to the contract and need no declaration. Names in `pseudonymise` and
`extra` may be the delivery's own or, for a column `columns` maps, the contract's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field

from boligsocial.common.config import Issue, Table, TextOrNumber, read_toml, validated

#: The only table whose extra columns are stored (as indicator columns), so the only `extra` section.
_EXTRA_TABLE = "persons"
ExtraType = Literal["bool", "number"]
#: The types an extra column may be declared with (contract.EXTRA_TYPES maps them onto column types).
EXTRA_TYPES: tuple[str, ...] = get_args(ExtraType)


@dataclass(frozen=True)
class TableMapping:
    """Mapping for one table: file name, contract→source column names, code maps, date formats."""

    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    #: Columns (contract names after `columns`) whose values are stored only as keyed pseudonyms.
    pseudonymise: tuple[str, ...] = ()
    #: Extra columns (persons only) and their declared type, "bool" or "number".
    extra: dict[str, str] = field(default_factory=dict)

    def source_to_contract(self) -> dict[str, str]:
        return {src: dst for dst, src in self.columns.items()}


@dataclass(frozen=True)
class Mapping:
    """The whole mapping file; an empty mapping means the delivery uses the contract's names."""

    tables: dict[str, TableMapping] = field(default_factory=dict)
    separator: str = ","
    decimal_comma: bool = False

    def table(self, name: str) -> TableMapping:
        return self.tables.get(name, TableMapping())


class CsvTable(Table):
    """[csv]: how CSV files of the delivery are written."""

    separator: str = Field(default=",", min_length=1, max_length=1, description="One character.")
    decimal_comma: bool = Field(default=False, description="12,5 means 12.5 in every column.")


class TableSection(Table):
    """[<table>]: the delivery's own file name, column names, codes and date formats of one table."""

    file: str | None = Field(default=None, description="The file instead of <table>.csv/.parquet/.xlsx.")
    columns: dict[str, TextOrNumber] = Field(
        default_factory=dict, description="Contract column = the delivery's column."
    )
    codes: dict[str, dict[str, TextOrNumber]] = Field(
        default_factory=dict, description="Per contract column: the delivery's code = the contract's code."
    )
    formats: dict[str, TextOrNumber] = Field(
        default_factory=dict, description='Per date column: its strftime format, e.g. "%d-%m-%Y".'
    )
    pseudonymise: list[str] = Field(
        default_factory=list,
        description='Identifier columns stored only as keyed pseudonyms, e.g. ["contact_cpr"].',
    )


class PersonsSection(TableSection):
    """[persons]: as every table, and the extra indicator columns with their type."""

    extra: dict[str, ExtraType] = Field(
        default_factory=dict,
        description='Extra persons column = "bool" or "number"; undeclared extras are not stored.',
    )


class MappingFile(Table):
    """The mapping file (mapping.toml): the delivery's own names mapped onto the contract."""

    model_config = ConfigDict(title="boligsocial mapping file")

    csv: CsvTable = Field(default_factory=CsvTable)
    addresses: TableSection = Field(default_factory=TableSection)
    persons: PersonsSection = Field(default_factory=PersonsSection)
    reference: TableSection = Field(default_factory=TableSection)
    moves: TableSection = Field(default_factory=TableSection)
    official_lists: TableSection = Field(default_factory=TableSection)
    areas: TableSection = Field(default_factory=TableSection)


_TABLE_NAMES = tuple(name for name in MappingFile.model_fields if name != "csv")
TITLE = "config.title.mapping"


def _contract_names(section: dict[str, Any], key: str) -> list[str]:
    """The column names of `pseudonymise` or `extra` as the contract's (a mapped column's own name
    works too)."""
    columns, names = section.get("columns", {}), section.get(key, [])
    columns = columns if isinstance(columns, dict) else {}
    contract = {str(src): dst for dst, src in columns.items() if isinstance(src, str | int)}
    return [contract.get(c, c) for c in names if isinstance(c, str)] if isinstance(names, list | dict) else []


def _both(data: dict[str, Any]) -> list[Issue]:
    """A column declared both extra and pseudonymised (checked on the raw TOML, beside every other
    problem): a pseudonym is text, not a bool or number."""
    section = data.get(_EXTRA_TABLE)
    if not isinstance(section, dict):
        return []
    both = sorted(set(_contract_names(section, "extra")) & set(_contract_names(section, "pseudonymise")))
    return [
        Issue(
            f"{_EXTRA_TABLE}.extra.{column}",
            "config.extra_and_pseudonymised",
            value=column,
        )
        for column in both
    ]


def parse_mapping(data: dict[str, Any], source: str = "mapping.toml") -> Mapping:
    """Build a `Mapping` from parsed TOML, refusing unknown sections and keys with every problem at once."""
    file = validated(MappingFile, data, source, TITLE, _both(data))
    tables: dict[str, TableMapping] = {}
    for name in _TABLE_NAMES:
        if name not in file.model_fields_set:
            continue
        section: TableSection = getattr(file, name)
        contract_name = {src: dst for dst, src in section.columns.items()}
        extra = section.extra if isinstance(section, PersonsSection) else {}
        tables[name] = TableMapping(
            file=section.file,
            columns=dict(section.columns),
            codes={col: dict(codes) for col, codes in section.codes.items()},
            formats=dict(section.formats),
            pseudonymise=tuple(dict.fromkeys(contract_name.get(c, c) for c in section.pseudonymise)),
            extra={contract_name.get(c, c): t for c, t in extra.items()},
        )
    return Mapping(tables, file.csv.separator, file.csv.decimal_comma)


def load_mapping(path: Path | None) -> Mapping:
    """Read a mapping file; `None` gives the identity mapping."""
    if path is None:
        return Mapping()
    return parse_mapping(read_toml(path, "config.file.mapping"), path.name)

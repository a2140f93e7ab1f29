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

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boligsocial.common.errors import ConfigError

_TABLE_NAMES = ("addresses", "persons", "reference", "moves", "official_lists", "areas")
_KEYS = ("file", "columns", "codes", "formats", "pseudonymise", "extra")
#: The only table whose extra columns are stored (as indicator columns), so the only `extra` section.
_EXTRA_TABLE = "persons"
#: The types an extra column may be declared with (contract.EXTRA_TYPES maps them onto column types).
EXTRA_TYPES = ("bool", "number")


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


def _str_dict(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str | int) for v in value.values()):
        raise ConfigError(f"{where} must be a table of text values")
    return {str(k): str(v) for k, v in value.items()}


def _str_list(value: Any, source: str, table: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f'{source}: [{table}] pseudonymise must be a list of column names, e.g. ["contact_cpr"]'
        )
    return list(value)


def _check_extra(extra: dict[str, str], pseudonymise: list[str], source: str, table: str) -> None:
    """Every declared extra column has a known type and is not also declared to be pseudonymised."""
    for column, dtype in extra.items():
        if dtype not in EXTRA_TYPES:
            allowed = ", ".join(f'"{t}"' for t in EXTRA_TYPES)
            raise ConfigError(f"{source}: [{table}.extra] {column} = {dtype!r}; allowed: {allowed}")
    both = sorted(set(extra) & set(pseudonymise))
    if both:
        raise ConfigError(
            f"{source}: [{table}] declares {both} both as extra indicator column(s) and to be pseudonymised; "
            "a pseudonym is text, not a bool or number: choose one"
        )


def parse_mapping(data: dict[str, Any], source: str = "mapping.toml") -> Mapping:
    """Build a `Mapping` from parsed TOML, rejecting unknown tables and keys with a clear message."""
    tables: dict[str, TableMapping] = {}
    csv = data.get("csv", {})
    unknown = set(data) - {"csv", *_TABLE_NAMES}
    if unknown:
        raise ConfigError(
            f"{source}: unknown section(s) {sorted(unknown)}; allowed: csv, {', '.join(_TABLE_NAMES)}"
        )
    for name in _TABLE_NAMES:
        section = data.get(name)
        if section is None:
            continue
        allowed = [k for k in _KEYS if k != "extra" or name == _EXTRA_TABLE]
        bad_keys = set(section) - set(allowed)
        if bad_keys:
            raise ConfigError(
                f"{source}: [{name}] has unknown key(s) {sorted(bad_keys)}; allowed: {', '.join(allowed)}"
            )
        codes_raw = section.get("codes", {})
        if not isinstance(codes_raw, dict):
            raise ConfigError(f"{source}: [{name}.codes] must hold one table per column")
        columns = _str_dict(section.get("columns", {}), f"{source}: [{name}.columns]")
        contract_name = {src: dst for dst, src in columns.items()}
        pseudonymise = [
            contract_name.get(c, c) for c in _str_list(section.get("pseudonymise", []), source, name)
        ]
        extra = {
            contract_name.get(c, c): t
            for c, t in _str_dict(section.get("extra", {}), f"{source}: [{name}.extra]").items()
        }
        _check_extra(extra, pseudonymise, source, name)
        tables[name] = TableMapping(
            file=section.get("file"),
            columns=columns,
            codes={col: _str_dict(m, f"{source}: [{name}.codes.{col}]") for col, m in codes_raw.items()},
            formats=_str_dict(section.get("formats", {}), f"{source}: [{name}.formats]"),
            pseudonymise=tuple(dict.fromkeys(pseudonymise)),
            extra=extra,
        )
    separator = csv.get("separator", ",")
    if not isinstance(separator, str) or len(separator) != 1:
        raise ConfigError(f"{source}: [csv] separator must be one character, got {separator!r}")
    return Mapping(tables, separator, bool(csv.get("decimal_comma", False)))


def load_mapping(path: Path | None) -> Mapping:
    """Read a mapping file; `None` gives the identity mapping."""
    if path is None:
        return Mapping()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"mapping file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_mapping(data, path.name)

"""The mapping file: how a municipality's own file names, column names and codes map onto the contract.

A delivery may hold `mapping.toml` (or the CLI names one with `--mapping`)::

    [csv]
    separator = ";"
    decimal_comma = true

    [persons]
    file = "befolkning.xlsx"            # instead of persons.csv/.parquet/.xlsx
    [persons.columns]                   # contract column = the delivery's column
    person_id = "CPR"
    year = "AAR"
    [persons.codes.education]           # the delivery's code = contract code
    "10" = "grundskole"
    [persons.formats]
    birth_date = "%d-%m-%Y"             # strftime format of a date column
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boligsocial.errors import ConfigError

_TABLE_NAMES = ("addresses", "persons", "reference", "moves", "official_lists", "areas")


@dataclass(frozen=True)
class TableMapping:
    """Mapping for one table: file name, contract→source column names, code maps, date formats."""

    file: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)

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
        bad_keys = set(section) - {"file", "columns", "codes", "formats"}
        if bad_keys:
            raise ConfigError(
                f"{source}: [{name}] has unknown key(s) {sorted(bad_keys)}; "
                "allowed: file, columns, codes, formats"
            )
        codes_raw = section.get("codes", {})
        if not isinstance(codes_raw, dict):
            raise ConfigError(f"{source}: [{name}.codes] must hold one table per column")
        tables[name] = TableMapping(
            file=section.get("file"),
            columns=_str_dict(section.get("columns", {}), f"{source}: [{name}.columns]"),
            codes={col: _str_dict(m, f"{source}: [{name}.codes.{col}]") for col, m in codes_raw.items()},
            formats=_str_dict(section.get("formats", {}), f"{source}: [{name}.formats]"),
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

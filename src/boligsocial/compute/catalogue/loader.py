"""The indicator catalogue: indicators defined as data (TOML), the shipped ones and a municipality's own.

Each indicator is a population (filter expression) and a value expression; the stored numerator is
the sum of the value over the population and the denominator the number of persons in the population
with a known value, so value = numerator / denominator (for unit `count`, the numerator itself).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from boligsocial.common.errors import ConfigError
from boligsocial.compute.catalogue.expressions import Expression, parse

UNITS = {
    "count": ("antal", "persons"),
    "share": ("andel", "share"),
    "mean": ("gennemsnit", "mean"),
    "dkk": ("kr.", "DKK"),
    "pct": ("pct.", "percent"),
}
_FIELDS = {
    "id",
    "topic",
    "label_da",
    "label_en",
    "unit",
    "population",
    "value",
    "description_da",
    "description_en",
}


@dataclass(frozen=True)
class Indicator:
    """One indicator definition."""

    id: str
    topic: str
    label_da: str
    label_en: str
    unit: str
    population: Expression
    value: Expression
    description_da: str = ""
    description_en: str = ""
    source: str = ""

    @property
    def names(self) -> frozenset[str]:
        return self.population.names | self.value.names


def parse_catalogue(data: dict[str, Any], source: str) -> list[Indicator]:
    """Validate a parsed catalogue file, reporting every problem at once."""
    problems: list[str] = []
    out: list[Indicator] = []
    entries = data.get("indicator", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{source}: use [[indicator]] tables")
    for n, entry in enumerate(entries, start=1):
        where = f"{source}: indicator #{n} ({entry.get('id', '?')})"
        unknown = set(entry) - _FIELDS
        if unknown:
            problems.append(f"{where}: unknown field(s) {sorted(unknown)}")
        missing = [k for k in ("id", "topic", "label_da", "label_en", "unit") if not entry.get(k)]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["unit"] not in UNITS:
            problems.append(f"{where}: unit must be one of {', '.join(UNITS)}")
        try:
            population = parse(str(entry.get("population", "True")))
            value = parse(str(entry.get("value", "1")))
        except ConfigError as exc:
            problems.append(f"{where}: {exc}")
            continue
        out.append(
            Indicator(
                id=entry["id"],
                topic=entry["topic"],
                label_da=entry["label_da"],
                label_en=entry["label_en"],
                unit=entry["unit"],
                population=population,
                value=value,
                description_da=entry.get("description_da", ""),
                description_en=entry.get("description_en", ""),
                source=source,
            )
        )
    ids = [i.id for i in out]
    problems += [
        f"{source}: indicator id {d!r} appears twice" for d in sorted({i for i in ids if ids.count(i) > 1})
    ]
    if problems:
        raise ConfigError("indicator catalogue problems:\n  " + "\n  ".join(problems))
    return out


def _read(text: str, source: str) -> list[Indicator]:
    try:
        return parse_catalogue(tomllib.loads(text), source)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc


def builtin() -> list[Indicator]:
    """The shipped catalogue (every *.toml in this package), loaded like a municipality's own."""
    files = sorted(
        (f for f in resources.files(__package__).iterdir() if f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    return [i for f in files for i in _read(f.read_text(encoding="utf-8"), f.name)]


def load_catalogue(extra: list[Path] | None = None) -> list[Indicator]:
    """The shipped indicators plus the municipality's files; a later file overrides an earlier id."""
    merged = {i.id: i for i in builtin()}
    for path in extra or []:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"indicator file not found: {path}") from exc
        merged.update({i.id: i for i in _read(text, path.name)})
    return list(merged.values())

"""The indicator catalogue: indicators defined as data (TOML), the shipped ones and a municipality's own.

Each indicator is a population (filter expression) and a value expression; the stored numerator is
the sum of the value over the population and the denominator the number of persons in the population
with a known value, so value = numerator / denominator (for unit `count`, the numerator itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, WithJsonSchema

from boligsocial.common.config import Invalid, Issue, Table, parse_toml, read_toml, validated
from boligsocial.common.errors import ConfigError
from boligsocial.compute.catalogue.expressions import Expression, parse

UNITS = {
    "count": ("antal", "persons"),
    "share": ("andel", "share"),
    "mean": ("gennemsnit", "mean"),
    "dkk": ("kr.", "DKK"),
    "pct": ("pct.", "percent"),
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


def _expression(text: str) -> str:
    try:
        parse(text)
    except ConfigError as exc:
        raise Invalid("config.bad_expression", str(exc)) from None
    return text


def _as_text(value: object) -> object:
    """`value = 1` and `population = true` read as the expressions "1" and "True"."""
    return str(value) if isinstance(value, int | float) else value


ExpressionText = Annotated[
    str,
    BeforeValidator(_as_text),
    AfterValidator(_expression),
    WithJsonSchema(
        {"type": ["string", "number", "boolean"], "description": "an expression (docs/indicators.md)"}
    ),
]
Text = Annotated[str, Field(min_length=1)]


class IndicatorTable(Table):
    """[[indicator]]: a population and a value (expressions over the persons' columns)."""

    id: Text
    topic: Text = Field(description="Grouping on pages and in exports.")
    label_da: Text
    label_en: Text
    unit: Literal["count", "share", "mean", "dkk", "pct"]
    population: ExpressionText = Field(
        default="True", description="Who is counted (default: every resident)."
    )
    value: ExpressionText = Field(default="1", description="What is summed over the population (default: 1).")
    description_da: str = ""
    description_en: str = ""


class CatalogueFile(Table):
    """An indicator catalogue: the shipped compute/catalogue/*.toml or a municipality's indicators.toml."""

    model_config = ConfigDict(title="boligsocial indicator catalogue")

    indicator: list[IndicatorTable] = Field(default_factory=list)


TITLE = "config.title.catalogue"


def _duplicates(data: dict[str, Any]) -> list[Issue]:
    """An id given to two indicators of one file (checked on the raw TOML, beside every other problem)."""
    entries = data.get("indicator")
    ids = [e.get("id") for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
    return [
        Issue(f"indicator[{n}].id", "config.duplicate_id", repr(i), value=str(i))
        for n, i in enumerate(ids, start=1)
        if i is not None and ids.index(i) != n - 1
    ]


def parse_catalogue(data: dict[str, Any], source: str) -> list[Indicator]:
    """Validate a parsed catalogue file, reporting every problem at once."""
    file = validated(CatalogueFile, data, source, TITLE, _duplicates(data))
    return [
        Indicator(
            id=entry.id,
            topic=entry.topic,
            label_da=entry.label_da,
            label_en=entry.label_en,
            unit=entry.unit,
            population=parse(entry.population),
            value=parse(entry.value),
            description_da=entry.description_da,
            description_en=entry.description_en,
            source=source,
        )
        for entry in file.indicator
    ]


def _read(text: str, source: str) -> list[Indicator]:
    return parse_catalogue(parse_toml(text, source), source)


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
        data = read_toml(path, "config.file.catalogue")
        merged.update({i.id: i for i in parse_catalogue(data, path.name)})
    return list(merged.values())

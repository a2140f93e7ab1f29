"""Data-quality problems as data: each has a stable code, a place (file, row, column) and a fix hint.

Validation never stops at the first problem; it returns a `Report` that the CLI prints as a table or
JSON and that a load refuses when it holds errors. Messages never contain a CPR number.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

#: At most this many rows are listed for one check; the rest are counted in one summary problem.
MAX_EXAMPLES = 20

#: Anything that could be a CPR number: ten digits with or without the dash, nine digits (a CPR
#: number read as a number loses its leading zero) and a number of that size in scientific notation.
_CPR = re.compile(
    r"""(?<!\d)\d{6}-?\d{4}(?!\d)
      | (?<!\d)\d{9}(?!\d)
      | (?<![\d.])\d\.\d{1,9}[eE]\+?0?[89](?!\d)""",
    re.VERBOSE,
)


def mask_cpr(text: str) -> str:
    """Replace anything shaped like a CPR number by a mask, so no report or log can carry one."""
    return _CPR.sub("******-****", text)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: Every problem code, its severity and what it means. The codes are stable: programs read them.
CODES: dict[str, tuple[Severity, str]] = {
    "missing-file": (Severity.ERROR, "a required file of the delivery is missing"),
    "unreadable-file": (Severity.ERROR, "a file exists but cannot be read in its format"),
    "short-row": (Severity.ERROR, "a row has fewer fields than the header (a cut-off file?)"),
    "empty-table": (Severity.ERROR, "a file has a header but no data rows"),
    "bad-config": (Severity.ERROR, "municipality.toml or the mapping file is wrong"),
    "missing-column": (Severity.ERROR, "a required column is missing"),
    "missing-value": (Severity.ERROR, "a required value is empty"),
    "bad-type": (Severity.ERROR, "a value is not of the column's type"),
    "unknown-code": (Severity.ERROR, "a value is not one of the allowed codes"),
    "out-of-range": (Severity.ERROR, "a number lies outside its allowed range"),
    "duplicate-key": (Severity.ERROR, "a key appears more than once"),
    "unknown-reference": (Severity.ERROR, "a value refers to a row that does not exist"),
    "cpr-in-column": (
        Severity.ERROR,
        "a column holds CPR numbers and the mapping file does not declare it to be pseudonymised",
    ),
    "unborn": (Severity.ERROR, "a person is born after the end of the data year"),
    "nonwestern-undecidable": (
        Severity.ERROR,
        "an immigrant or descendant has neither origin_country nor nonwestern",
    ),
    "invalid-geometry": (Severity.ERROR, "an area's geometry is empty, not a polygon or invalid"),
    "missing-layer": (Severity.ERROR, "the required omraade layer is missing"),
    "missing-reference": (
        Severity.ERROR,
        "a reference figure (national crime share, regional income) is missing for a data year",
    ),
    "version-overlap": (Severity.ERROR, "two boundary versions of one area overlap in years"),
    "address-unassigned": (Severity.ERROR, "an address lies in no omraade area in a data year"),
    "address-overlap": (Severity.ERROR, "an address lies inside two areas of one layer"),
    "missing-crs": (Severity.WARNING, "a geometry file has no CRS; the delivery's CRS is assumed"),
    "implausible-age": (Severity.WARNING, "a person is older than 110 at the end of the year"),
    "negative-income": (Severity.WARNING, "a gross income is negative"),
    "nonwestern-conflict": (
        Severity.WARNING,
        "nonwestern disagrees with origin_country; origin_country decides",
    ),
    "extra-column-ignored": (
        Severity.WARNING,
        "an extra persons column is not declared with a type in the mapping file; it is not stored",
    ),
    "area-empty": (Severity.WARNING, "an area has no addresses"),
    "address-unassigned-allowed": (
        Severity.WARNING,
        "an address lies in no omraade area and was loaded without one (--allow-unassigned)",
    ),
    "address-on-boundary": (
        Severity.INFO,
        "an address lies on a shared boundary; it goes to the smallest area_id",
    ),
    "indicator-skipped": (
        Severity.INFO,
        "an indicator needs a column the delivery does not have and was not computed",
    ),
}


@dataclass(frozen=True)
class Problem:
    """One finding about a delivery. `row` is the 1-based data row (header not counted)."""

    code: str
    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    allowed: str | None = None
    count: int = 1

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown problem code {self.code!r}")
        object.__setattr__(self, "message", mask_cpr(self.message))
        if self.value is not None:
            object.__setattr__(self, "value", mask_cpr(str(self.value))[:200])

    @property
    def severity(self) -> Severity:
        return CODES[self.code][0]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d


@dataclass
class Report:
    """All problems found in one delivery, in the order they were found."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def extend(self, problems: list[Problem]) -> None:
        self.problems.extend(problems)

    def _total(self, severity: Severity) -> int:
        return sum(p.count for p in self.problems if p.severity is severity)

    @property
    def error_count(self) -> int:
        return self._total(Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return self._total(Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "problems": [p.to_dict() for p in self.problems],
        }

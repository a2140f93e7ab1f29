"""The state's list rules as data: one TOML file per regime, chosen by list year.

A rule set names its tests (a measure, the data-year lags, a comparison and an exact threshold,
optionally relative to a reference figure) and its lists (minimum residents, which tests count and
how many must be met, which lists or tests must also hold, and a history rule). Thresholds are
decimal strings read as exact fractions, so no floating-point error can decide a threshold case.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

from boligsocial.common.errors import ConfigError

MEASURES = ("labour", "crime", "education", "income", "nonwestern")
OPS = (">", ">=", "<", "<=")
LIST_NAMES = ("udsat", "parallelsamfund", "omdannelse", "forebyggelse")
REFERENCES = ("national_convicted_share_18plus", "regional_mean_income_15_64")
AGE_SETTINGS = ("labour_ages", "crime_ages", "education_ages", "income_ages")


@dataclass(frozen=True)
class Test:
    """One criterion at one level: measure over data years t-lag, compared with a threshold."""

    id: str
    measure: str
    lags: tuple[int, ...]
    op: str
    threshold: Fraction
    relative_to: str | None = None
    origin: bool = False


@dataclass(frozen=True)
class ListRule:
    """How one list is decided from the tests, other lists and the list history."""

    name: str
    label: str
    min_residents: int | None = None
    count: tuple[str, ...] = ()
    min_met: int = 0
    requires: tuple[str, ...] = ()
    conditions: tuple[str, ...] = ()
    history: str | None = None
    consecutive_years: int = 0


@dataclass(frozen=True)
class RuleSet:
    """A legal regime: its tests, lists, settings, the list years it governs and its legal basis."""

    id: str
    title: str
    legal_basis: str
    first_list_year: int
    last_list_year: int | None
    settings: dict[str, Any]
    tests: dict[str, Test]
    lists: dict[str, ListRule]
    source: str = ""
    variant: str = ""

    @property
    def name(self) -> str:
        return f"{self.id}-{self.variant}" if self.variant else self.id

    def governs(self, list_year: int) -> bool:
        return self.first_list_year <= list_year <= (self.last_list_year or 9999)

    @property
    def max_lag(self) -> int:
        return max([self.settings["residents_lag"], *(lag for t in self.tests.values() for lag in t.lags)])

    def ages(self) -> tuple[tuple[int, int], ...]:
        return tuple(tuple(self.settings[k]) for k in AGE_SETTINGS)

    def without_origin(self) -> RuleSet:
        """The analysis variant without the origin criterion: origin tests are dropped from every list
        (so parallelsamfund is udsat, and forebyggelse needs no non-western share)."""
        origin = {t.id for t in self.tests.values() if t.origin}
        lists = {
            n: replace(
                r,
                count=tuple(c for c in r.count if c not in origin),
                conditions=tuple(c for c in r.conditions if c not in origin),
            )
            for n, r in self.lists.items()
        }
        return replace(self, lists=lists, variant="uden-herkomst")


def _fraction(value: Any, where: str, problems: list[str]) -> Fraction:
    if not isinstance(value, str | int):
        problems.append(f'{where}: write the threshold as a decimal string, e.g. "0.40"')
        return Fraction(0)
    try:
        return Fraction(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not a decimal number")
        return Fraction(0)


def parse_ruleset(data: dict[str, Any], source: str) -> RuleSet:
    """Validate one rule-set file, reporting every problem at once."""
    problems: list[str] = []
    for key in ("id", "title", "legal_basis", "first_list_year", "settings", "test", "lists"):
        if key not in data:
            problems.append(f"{source}: missing '{key}'")
    if problems:
        raise ConfigError("rule set problems:\n  " + "\n  ".join(problems))
    settings = dict(data["settings"])
    for key in ("min_residents", "residents_lag", *AGE_SETTINGS):
        if key not in settings:
            problems.append(f"{source}: [settings] lacks '{key}'")
    for key in AGE_SETTINGS:
        band = settings.get(key)
        if key in settings and not (
            isinstance(band, list) and len(band) == 2 and all(isinstance(a, int) for a in band)
        ):
            problems.append(f"{source}: [settings] {key} must be [from_age, to_age] (whole years)")
    tests: dict[str, Test] = {}
    for n, t in enumerate(data["test"], start=1):
        where = f"{source}: test #{n} ({t.get('id', '?')})"
        if t.get("measure") not in MEASURES:
            problems.append(f"{where}: measure must be one of {', '.join(MEASURES)}")
        if t.get("op") not in OPS:
            problems.append(f"{where}: op must be one of {', '.join(OPS)}")
        if t.get("relative_to") not in (None, *REFERENCES):
            problems.append(f"{where}: relative_to must be one of {', '.join(REFERENCES)}")
        lags = tuple(t.get("lags", ()))
        if not lags or not all(isinstance(x, int) and x >= 1 for x in lags):
            problems.append(f"{where}: lags must be a list of positive whole numbers")
        tests[str(t.get("id"))] = Test(
            id=str(t.get("id")),
            measure=str(t.get("measure")),
            lags=lags,
            op=str(t.get("op")),
            threshold=_fraction(t.get("threshold"), where, problems),
            relative_to=t.get("relative_to"),
            origin=bool(t.get("origin", False)),
        )
    lists: dict[str, ListRule] = {}
    for name, r in data["lists"].items():
        where = f"{source}: [lists.{name}]"
        if name not in LIST_NAMES:
            problems.append(f"{where}: list must be one of {', '.join(LIST_NAMES)}")
        for ref in (*r.get("count", ()), *r.get("conditions", ())):
            if ref not in tests:
                problems.append(f"{where}: unknown test '{ref}'")
        for ref in (*r.get("requires", ()), *([r["history"]] if "history" in r else [])):
            if ref not in data["lists"]:
                problems.append(f"{where}: unknown list '{ref}'")
        lists[name] = ListRule(
            name=name,
            label=str(r.get("label", name)),
            min_residents=r.get("min_residents"),
            count=tuple(r.get("count", ())),
            min_met=int(r.get("min_met", 0)),
            requires=tuple(r.get("requires", ())),
            conditions=tuple(r.get("conditions", ())),
            history=r.get("history"),
            consecutive_years=int(r.get("consecutive_years", 0)),
        )
    if problems:
        raise ConfigError("rule set problems:\n  " + "\n  ".join(problems))
    return RuleSet(
        id=str(data["id"]),
        title=str(data["title"]),
        legal_basis=str(data["legal_basis"]),
        first_list_year=int(data["first_list_year"]),
        last_list_year=data.get("last_list_year"),
        settings=settings,
        tests=tests,
        lists=lists,
        source=source,
    )


@dataclass
class RuleBook:
    """All regimes, ordered by first list year; `for_year` picks the one governing a list year."""

    rulesets: list[RuleSet] = field(default_factory=list)

    def for_year(self, list_year: int) -> RuleSet | None:
        found = [r for r in self.rulesets if r.governs(list_year)]
        return found[-1] if found else None

    def without_origin(self) -> RuleBook:
        return RuleBook([r.without_origin() for r in self.rulesets])


def load_rulebook(extra: list[Path] | None = None) -> RuleBook:
    """The shipped rule sets plus extra files (a new regime is a new file); same id overrides."""
    merged: dict[str, RuleSet] = {}
    files = sorted(
        (f for f in resources.files(__package__).iterdir() if f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    texts = [(f.read_text(encoding="utf-8"), f.name) for f in files]
    for path in extra or []:
        try:
            texts.append((path.read_text(encoding="utf-8"), path.name))
        except FileNotFoundError as exc:
            raise ConfigError(f"rule set file not found: {path}") from exc
    for text, name in texts:
        try:
            rs = parse_ruleset(tomllib.loads(text), name)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{name}: not valid TOML: {exc}") from exc
        merged[rs.id] = rs
    return RuleBook(sorted(merged.values(), key=lambda r: r.first_list_year))

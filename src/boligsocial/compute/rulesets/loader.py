"""The state's list rules as data: one TOML file per regime, chosen by list year.

A rule set names its tests (a measure, the data-year lags, a comparison and an exact threshold,
optionally relative to a reference figure) and its lists (minimum residents, which tests count and
how many must be met, which lists or tests must also hold, and a history rule). Thresholds are
decimal strings read as exact fractions, so no floating-point error can decide a threshold case.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import BeforeValidator, ConfigDict, Field, NonNegativeInt, PositiveInt, WithJsonSchema

from boligsocial.common.config import Invalid, Issue, Table, parse_toml, read_toml, unknown, validated
from boligsocial.common.words import Words

Measure = Literal["labour", "crime", "education", "income", "nonwestern"]
Op = Literal[">", ">=", "<", "<="]
ListName = Literal["udsat", "parallelsamfund", "omdannelse", "forebyggelse"]
Reference = Literal["national_convicted_share_18plus", "regional_mean_income_15_64"]
MEASURES: tuple[str, ...] = get_args(Measure)
OPS: tuple[str, ...] = get_args(Op)
LIST_NAMES: tuple[str, ...] = get_args(ListName)
REFERENCES: tuple[str, ...] = get_args(Reference)
AGE_SETTINGS = ("labour_ages", "crime_ages", "education_ages", "income_ages")
#: An age band that reaches this age has no upper end ("18+").
OPEN_AGE = 120
TITLE = "config.title.ruleset"


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

    @property
    def criteria_list(self) -> ListRule | None:
        """The list whose tests `criteria_met` counts ("meets N of M criteria"): the first list that
        counts tests, forebyggelse aside (udsat from 2018, the ghetto list before)."""
        return next((r for n, r in self.lists.items() if r.count and n != "forebyggelse"), None)

    def ages(self) -> tuple[tuple[int, int], ...]:
        return tuple(tuple(self.settings[k]) for k in AGE_SETTINGS)

    def band(self, measure: str) -> tuple[int, int] | None:
        """The ages a measure counts (`labour` → (18, 64)); None for one of all residents."""
        band = self.settings.get(f"{measure}_ages")
        return (int(band[0]), int(band[1])) if band else None

    def criterion_name(self, measure: str, say: Words) -> str:
        """A criterion's name with the ages this regime counts, in `say`'s language: its name
        from the vocabulary (`criterion.labour`) and the band from the settings, so the age band is
        written in one place: "uden for arbejdsmarkedet (18-64 år)", "dømte (18+ år)"."""
        name, band = say(f"criterion.{measure}"), self.band(measure)
        if band is None:
            return name
        low, high = band
        if high >= OPEN_AGE:
            return say("criterion.band_open", name=name, low=low)
        return say("criterion.band", name=name, low=low, high=high)

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


def _decimal(value: object) -> object:
    """A threshold is a decimal written as text ("0.40"; a whole number may be written as one),
    read as an exact fraction. A float is refused: 0.1 in binary is not 0.1."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Invalid("config.threshold_text")
    try:
        Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise Invalid("config.not_decimal", repr(value)) from None
    return str(value)


Threshold = Annotated[
    str,
    BeforeValidator(_decimal),
    WithJsonSchema({"type": ["string", "integer"], "description": 'an exact decimal as text, e.g. "0.40"'}),
]
AgeBand = Annotated[
    list[NonNegativeInt], Field(min_length=2, max_length=2, description="[from_age, to_age], whole years")
]


class Settings(Table):
    """[settings]: the regime's numbers besides the tests."""

    min_residents: NonNegativeInt = Field(
        description="Residents an area needs to be on a list (the lists may set their own)."
    )
    residents_lag: NonNegativeInt = Field(
        description="Residents are counted at the end of data year t - residents_lag."
    )
    labour_ages: AgeBand
    crime_ages: AgeBand
    education_ages: AgeBand
    income_ages: AgeBand


class CriterionTable(Table):
    """[[test]]: one criterion at one level."""

    id: str
    measure: Measure
    lags: list[PositiveInt] = Field(
        min_length=1, description="Data years t - lag whose yearly shares are averaged, e.g. [1, 2]."
    )
    op: Op
    threshold: Threshold
    relative_to: Reference | None = Field(
        default=None, description="The threshold is a multiple of this reference figure."
    )
    origin: bool = Field(
        default=False, description="An origin criterion (left out by the analysis variant without origin)."
    )


class ListTable(Table):
    """[lists.<name>]: how one list is decided."""

    label: str | None = None
    min_residents: NonNegativeInt | None = None
    count: list[str] = Field(default_factory=list, description="Tests counted towards `min_met`.")
    min_met: NonNegativeInt = 0
    requires: list[str] = Field(default_factory=list, description="Lists the area must also be on.")
    conditions: list[str] = Field(default_factory=list, description="Tests that must all be met as well.")
    history: str | None = Field(
        default=None,
        description="A list the area must have been on in the `consecutive_years` list years before.",
    )
    consecutive_years: NonNegativeInt = 0


class RuleSetFile(Table):
    """A rule set: the state's list rules of one legal regime (compute/rulesets/*.toml)."""

    model_config = ConfigDict(title="boligsocial rule set")

    id: str
    title: str
    legal_basis: str
    first_list_year: int
    last_list_year: int | None = None
    settings: Settings
    test: list[CriterionTable]
    lists: dict[ListName, ListTable]


def _references(data: dict[str, Any]) -> list[Issue]:
    """Each list names tests and lists the file has (checked on the raw TOML, so these problems
    are reported beside every other one)."""
    raw_tests, raw_lists = data.get("test"), data.get("lists")
    raw_tests = raw_tests if isinstance(raw_tests, list) else []
    raw_lists = raw_lists if isinstance(raw_lists, dict) else {}
    tests = [t.get("id") for t in raw_tests if isinstance(t, dict)]
    lists = list(raw_lists)
    unknown_test, unknown_list = "config.unknown_test", "config.unknown_list"
    issues = []
    for name, rule in raw_lists.items():
        if not isinstance(rule, dict):
            continue
        for key, known, what in (
            ("count", tests, unknown_test),
            ("conditions", tests, unknown_test),
            ("requires", lists, unknown_list),
        ):
            refs = rule.get(key, [])
            for n, ref in enumerate(refs if isinstance(refs, list) else [], start=1):
                if ref not in known:
                    issues.append(unknown(f"lists.{name}.{key}[{n}]", ref, known, what))
        if "history" in rule and rule["history"] not in lists:
            issues.append(unknown(f"lists.{name}.history", rule["history"], lists, unknown_list))
    return issues


def parse_ruleset(data: dict[str, Any], source: str) -> RuleSet:
    """Validate one rule-set file, reporting every problem at once."""
    file = validated(RuleSetFile, data, source, TITLE, _references(data))
    tests = {
        t.id: Test(
            id=t.id,
            measure=t.measure,
            lags=tuple(t.lags),
            op=t.op,
            threshold=Fraction(t.threshold),
            relative_to=t.relative_to,
            origin=t.origin,
        )
        for t in file.test
    }
    lists: dict[str, ListRule] = {
        name: ListRule(
            name=name,
            label=r.label if r.label is not None else name,
            min_residents=r.min_residents,
            count=tuple(r.count),
            min_met=r.min_met,
            requires=tuple(r.requires),
            conditions=tuple(r.conditions),
            history=r.history,
            consecutive_years=r.consecutive_years,
        )
        for name, r in file.lists.items()
    }
    return RuleSet(
        id=file.id,
        title=file.title,
        legal_basis=file.legal_basis,
        first_list_year=file.first_list_year,
        last_list_year=file.last_list_year,
        settings=dict(data["settings"]),
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

    def of_row(self, rule_set: str | None, list_year: int) -> RuleSet | None:
        """The rule set a list row was computed by: the one of its name (`2021`,
        `2021-uden-herkomst`), else the regime of its list year."""
        named = [r for r in self.rulesets if r.name == rule_set]
        return named[0] if named else self.for_year(list_year)

    def without_origin(self) -> RuleBook:
        return RuleBook([r.without_origin() for r in self.rulesets])


def load_rulebook(extra: list[Path] | None = None) -> RuleBook:
    """The shipped rule sets plus extra files (a new regime is a new file); same id overrides.
    The shipped ones alone are read once per process (a municipality's own files every time)."""
    return _read_rulebook(tuple(extra)) if extra else _shipped()


@cache
def _shipped() -> RuleBook:
    return _read_rulebook(())


def _read_rulebook(extra: tuple[Path, ...]) -> RuleBook:
    merged: dict[str, RuleSet] = {}
    files = sorted(
        (f for f in resources.files(__package__).iterdir() if f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    data = [(parse_toml(f.read_text(encoding="utf-8"), f.name), f.name) for f in files]
    data += [(read_toml(path, "config.file.ruleset"), path.name) for path in extra]
    for raw, name in data:
        rs = parse_ruleset(raw, name)
        merged[rs.id] = rs
    return RuleBook(sorted(merged.values(), key=lambda r: r.first_list_year))

"""The state's list rules as data: one TOML file per regime (`*.toml`, chosen by list year),
read and checked by `loader`."""

from boligsocial.compute.rulesets.loader import (
    AGE_SETTINGS,
    LIST_NAMES,
    MEASURES,
    OPS,
    REFERENCES,
    ListName,
    ListRule,
    RuleBook,
    RuleSet,
    Test,
    load_rulebook,
    parse_ruleset,
)

__all__ = [
    "AGE_SETTINGS",
    "LIST_NAMES",
    "MEASURES",
    "OPS",
    "REFERENCES",
    "ListName",
    "ListRule",
    "RuleBook",
    "RuleSet",
    "Test",
    "load_rulebook",
    "parse_ruleset",
]

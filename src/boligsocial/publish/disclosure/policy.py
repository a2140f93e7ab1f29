"""Disclosure policies: the limits per audience, shipped in `policy.toml` and overridable per
installation (every problem in an installation's file reported at once)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict, Field, NonNegativeInt, RootModel

from boligsocial.common.config import Table, parse_toml, read_toml, validated

#: Which policy each role reads with; anonymous access (if turned on) uses the public policy.
AUDIENCE_OF_ROLE = {
    "admin": "default",
    "staff": "default",
    "politician": "default",
    "housing_association": "default",
    "analyst": "analyst",
    "anonymous": "public",
}


@dataclass(frozen=True)
class Policy:
    """Disclosure settings for one audience (see policy.toml for their meaning)."""

    name: str
    small_count_max: int = 4
    small_count_display: str = "<5"
    rate_min_population: int = 20
    rate_uncertain_population: int = 50
    complementary: bool = True
    min_area_population: int = 100

    @property
    def small_label(self) -> str:
        return f"<{self.small_count_max + 1}"


_DEFAULT = Policy("")


class PolicyTable(Table):
    """The settings of one audience (docs/access.md). A key left out keeps the audience's value
    before (the shipped policy.toml's); the defaults shown are the `default` audience's."""

    small_count_max: NonNegativeInt = Field(
        default=_DEFAULT.small_count_max, description="Counts 1..n are never shown exactly (0 may be)."
    )
    small_count_display: Literal["<5", "round"] = Field(
        default="<5", description='A small count is shown as a label ("<5") or rounded up ("round").'
    )
    rate_min_population: NonNegativeInt = Field(
        default=_DEFAULT.rate_min_population, description="A rate or mean on fewer persons is suppressed."
    )
    rate_uncertain_population: NonNegativeInt = Field(
        default=_DEFAULT.rate_uncertain_population,
        description="A rate or mean on fewer persons is flagged as uncertain.",
    )
    complementary: bool = Field(
        default=_DEFAULT.complementary,
        description="Suppress a second cell where a hidden one could be recovered by differencing.",
    )
    min_area_population: NonNegativeInt = Field(
        default=_DEFAULT.min_area_population, description="Smaller areas show only their residents count."
    )


Audience = Literal["default", "analyst", "public"]


class PolicyFile(RootModel[dict[Audience, PolicyTable]]):
    """Disclosure policies per audience (publish/disclosure/policy.toml or an installation's
    `--policy` file)."""

    model_config = ConfigDict(title="boligsocial disclosure policies", strict=True)


TITLE = "config.title.policy"


def parse_policies(
    data: dict[str, Any], source: str, base: dict[str, Policy] | None = None
) -> dict[str, Policy]:
    """Policies from TOML; keys not given keep the base policy's value. Every problem at once."""
    out = dict(base or {})
    for name, table in validated(PolicyFile, data, source, TITLE).root.items():
        start = out.get(name, Policy(name))
        out[name] = replace(start, **table.model_dump(exclude_unset=True))
    return out


@lru_cache(maxsize=1)
def shipped_policies() -> dict[str, Policy]:
    """The policies of policy.toml, read once (a service answers many calls with them)."""
    text = resources.files(__package__).joinpath("policy.toml").read_text(encoding="utf-8")
    return parse_policies(parse_toml(text, "policy.toml"), "policy.toml")


def load_policies(extra: Path | None = None) -> dict[str, Policy]:
    """The shipped policies, overridden by an installation's own file."""
    policies = dict(shipped_policies())
    if extra is not None:
        policies = parse_policies(read_toml(extra, "config.file.policy"), extra.name, policies)
    return policies

"""Disclosure policies: the limits per audience, shipped in `policy.toml` and overridable per
installation (every problem in an installation's file reported at once)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from boligsocial.common.errors import ConfigError

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


def parse_policies(
    data: dict[str, Any], source: str, base: dict[str, Policy] | None = None
) -> dict[str, Policy]:
    """Policies from TOML; keys not given keep the base policy's value. Every problem at once."""
    known = {f.name for f in fields(Policy)} - {"name"}
    problems, out = [], dict(base or {})
    for name, values in data.items():
        unknown = set(values) - known
        if unknown:
            problems.append(f"{source}: [{name}] unknown setting(s) {sorted(unknown)}")
        if values.get("small_count_display", "<5") not in ("<5", "round"):
            problems.append(f'{source}: [{name}] small_count_display must be "<5" or "round"')
        for key in known - {"small_count_display", "complementary"}:
            if key in values and not (isinstance(values[key], int) and values[key] >= 0):
                problems.append(f"{source}: [{name}] {key} must be a whole number >= 0")
        if problems:
            continue
        start = out.get(name, Policy(name))
        out[name] = Policy(name, **{**{k: getattr(start, k) for k in known}, **values})
    if problems:
        raise ConfigError("disclosure policy problems:\n  " + "\n  ".join(problems))
    return out


@lru_cache(maxsize=1)
def shipped_policies() -> dict[str, Policy]:
    """The policies of policy.toml, read once (a service answers many calls with them)."""
    text = resources.files(__package__).joinpath("policy.toml").read_text(encoding="utf-8")
    return parse_policies(tomllib.loads(text), "policy.toml")


def load_policies(extra: Path | None = None) -> dict[str, Policy]:
    """The shipped policies, overridden by an installation's own file."""
    policies = dict(shipped_policies())
    if extra is not None:
        try:
            data = tomllib.loads(extra.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"disclosure policy {extra}: {exc}") from exc
        policies = parse_policies(data, extra.name, policies)
    return policies

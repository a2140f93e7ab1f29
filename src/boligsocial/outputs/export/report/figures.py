"""How a report writes a figure: in the report's language, and never a hidden one.

Every number in a report passes through `Figures`: a published value is written by the language's
number format (`Words.number/percent/kroner`), a figure without a value by what stands in its
place — a small count by the label of the audience's policy ("<5", "<10"), any other hidden figure
as the catalogue's hidden text ("ikke vist"), no data as "–". A value the publication did not give
cannot be written, because the only input is what the `Publication` answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boligsocial.common.words import Words, words
from boligsocial.publish.disclosure import NODATA, SMALL, Policy

#: What stands for "no data" (and for "not applicable") in every language.
NONE = "–"


@dataclass(frozen=True)
class Figures:
    """The number formats of one language and the labels of one disclosure policy."""

    say: Words
    policy: Policy

    @classmethod
    def of(cls, lang: str, policy: Policy) -> Figures:
        return cls(words(lang), policy)

    @property
    def hidden_text(self) -> str:
        """What a hidden figure is written as (not a small count with its label)."""
        return self.say("report.hidden")

    def value(self, value: float | None, unit: str, digits: int = 1) -> str:
        """A published value by its unit (`share` 0–1 as percent, `pct` already in percent,
        `dkk` in whole kroner, `count` whole, `ratio` with two decimals); a missing one as hidden."""
        if value is None:
            return self.hidden_text
        if unit == "share":
            return self.say.percent(value, digits)
        if unit == "pct":
            return self.say.percent(value / 100, digits)
        if unit == "dkk":
            return self.say.kroner(value)
        if unit == "count":
            return self.say.number(value)
        if unit == "ratio":
            return self.say.number(value, 2)
        return self.say.number(value, digits)

    def or_none(self, value: float | None, unit: str, digits: int = 1) -> str:
        """A published value, or "–" where there is none (a threshold, a margin in kroner)."""
        return NONE if value is None else self.value(value, unit, digits)

    def state(self, state: Any, label: str | None = None) -> str:
        """What stands in place of a figure without a value: a small count by its label (the
        cell's own, which is the policy's), no data as "–", anything else as hidden."""
        if state == SMALL:
            return label or self.policy.small_label
        if state is None or state == NODATA:
            return NONE
        return self.hidden_text

    def shown(self, value: float | None, unit: str, state: Any, label: str | None = None) -> str:
        """A published value, or by its state what stands in its place."""
        return self.value(value, unit) if value is not None else self.state(state, label)

    def points(self, value: float | None) -> str:
        """A difference in percentage points ("10,3 pp")."""
        if value is None:
            return self.hidden_text
        return self.say("report.points", value=self.say.number(value, 1))

    def yes_no(self, met: bool | None) -> str:
        """Whether a criterion is met; hidden when the publication does not say."""
        if met is None:
            return self.hidden_text
        return self.say("report.yes") if met else self.say("report.no")

    def category(self, category: str | None) -> str:
        """A list category by name ("none" and no category: no list)."""
        return self.say(f"list.{category or 'none'}")  # vocabulary.po

    def light(self, colour: str | None, missing: str | None = None) -> str:
        """A traffic-light colour by name; without one, `missing` (hidden by default)."""
        if not colour:
            return self.hidden_text if missing is None else missing
        return self.say(f"colour.{colour}")  # vocabulary.po

"""A traffic light's reason: stored as data in no language, worded for each reader.

`criteria_colours` stores `met=2 near=1 category=udsat` (criteria met, criteria near their
threshold, the list category) and `points_colours` `points=3 crime_ratio=1 labour_share=2` (the
score and the indicators that gave points). `reason_text` writes it in the reader's language from
the catalogues, with the names of lists and indicators, never their ids (docs/i18n.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from boligsocial.common.words import language, words


def parse_reason(reason: str) -> dict[str, str]:
    """The `key=value` parts of a stored reason, in their stored order."""
    return dict(part.split("=", 1) for part in reason.split() if "=" in part)


def reason_text(reason: str | None, lang: str, indicator_names: Mapping[str, str]) -> str | None:
    """The reason in words; a reason stored by an older version (already words) is kept as it is."""
    if not reason:
        return reason
    parts = parse_reason(reason)
    say = words(language(lang))
    if "met" in parts:
        return say(
            "narrative.reason.criteria",
            met=parts["met"],
            near=parts.get("near", "0"),
            category=say.name("list", parts.get("category", "none")),
        )
    if "points" in parts:
        points = int(parts.pop("points"))
        why = [
            say("narrative.reason.point", indicator=indicator_names.get(ind, ind), points=n)
            for ind, n in parts.items()
        ]
        if not why:
            return say("narrative.reason.points_none", points=points)
        return say("narrative.reason.points", points=points, why=", ".join(why))
    return reason

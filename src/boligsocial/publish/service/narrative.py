"""Plain-language sentences that say why an area has its list category and traffic-light colour.

They are written from a published list row, so they say no more than the row shows: a hidden
residents count is described by the row's own label (the policy's, e.g. "under 10" for "<10"), or
not at all where the row has none. The criteria are counted by the row's own rule set (2021: 2 of
4; 2013: 3 of 5; 2010: 2 of 3), and every word comes from the catalogues (`narrative.po`,
`vocabulary.po`).
"""

from __future__ import annotations

from typing import Any

from boligsocial.common.words import Words, language, words
from boligsocial.compute.rulesets import RuleSet, Test, load_rulebook
from boligsocial.publish.disclosure import AREA_SMALL, Policy

#: The measures whose margin in persons has a sentence saying what would flip them.
_FLIPS = ("labour", "crime", "education")


def _value_text(test: Test, row: dict[str, Any], say: Words) -> str:
    """A criterion's value as the list compares it: a ratio to the national level, a share of the
    regional mean, or a share of the population."""
    if test.measure == "crime" and test.relative_to:
        ratio = row.get("crime_ratio")
        return say("narrative.times_national", ratio=say.number(ratio, 2)) if ratio is not None else "–"
    share = row.get(f"{test.measure}_ratio" if test.relative_to else f"{test.measure}_share")
    if test.measure == "income" and test.relative_to:
        return say("narrative.of_regional", share=say.percent(share))
    return say.percent(share)


def _name(test: Test, rules: RuleSet | None, say: Words) -> str:
    """A criterion's name with the ages its regime counts."""
    return rules.criterion_name(test.measure, say) if rules else say(f"criterion.{test.measure}")


def _label_words(label: str, say: Words) -> str:
    """A small-count label in words: "<10" is "under 10" (Danish) or "fewer than 10"."""
    return say("narrative.fewer_than", n=label[1:]) if label.startswith("<") else label


def _small_area(row: dict[str, Any], say: Words, policy: Policy | None) -> str:
    """The one sentence of an area too small to show more than its residents count."""
    residents, label = row.get("residents"), row.get("residents_label")
    if residents is not None or label:
        count = say.number(residents) if residents is not None else _label_words(str(label), say)
        return say("narrative.small_count", count=count)
    # the count itself is hidden too: say only what the state already says (the area is under the
    # policy's minimum size, where the row says that is why)
    limit = (
        policy.min_area_population
        if policy is not None
        and policy.min_area_population
        and row.get("hidden_reason", AREA_SMALL) == AREA_SMALL
        else None
    )
    return say("narrative.too_small_under", limit=limit) if limit else say("narrative.too_small")


def _criteria(row: dict[str, Any], rules: RuleSet | None) -> tuple[list[Test], int, int | None]:
    """The tests `criteria_met` counts, how many the list needs, and its minimum residents; by the
    row's rule set."""
    chosen = rules.criteria_list if rules is not None else None
    if rules is None or chosen is None:
        return [], 0, None
    minimum = chosen.min_residents
    if minimum is None:
        minimum = rules.settings.get("min_residents")
    return [rules.tests[t] for t in chosen.count], chosen.min_met, minimum


def list_sentences(
    row: dict[str, Any], lang: str = "da", policy: Policy | None = None, rules: RuleSet | None = None
) -> list[str]:
    """Why the area has its category in a list year, and what would flip the nearest criterion.

    `row` is a published list row; `policy` the one it was published with (it names the minimum
    area size when even the residents count of a small area is hidden); `rules` the rule set of
    the row's list year (which criteria count and how many the list needs). A hidden residents
    count is written from the row's `residents_label`, which the disclosure step sets to the
    policy's label where the label may be shown."""
    say = words(language(lang))
    if row.get("state") == "suppressed":
        return [_small_area(row, say, policy)]
    rules = rules or load_rulebook().of_row(row.get("rule_set"), int(row["list_year"]))
    tests, need, minimum = _criteria(row, rules)
    hidden = [t for t in tests if row.get(f"{t.id}_state") == "suppressed"]
    met = [t for t in tests if row.get(f"{t.id}_met")]
    n = len(met)
    text = say("narrative.meets", met=n, of=len(tests), need=need)
    if met:
        text += ": " + ", ".join(
            say("narrative.criterion_value", name=_name(t, rules, say), value=_value_text(t, row, say))
            for t in met
        )
    sentences = [text + "."]
    if hidden:
        sentences.append(say("narrative.hidden", names=", ".join(_name(t, rules, say) for t in hidden)))
    category = row.get("category") or "none"
    if category != "none":
        what = say(f"narrative.category.{category}")
        if row.get("eligible"):
            sentences.append(say("narrative.on_list", what=what, year=row["list_year"]))
        else:
            sentences.append(say("narrative.not_eligible", what=what))
    residents = row.get("residents")
    limit = say.number(minimum) if minimum else None
    if limit and residents is not None and residents < (minimum or 0) and n >= need:
        sentences.append(say("narrative.below_residents", count=say.number(residents), limit=limit))
    elif limit and residents is None and row.get("residents_label") and n >= need:
        count = _label_words(str(row["residents_label"]), say)
        sentences.append(say("narrative.below_residents", count=count, limit=limit))
    flips = [
        (row.get(f"{t.id}_margin_persons"), t)
        for t in tests
        if t.measure in _FLIPS and t not in hidden and row.get(f"{t.id}_margin_persons") is not None
    ]
    if flips:
        k, t = min(flips, key=lambda f: (f[0], f[1].measure))
        state = "met" if row.get(f"{t.id}_met") else "unmet"
        sentences.append(say(f"narrative.flip.{t.measure}.{state}", k=say.number(k)) + ".")
    income = next((t for t in tests if t.measure == "income"), None)
    dkk = row.get(f"{income.id}_margin_dkk") if income else None
    if income and dkk is not None:
        key = "narrative.income_below" if row.get(f"{income.id}_met") else "narrative.income_above"
        sentences.append(say(key, amount=say.kroner(abs(dkk))))
    return sentences


def colour_sentence(light: dict[str, Any], lang: str = "da", model_name: str | None = None) -> str:
    """The traffic-light colour and its reason in one sentence (`light["reason"]` already worded
    in `lang`, as `ListQueries.traffic_lights` gives it)."""
    say = words(language(lang))
    key = f"narrative.light_colour.{light['colour']}"
    return say(
        "narrative.light",
        model=model_name or light["model"],
        colour=say(key) if say.has(key) else light["colour"],
        year=light["year"],
        reason=light["reason"],
    )

"""Plain-language sentences that say why an area has its list category and traffic-light colour.

They are written from a published list row, so they say no more than the row shows: a hidden
residents count is described by the row's own label (the policy's, e.g. "under 10" for "<10"), or
not at all where the row has none.
"""

from __future__ import annotations

from typing import Any

from boligsocial.publish.disclosure import AREA_SMALL, Policy

CRITERIA = ("labour", "crime", "education", "income")
_NAMES = {
    "da": {
        "labour": "beskæftigelse",
        "crime": "kriminalitet",
        "education": "uddannelse",
        "income": "indkomst",
    },
    "en": {"labour": "employment", "crime": "crime", "education": "education", "income": "income"},
}
_FLIP = {  # what k persons would do to flip the criterion: (met, not met)
    "da": {
        "labour": (
            "{k} flere i beskæftigelse eller uddannelse ville bringe området under grænsen for beskæftigelse",
            "{k} flere uden for arbejdsmarkedet ville bringe området over grænsen for beskæftigelse",
        ),
        "crime": (
            "{k} færre dømte ville bringe området under grænsen for kriminalitet",
            "{k} flere dømte ville bringe området over grænsen for kriminalitet",
        ),
        "education": (
            "{k} flere med uddannelse ud over grundskolen ville bringe området under grænsen for uddannelse",
            "{k} flere med højst grundskole ville bringe området over grænsen for uddannelse",
        ),
    },
    "en": {
        "labour": (
            "{k} more people in work or education would bring the area below the employment threshold",
            "{k} more outside the labour market would bring the area above the employment threshold",
        ),
        "crime": (
            "{k} fewer convicted would bring the area below the crime threshold",
            "{k} more convicted would bring the area above the crime threshold",
        ),
        "education": (
            "{k} more with education beyond primary school would bring it below the education threshold",
            "{k} more people with at most primary school would bring the area above the education threshold",
        ),
    },
}
_CATEGORY = {
    "da": {
        "omdannelse": "et omdannelsesområde",
        "parallelsamfund": "et parallelsamfund",
        "udsat": "et udsat boligområde",
        "forebyggelse": "et forebyggelsesområde",
    },
    "en": {
        "omdannelse": "a transformation area",
        "parallelsamfund": "a parallel society",
        "udsat": "a vulnerable housing area",
        "forebyggelse": "a prevention area",
    },
}
_COLOUR = {
    "da": {"groen": "grønt", "gul": "gult", "roed": "rødt"},
    "en": {"groen": "green", "gul": "yellow", "roed": "red"},
}


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f} %".replace(".", ",")


def _value_text(test: str, row: dict[str, Any], lang: str) -> str:
    if test == "crime":
        ratio = row.get("crime_ratio")
        times = "gange landsgennemsnittet" if lang == "da" else "times the national average"
        return f"{ratio:.2f} {times}".replace(".", ",") if ratio is not None else "–"
    key = {"labour": "labour_share", "education": "education_share", "income": "income_ratio"}[test]
    text = _pct(row.get(key))
    if test == "income":
        text += " af regionens gennemsnit" if lang == "da" else " of the regional mean"
    return text


def _label_words(label: str, lang: str) -> str:
    """A small-count label in words: "<10" is "under 10" (Danish) or "fewer than 10"."""
    if label.startswith("<"):
        return ("under " if lang == "da" else "fewer than ") + label[1:]
    return label


def _small_area(row: dict[str, Any], lang: str, policy: Policy | None) -> str:
    """The one sentence of an area too small to show more than its residents count."""
    residents, label = row.get("residents"), row.get("residents_label")
    if residents is not None or label:
        count = str(residents) if residents is not None else _label_words(str(label), lang)
        return (
            f"Området har {count} beboere; af hensyn til diskretion vises kun beboertallet."
            if lang == "da"
            else f"The area has {count} residents; only that count is shown."
        )
    # the count itself is hidden too: say only what the state already says (the area is under the
    # policy's minimum size, where the row says that is why)
    limit = (
        policy.min_area_population
        if policy is not None
        and policy.min_area_population
        and row.get("hidden_reason", AREA_SMALL) == AREA_SMALL
        else None
    )
    if lang == "da":
        under = f" (under {limit} beboere)" if limit else ""
        return f"Området er for lille{under} til at vise dets tal; af hensyn til diskretion vises de ikke."
    under = f" (under {limit} residents)" if limit else ""
    return f"The area is too small{under} to show its figures; they are not shown for disclosure control."


def list_sentences(row: dict[str, Any], lang: str = "da", policy: Policy | None = None) -> list[str]:
    """Why the area has its category in a list year, and what would flip the nearest criterion.

    `row` is a published list row; `policy` the one it was published with (it names the minimum
    area size when even the residents count of a small area is hidden). A hidden residents count
    is written from the row's `residents_label`, which the disclosure step sets to the policy's
    label where the label may be shown."""
    lang = lang if lang in _NAMES else "da"
    names = _NAMES[lang]
    if row.get("state") == "suppressed":
        return [_small_area(row, lang, policy)]
    hidden = [c for c in CRITERIA if row.get(f"{c}_state") == "suppressed"]
    met = [c for c in CRITERIA if row.get(f"{c}_met")]
    n = len(met)
    text = f"Området opfylder {n} af 4 kriterier" if lang == "da" else f"The area meets {n} of 4 criteria"
    if met:
        text += ": " + ", ".join(f"{names[c]} ({_value_text(c, row, lang)})" for c in met)
    sentences = [text + "."]
    if hidden:
        sentences.append(
            "Af hensyn til diskretion vises ikke: " + ", ".join(names[c] for c in hidden) + "."
            if lang == "da"
            else "Not shown for disclosure control: " + ", ".join(names[c] for c in hidden) + "."
        )
    category = row.get("category") or "none"
    eligible = bool(row.get("eligible"))
    if category != "none":
        what = _CATEGORY[lang][category]
        if eligible:
            sentences.append(
                f"Det er {what} på listen {row['list_year']}."
                if lang == "da"
                else f"It is {what} on the {row['list_year']} list."
            )
        else:
            sentences.append(
                f"Tallene svarer til {what}, men området er ikke alment og kan ikke komme på listen."
                if lang == "da"
                else f"The figures match {what}, but the area is not social housing and cannot be listed."
            )
    residents = row.get("residents")
    if residents is not None and residents < 1000 and n >= 2:
        sentences.append(
            f"Med {residents} beboere er området under grænsen på 1.000 beboere."
            if lang == "da"
            else f"With {residents} residents the area is below the 1,000-resident limit."
        )
    elif residents is None and row.get("residents_label") and n >= 2:
        count = _label_words(str(row["residents_label"]), lang)
        sentences.append(
            f"Med {count} beboere er området under grænsen på 1.000 beboere."
            if lang == "da"
            else f"With {count} residents the area is below the 1,000-resident limit."
        )
    flips = [
        (row.get(f"{c}_margin_persons"), c)
        for c in ("labour", "crime", "education")
        if row.get(f"{c}_margin_persons") is not None
    ]
    if flips:
        k, c = min(flips)
        sentences.append(_FLIP[lang][c][0 if row.get(f"{c}_met") else 1].format(k=k) + ".")
    dkk = row.get("income_margin_dkk")
    if dkk is not None:
        amount = f"{abs(dkk):,.0f}".replace(",", ".")
        if row.get("income_met"):
            sentences.append(
                f"Indkomsten skal stige {amount} kr. pr. person for at komme over grænsen."
                if lang == "da"
                else f"Income must rise DKK {amount} per person to clear the threshold."
            )
        else:
            sentences.append(
                f"Indkomsten ligger {amount} kr. pr. person over grænsen."
                if lang == "da"
                else f"Income is DKK {amount} per person above the threshold."
            )
    return sentences


def colour_sentence(light: dict[str, Any], lang: str = "da") -> str:
    """The traffic-light colour and its reason in one sentence."""
    lang = lang if lang in _COLOUR else "da"
    colour = _COLOUR[lang].get(light["colour"], light["colour"])
    if lang == "da":
        return f"Trafiklyset ({light['model']}) er {colour} i {light['year']}: {light['reason']}."
    return f"The traffic light ({light['model']}) is {colour} in {light['year']}: {light['reason']}."

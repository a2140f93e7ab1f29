"""Plain-language sentences that say why an area has its list category and traffic-light colour."""

from __future__ import annotations

from typing import Any

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


def list_sentences(row: dict[str, Any], lang: str = "da") -> list[str]:
    """Why the area has its category in a list year, and what would flip the nearest criterion."""
    lang = lang if lang in _NAMES else "da"
    names = _NAMES[lang]
    if row.get("state") == "suppressed":
        row = {**row, "residents": row.get("residents") if row.get("residents") is not None else "under 5"}
        return [
            f"Området har {row.get('residents')} beboere; af hensyn til diskretion vises kun beboertallet."
            if lang == "da"
            else f"The area has {row.get('residents')} residents; only that count is shown."
        ]
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
    residents = row.get("residents") or 0
    if residents < 1000 and n >= 2:
        sentences.append(
            f"Med {residents} beboere er området under grænsen på 1.000 beboere."
            if lang == "da"
            else f"With {residents} residents the area is below the 1,000-resident limit."
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

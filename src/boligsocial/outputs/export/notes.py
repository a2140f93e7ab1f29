"""What a file says about its own disclosure control, taken from the policy it was published with.

One place for the texts every export writes — the disclosure note (Excel *Dokumentation*, the
provenance of CSV, GeoJSON, GeoPackage and PostGIS, the PDF methods page), the text written in
place of a hidden figure, and the warning on a file that must not leave the analysis function —
so no format can describe another policy than the one its figures passed, or write a label the
policy does not use (a policy hiding 1–9 writes "<10", never "<5").
"""

from __future__ import annotations

from boligsocial.publish.disclosure import NODATA, SMALL, Policy

#: What a hidden figure that is not a small count is written as (Excel, PDF).
HIDDEN_TEXT = "ikke vist"

#: The warning on the first line, sheet or page of a file that holds exact (also small) counts.
EXACT_WARNING = {
    "da": "FORTROLIGT: indeholder eksakte tal (også små antal). Må ikke videregives uden for "
    "analysefunktionen.",
    "en": "CONFIDENTIAL: holds exact figures (small counts too). Not to be passed on outside the analysis "
    "function.",
}
#: The same for a file whose policy protects less than the installation's default in another way.
WEAKER_WARNING = {
    "da": "FORTROLIGT: tallene er beskyttet mindre end de offentliggjorte. Må ikke videregives uden for "
    "analysefunktionen.",
    "en": "CONFIDENTIAL: the figures are protected less than the published ones. Not to be passed on outside "
    "the analysis function.",
}

#: The settings that limit what is shown: for each, a higher value hides more. Every whole-number
#: setting of `Policy` must be here (a test holds this), so a new limit cannot be forgotten.
LIMITS = ("small_count_max", "rate_min_population", "rate_uncertain_population", "min_area_population")


def at_least_as_strict(policy: Policy, than: Policy) -> bool:
    """Whether `policy` is at least as strict as `than`, judged by the settings: every limit at
    least as high and protection against differencing on wherever `than` has it.

    `small_count_display` does not count: it says how a small count is written ("<5" or rounded
    up), both of which say only that the count is small. This is the one definition of "stricter"
    (who may ask for which audience, and which files carry a warning)."""
    return all(getattr(policy, k) >= getattr(than, k) for k in LIMITS) and (
        policy.complementary or not than.complementary
    )


def warning(policy: Policy, default: Policy | None, lang: str = "da") -> str | None:
    """The warning a file published with `policy` starts with, or None for a file that may be
    passed on: exact counts (`small_count_max` = 0, the analyst policy), or any setting laxer than
    the installation's `default` policy."""
    texts = EXACT_WARNING if policy.small_count_max == 0 else WEAKER_WARNING
    if policy.small_count_max == 0 or (default is not None and not at_least_as_strict(policy, default)):
        return texts["en" if lang == "en" else "da"]
    return None


def _range(n: int) -> str:
    return "1" if n == 1 else f"1–{n}"


def _persons(n: int, lang: str) -> str:
    """'1–4 personer', '1 person' (English: persons)."""
    if n == 1:
        return "1 person"
    return f"1–{n} " + ("persons" if lang == "en" else "personer")


def disclosure_note(policy: Policy, lang: str = "da") -> list[tuple[str, str]]:
    """The disclosure rules of `policy` as (topic, sentence), in Danish or English, true to its
    settings: exact counts when no count is small, no minimum area size when it is 0, and the
    protection against differencing only when the policy has it."""
    en = lang == "en"
    n, label = policy.small_count_max, policy.small_label
    rate, unsure, area = (
        policy.rate_min_population,
        policy.rate_uncertain_population,
        policy.min_area_population,
    )
    out: list[tuple[str, str]] = []
    if n == 0:
        out.append(
            ("Small counts", "Counts are exact, small counts too.")
            if en
            else ("Små antal", "Antal vises eksakt, også små antal.")
        )
    elif policy.small_count_display == "round":
        out.append(
            ("Small counts", f"Counts of {_persons(n, 'en')} are shown rounded up to {n + 1}.")
            if en
            else ("Små antal", f"Antal på {_persons(n, 'da')} vises afrundet op til {n + 1}.")
        )
    else:
        out.append(
            ("Small counts", f"Counts of {_persons(n, 'en')} are shown as '{label}'.")
            if en
            else ("Små antal", f"Antal på {_persons(n, 'da')} vises som '{label}'.")
        )
    if rate > 0:
        out.append(
            ("Rates", f"A rate or mean on fewer than {rate} persons is not shown.")
            if en
            else ("Andele", f"En andel eller et gennemsnit for færre end {rate} personer vises ikke.")
        )
    else:
        out.append(
            ("Rates", "Rates and means are shown however few persons they are on.")
            if en
            else ("Andele", "Andele og gennemsnit vises, uanset hvor få personer de bygger på.")
        )
    if unsure > rate:
        out.append(
            ("Rates", f"On fewer than {unsure} persons it is marked uncertain.")
            if en
            else ("Andele", f"For færre end {unsure} personer markeres den som usikker.")
        )
    if n > 0:
        out.append(
            ("Rates", f"A share whose numerator or remainder is {_persons(n, 'en')} is not shown.")
            if en
            else ("Andele", f"En andel, hvor tælleren eller resten er {_persons(n, 'da')}, vises ikke.")
        )
    if area > 0:
        out.append(
            ("Small areas", f"Areas under {area} residents show only their residents count.")
            if en
            else ("Små områder", f"Områder under {area} beboere viser kun antal beboere.")
        )
    else:
        out.append(
            ("Small areas", "There is no minimum area size: every area shows its figures.")
            if en
            else ("Små områder", "Der er ingen mindstestørrelse for områder: alle områder viser deres tal.")
        )
    if policy.complementary:
        out.append(
            (
                "Differencing",
                "Figures that could be worked out by subtracting published figures from each other "
                "(across areas, layers, the municipality and statistics) are not shown.",
            )
            if en
            else (
                "Beskyttelse mod differens",
                "Figurer, der kunne regnes ud ved at trække offentliggjorte tal fra hinanden (på tværs af "
                "områder, lag, kommunen og statistikker), vises ikke.",
            )
        )
    return out


def note_text(policy: Policy, lang: str = "da") -> str:
    """The disclosure note in one paragraph (provenance, PDF methods page, PostGIS)."""
    return " ".join(sentence for _, sentence in disclosure_note(policy, lang))


def marking(policy: Policy) -> str:
    """What the marks in a table mean (Excel): the small-count label only where the policy has one."""
    parts = []
    if policy.small_count_max > 0 and policy.small_count_display == "round":
        parts.append(f"{policy.small_count_max + 1} kan være et afrundet lille antal")
    elif policy.small_count_max > 0:
        parts.append(f"'{policy.small_label}' = lille antal")
    parts += [f"'{HIDDEN_TEXT}' = skjult af diskretionshensyn", "tom = ingen data"]
    return "; ".join(parts) + "."


def hidden_text(state: str | None, policy: Policy, label: str | None = None, nodata: str = "") -> str:
    """What a file writes in place of a figure without a value: a small count by its label (the
    cell's own, which is the policy's), any other hidden figure as 'ikke vist', no data as
    `nodata`."""
    if state == SMALL:
        return label or policy.small_label
    if state == NODATA or state is None:
        return nodata
    return HIDDEN_TEXT


def state_description(policy: Policy) -> str:
    """The states a published figure can have, with this policy's label (column descriptions)."""
    n = policy.small_count_max
    small = ""
    if n > 0 and policy.small_count_display == "round":
        small = f"rounded (lille antal {_range(n)}, vist som {n + 1}), "
    elif n > 0:
        small = f"small (lille antal {_range(n)}, vises som {policy.small_label}), "
    return f"ok, uncertain (usikkert), {small}suppressed (skjult), nodata (ingen data)"

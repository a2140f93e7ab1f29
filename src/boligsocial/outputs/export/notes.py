"""What a file says about its own disclosure control, taken from the policy it was published with.

One place for the texts every export writes — the disclosure note (Excel *Dokumentation*, the
provenance of CSV, GeoJSON, GeoPackage and PostGIS, the PDF methods page), the text written in
place of a hidden figure, and the warning on a file that must not leave the analysis function —
so no format can describe another policy than the one its figures passed, or write a label the
policy does not use (a policy hiding 1–9 writes "<10", never "<5"). The words are the catalogues'
(`export.po`), in Danish by default or in English (`lang`).
"""

from __future__ import annotations

from boligsocial.common.words import LANGUAGES, language, words
from boligsocial.publish.disclosure import NODATA, SMALL, Policy

#: The warning on the first line, sheet or page of a file that holds exact (also small) counts,
#: per language (`export.warning.exact`).
EXACT_WARNING = {lang: words(lang)("export.warning.exact") for lang in LANGUAGES}
#: The same for a file whose policy protects less than the installation's default in another way.
WEAKER_WARNING = {lang: words(lang)("export.warning.weaker") for lang in LANGUAGES}

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
        return texts[language(lang)]
    return None


def _range(n: int) -> str:
    return "1" if n == 1 else f"1–{n}"


def _persons(n: int, lang: str) -> str:
    """'1–4 personer', '1 person' (English: persons)."""
    say = words(language(lang))
    return say("export.note.person") if n == 1 else say("export.note.persons", range=_range(n))


def disclosure_note(policy: Policy, lang: str = "da") -> list[tuple[str, str]]:
    """The disclosure rules of `policy` as (topic, sentence), in Danish or English, true to its
    settings: exact counts when no count is small, no minimum area size when it is 0, and the
    protection against differencing only when the policy has it."""
    say = words(language(lang))
    n, label = policy.small_count_max, policy.small_label
    rate, unsure, area = (
        policy.rate_min_population,
        policy.rate_uncertain_population,
        policy.min_area_population,
    )
    small, rates, areas = say("export.note.small"), say("export.note.rates"), say("export.note.areas")
    persons = _persons(n, lang)
    out: list[tuple[str, str]] = []
    if n == 0:
        out.append((small, say("export.note.exact")))
    elif policy.small_count_display == "round":
        out.append((small, say("export.note.rounded", persons=persons, shown=say.number(n + 1))))
    else:
        out.append((small, say("export.note.labelled", persons=persons, label=label)))
    if rate > 0:
        out.append((rates, say("export.note.rate_min", rate=say.number(rate))))
    else:
        out.append((rates, say("export.note.rate_any")))
    if unsure > rate:
        out.append((rates, say("export.note.uncertain", unsure=say.number(unsure))))
    if n > 0:
        out.append((rates, say("export.note.share_small", persons=persons)))
    if area > 0:
        out.append((areas, say("export.note.area_min", area=say.number(area))))
    else:
        out.append((areas, say("export.note.area_any")))
    if policy.complementary:
        out.append((say("export.note.differencing"), say("export.note.differencing_text")))
    return out


def note_text(policy: Policy, lang: str = "da") -> str:
    """The disclosure note in one paragraph (provenance, PDF methods page, PostGIS)."""
    return " ".join(sentence for _, sentence in disclosure_note(policy, lang))


def hidden_word(lang: str = "da") -> str:
    """What a hidden figure that is not a small count is written as (Excel): 'ikke vist'."""
    return words(language(lang))("export.hidden")


def marking(policy: Policy, lang: str = "da") -> str:
    """What the marks in a table mean (Excel): the small-count label only where the policy has one."""
    say = words(language(lang))
    parts = []
    if policy.small_count_max > 0 and policy.small_count_display == "round":
        parts.append(say("export.mark.rounded", shown=say.number(policy.small_count_max + 1)))
    elif policy.small_count_max > 0:
        parts.append(say("export.mark.small", label=policy.small_label))
    parts += [say("export.mark.hidden", hidden=hidden_word(lang)), say("export.mark.empty")]
    return "; ".join(parts) + "."


def hidden_text(
    state: str | None, policy: Policy, label: str | None = None, nodata: str = "", lang: str = "da"
) -> str:
    """What a file writes in place of a figure without a value: a small count by its label (the
    cell's own, which is the policy's), any other hidden figure as 'ikke vist' (in `lang`), no
    data as `nodata`."""
    if state == SMALL:
        return label or policy.small_label
    if state == NODATA or state is None:
        return nodata
    return hidden_word(lang)


def state_description(policy: Policy, lang: str = "da") -> str:
    """The states a published figure can have, with this policy's label (column descriptions):
    the codes the `<id>_state` columns hold, each with what it means in `lang`."""
    say = words(language(lang))
    n = policy.small_count_max
    parts = [say("export.state.ok"), say("export.state.uncertain")]
    if n > 0 and policy.small_count_display == "round":
        parts.append(say("export.state.rounded", range=_range(n), shown=say.number(n + 1)))
    elif n > 0:
        parts.append(say("export.state.small", range=_range(n), label=policy.small_label))
    parts += [say("export.state.suppressed"), say("export.state.nodata")]
    return ", ".join(parts)

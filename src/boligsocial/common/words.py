"""Every word a user reads, in Danish and English, from message catalogues.

The catalogues are gettext `.po` files, one per room that speaks to users, under
`locale/<language>/` (`web.po` for the pages and their scripts, `report.po` for the PDF reports,
…), read with Babel; a message is found by its key (the `msgid`, e.g. `list.udsat`) and may name
parameters in braces (`"{count} af {of} kriterier"`). Numbers, percentages, kroner and dates are
written by Babel for the language's locale (`12,3 %` and `26.364 kr.` in Danish, `12.3%` and
`DKK 26,364` in English), and names are sorted in Danish alphabetical order (Æ, Ø, Å after Z,
`aa` as `å`). A key missing from a catalogue is an error, never shown to a user as its id: the
suite checks that both languages have every key (docs/i18n.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

#: The languages every message exists in; the first is the default.
LANGUAGES = ("da", "en")
DEFAULT = LANGUAGES[0]
#: The locale each language's numbers and dates are written in.
LOCALES = {"da": "da_DK", "en": "en_GB"}


@dataclass(frozen=True)
class Term:
    """A parameter that is itself a message, worded in the language of the message it fills
    (`what=Term("config.file.ruleset")` reads "regelsætfilen" in Danish, "rule set file" in English)."""

    key: str


@dataclass(frozen=True)
class Words:
    """The messages and the number formats of one language."""

    lang: str
    messages: Mapping[str, str]

    @property
    def locale(self) -> str:
        return LOCALES[self.lang]

    def __call__(self, key: str, **params: Any) -> str:
        """The message `key`, with its `{parameters}` filled in."""
        try:
            text = self.messages[key]
        except KeyError:
            raise KeyError(f"no message '{key}' in the '{self.lang}' catalogues") from None
        if not params:
            return text
        return text.format(**{k: self(v.key) if isinstance(v, Term) else v for k, v in params.items()})

    def has(self, key: str) -> bool:
        return key in self.messages

    def name(self, concept: str, ident: str) -> str:
        """The name of a concept's id in the vocabulary (`topic.boern_unge` → "Børn og unge"); a
        municipality's own layer or topic, which has none, by its id with spaces for underscores
        (as `nameOf` in the dashboard's app.js)."""
        key = f"{concept}.{ident}"
        return self(key) if key in self.messages else ident.replace("_", " ")

    def number(self, value: float | None, digits: int = 0) -> str:
        """A number with the language's separators (`1.234,5` / `1,234.5`); `–` for none."""
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return str(format_decimal(value, format=pattern, locale=self.locale))

    def percent(self, share: float | None, digits: int = 1) -> str:
        """A share (0.123) as a percentage (`12,3 %` / `12.3%`)."""
        if share is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + (" %" if self.lang == "da" else "%")
        return str(format_percent(share, format=pattern, locale=self.locale))

    def kroner(self, value: float | None) -> str:
        """An amount in whole kroner (`26.364 kr.` / `DKK 26,364`)."""
        if value is None:
            return "–"
        amount = self.number(round(value))
        return f"{amount} kr." if self.lang == "da" else f"DKK {amount}"

    def date(self, day: dt.date) -> str:
        """A date written out (`7. december 2026` / `7 December 2026`)."""
        return str(format_date(day, format="long", locale=self.locale))


def language(lang: str | None) -> str:
    """A supported language for `lang` (a code such as `en`, `en-GB` or `da_DK`), else the default."""
    code = (lang or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else DEFAULT


@cache
def words(lang: str = DEFAULT) -> Words:
    """The catalogues of a language, read once per process."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language '{lang}'; choose one of {', '.join(LANGUAGES)}")
    messages: dict[str, str] = {}
    for key, text, _source in catalogue_entries(lang):
        messages[key] = text
    return Words(lang, messages)


def both(key: str, **params: Any) -> str:
    """The message in Danish and English, `dansk / English`: for what is said before anyone's
    language is known (a configuration file's problems, a server's settings, an operating-system
    error), read by the municipality's analyst and by the operator alike."""
    return " / ".join(words(lang)(key, **params) for lang in LANGUAGES)


def catalogue_entries(lang: str) -> list[tuple[str, str, str]]:
    """Every (key, message, file) of a language's catalogues; a key in two files is an error."""
    folder = resources.files(__package__).joinpath("locale", lang)
    out: list[tuple[str, str, str]] = []
    seen: dict[str, str] = {}
    for entry in sorted(folder.iterdir(), key=lambda f: f.name):
        if not entry.name.endswith(".po"):
            continue
        with entry.open("rb") as fh:
            catalog = read_po(fh, locale=LOCALES[lang])
        for message in catalog:
            if not message.id:
                continue
            key = str(message.id)
            if key in seen:
                raise ValueError(f"message '{key}' is in both {seen[key]} and {entry.name} ({lang})")
            seen[key] = entry.name
            out.append((key, str(message.string), entry.name))
    return out


#: Danish alphabetical order: the letters after z, and what sorts like them.
_AFTER_Z = {"æ": "{", "ä": "{", "ø": "|", "ö": "|", "å": "}"}
_AA = "å"  # "aa" is the old spelling of the letter


def sort_key(name: str) -> tuple[str, str]:
    """A key that sorts names in Danish alphabetical order: Æ, Ø, Å after Z and `aa` as `å`
    (`Aabenraa` after `Østbyen`), letters before their accented forms."""
    folded = name.casefold().replace("aa", _AA)
    return "".join(_AFTER_Z.get(c, c) for c in folded), name

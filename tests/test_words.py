"""The message catalogues: both languages say everything, with the same parameters; numbers,
percentages, kroner and dates by locale; Danish alphabetical order."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from boligsocial.common.words import LANGUAGES, catalogue_entries, language, sort_key, words

PARAMETER = re.compile(r"\{(\w+)\}")


def test_every_key_is_in_every_language_with_the_same_parameters_and_a_text() -> None:
    keys = {lang: {key: text for key, text, _ in catalogue_entries(lang)} for lang in LANGUAGES}
    da, en = keys["da"], keys["en"]
    assert len(da) > 150
    assert sorted(set(da) - set(en)) == [] and sorted(set(en) - set(da)) == []
    empty = [(lang, k) for lang in LANGUAGES for k, t in keys[lang].items() if not t.strip()]
    assert empty == []
    differ = [k for k in da if set(PARAMETER.findall(da[k])) != set(PARAMETER.findall(en[k]))]
    assert differ == []


def test_each_key_lives_in_one_file_of_the_same_name_in_both_languages() -> None:
    files = {lang: {key: source for key, _, source in catalogue_entries(lang)} for lang in LANGUAGES}
    assert files["da"] == files["en"]


def test_a_message_fills_its_parameters_and_a_missing_key_is_an_error() -> None:
    da, en = words("da"), words("en")
    assert da("web.users_unlocked", user="kim") == "kim er låst op."
    assert en("web.users_unlocked", user="kim") == "kim is unlocked."
    with pytest.raises(KeyError, match=re.escape("no message 'web.nonsense'")):
        da("web.nonsense")


@pytest.mark.parametrize(
    ("lang", "number", "percent", "kroner", "date"),
    [
        ("da", "1.234,5", "12,3 %", "26.364 kr.", "7. december 2026"),
        ("en", "1,234.5", "12.3%", "DKK 26,364", "7 December 2026"),
    ],
)
def test_numbers_and_dates_are_written_as_the_language_writes_them(
    lang: str, number: str, percent: str, kroner: str, date: str
) -> None:
    w = words(lang)
    assert w.number(1234.5, 1) == number
    assert w.percent(0.1234) == percent
    assert w.kroner(26363.6) == kroner
    assert w.date(dt.date(2026, 12, 7)) == date
    assert w.number(None) == w.percent(None) == w.kroner(None) == "–"


def test_names_sort_in_danish_alphabetical_order() -> None:
    names = [
        "Østbyen",
        "Aabenraa",
        "Åbyen",
        "Zealand",
        "Æblehaven",
        "Engparken",
        "Ørby",
        "aalborg",
        "Ebeltoft",
    ]
    # Æ, Ø, Å after Z; "aa" is "å" (Aabenraa = Åbenrå after Åbyen: "be" < "by"; aalborg = ålborg)
    assert sorted(names, key=sort_key) == [
        "Ebeltoft",
        "Engparken",
        "Zealand",
        "Æblehaven",
        "Ørby",
        "Østbyen",
        "Aabenraa",
        "Åbyen",
        "aalborg",
    ]


def test_a_language_is_chosen_from_a_code_or_falls_back_to_danish() -> None:
    assert language("en-GB") == language("en_US") == language("EN") == "en"
    assert language("de") == language(None) == language("") == "da"

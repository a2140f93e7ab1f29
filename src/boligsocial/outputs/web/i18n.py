"""The dashboard's words: the `web.*` messages of the catalogues (`common/locale/*/web.po`), for
the templates and, without the prefix, for the pages' scripts (`T.<name>`)."""

from __future__ import annotations

from functools import cache

from boligsocial.common.words import LANGUAGES, words

__all__ = ["LANGUAGES", "texts"]


@cache
def texts(lang: str) -> dict[str, str]:
    """The dashboard's texts of a language (Danish for anything unknown), by name."""
    catalogue = words(lang if lang in LANGUAGES else LANGUAGES[0])
    return {key[4:]: text for key, text in catalogue.messages.items() if key.startswith("web.")}

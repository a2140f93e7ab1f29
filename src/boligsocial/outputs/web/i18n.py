"""The dashboard's words, by name, for the templates (`t.<name>`) and the pages' scripts
(`T.<name>`): the `web.*` messages of the catalogues (`common/locale/*/web.po`) without their
prefix, and the names of the concepts (`vocabulary.po`) as `<concept>_<id>` (`list_udsat`,
`layer_omraade`, `housing_privat_leje`, `role_staff`, …). A criterion is named with the ages the
newest regime counts (`criterion_labour` "uden for arbejdsmarkedet (18-64 år)"), as the moves
tables it names are computed (compute/moves reads the same bands)."""

from __future__ import annotations

from functools import cache

from boligsocial.common.words import LANGUAGES, catalogue_entries, words
from boligsocial.compute.rulesets import load_rulebook

__all__ = ["LANGUAGES", "texts"]


@cache
def texts(lang: str) -> dict[str, str]:
    """The dashboard's texts of a language (Danish for anything unknown), by name."""
    out: dict[str, str] = {}
    for key, text, source in catalogue_entries(lang if lang in LANGUAGES else LANGUAGES[0]):
        if source == "web.po":
            name = key.removeprefix("web.")
        elif source == "vocabulary.po":
            name = key.replace(".", "_", 1)
        else:
            continue
        if name in out:
            raise ValueError(f"two messages are named '{name}' for the dashboard ({lang})")
        out[name] = text
    newest = load_rulebook().rulesets[-1]
    say = words(lang if lang in LANGUAGES else LANGUAGES[0])
    for key in [k for k in out if k.startswith("criterion_") and not k.startswith("criterion_band")]:
        out[key] = newest.criterion_name(key.removeprefix("criterion_"), say)
    return out

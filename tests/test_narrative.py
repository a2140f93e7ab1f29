"""The sentences of the area page: criteria counted by the row's own rule set, every word from the
catalogues in the reader's language, and traffic-light reasons stored as data and worded per reader."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from boligsocial.common.words import words
from boligsocial.compute.rulesets import load_rulebook
from boligsocial.compute.trafficlight import load_models, parse_reason, points_colours, reason_text
from boligsocial.compute.trafficlight.colours import criteria_colours
from boligsocial.publish.service.narrative import colour_sentence, list_sentences

BOOK = load_rulebook()
DANISH = re.compile(r"[æøåÆØÅ]|\b(og|af|ikke|området|kriterier|grænsen|beboere)\b", re.IGNORECASE)
#: Ids a reader must never see: the lists, kinds, measures and indicators by their identifiers.
IDS = re.compile(r"\b\w+_(share|ratio|fb|unge|leje|met)\b|\b(omraade|nonwestern|roed|groen|udsat)\b")


def row_for(list_year: int, met: set[str], **extra: object) -> dict:
    """A published list row of the regime of `list_year` meeting the tests in `met`."""
    rules = BOOK.for_year(list_year)
    assert rules is not None and rules.criteria_list is not None
    row: dict = {
        "list_year": list_year,
        "rule_set": rules.name,
        "category": "none",
        "eligible": True,
        "residents": 2500,
        "labour_share": 0.45,
        "crime_share": 0.03,
        "crime_ratio": 3.2,
        "education_share": 0.65,
        "income_ratio": 0.52,
        "nonwestern_share": 0.55,
    }
    for t in rules.criteria_list.count:
        row[f"{t}_met"] = t in met
    row.update(extra)
    return row


@pytest.mark.parametrize("list_year", [2012, 2015, 2020, 2026])
def test_the_criteria_are_counted_by_the_rule_set_of_the_list_year(list_year: int) -> None:
    rules = BOOK.for_year(list_year)
    assert rules is not None and rules.criteria_list is not None
    counted = rules.criteria_list.count
    met = set(counted[:2])
    first = list_sentences(row_for(list_year, met), "da")[0]
    of, need = len(counted), rules.criteria_list.min_met
    assert first.startswith(f"Området opfylder 2 af {of} kriterier (listen kræver {need}):")
    for t in met:  # each met criterion is named by its population, as vocabulary.po calls it
        assert words("da")(f"criterion.{rules.tests[t].measure}") in first
    english = list_sentences(row_for(list_year, met), "en")[0]
    assert english.startswith(f"The area meets 2 of {of} criteria ({need} needed for the list):")


def test_the_regimes_differ_as_the_law_says() -> None:
    """The 2010 ghetto list counted 3 tests and needed 2; 2013: 5 and 3; 2021 udsat: 4 and 2."""
    counts = {y: BOOK.for_year(y).criteria_list for y in (2012, 2015, 2026)}  # type: ignore[union-attr]
    assert {y: (len(r.count), r.min_met) for y, r in counts.items() if r} == {
        2012: (3, 2),
        2015: (5, 3),
        2026: (4, 2),
    }


def test_english_sentences_hold_no_danish_word_and_no_id() -> None:
    row = row_for(
        2026,
        {"labour", "crime", "income"},
        category="udsat",
        residents=None,
        residents_label="<10",
        labour_margin_persons=4,
        crime_margin_persons=7,
        education_margin_persons=2,
        income_margin_dkk=-26364.0,
        education_state="suppressed",
    )
    sentences = list_sentences(row, "en")
    text = " ".join(sentences)
    assert len(sentences) == 6, sentences
    assert not DANISH.search(text), text
    assert not IDS.search(text), text
    say = words("en")
    assert say.kroner(26364) in text and "DKK 26,364" in text  # English numbers, English currency
    # the nearest flip of a shown criterion (education's 2 persons are hidden with it)
    assert say("narrative.flip.labour.met", k=4) in text and "education threshold" not in text
    assert "fewer than 10" in text
    danish = " ".join(list_sentences(row, "da"))
    assert "26.364 kr." in danish and "under 10" in danish


def test_a_traffic_light_reason_is_data_and_worded_for_each_reader() -> None:
    models = {m.id: m for m in load_models()}
    result = {
        "layer": "omraade",
        "area_id": "x",
        "list_year": 2026,
        "category": "udsat",
        "criteria_met": 2,
        "udsat": True,
        "parallelsamfund": False,
        "omdannelse": False,
        "forebyggelse": False,
        "labour_share": 0.45,
        "labour_threshold": 0.40,
        "crime_ratio": 3.5,
        "education_share": 0.58,
        "education_threshold": 0.60,
        "income_ratio": 0.9,
        "income_threshold": 0.55,
    }
    light = criteria_colours(models["kriterier"], pl.DataFrame([result])).row(0, named=True)
    # "near" counts the criteria over or within the model's margin of their threshold: labour and
    # crime are over it, education at 58 % is within the margin under 60 %, income is far
    margin = models["kriterier"].settings["near"]["education"] / 100
    near = 2 + (0.60 - margin < 0.58)
    assert parse_reason(light["reason"]) == {"met": "2", "near": str(near), "category": "udsat"}
    for lang in ("da", "en"):
        say = words(lang)
        text = reason_text(light["reason"], lang, {})
        assert text == say("narrative.reason.criteria", met=2, near=near, category=say("list.udsat"))
    english = colour_sentence({**light, "reason": reason_text(light["reason"], "en", {})}, "en", "Distance")
    assert english.startswith("The traffic light (Distance) is red in 2026") and not DANISH.search(english)


def test_a_points_reason_names_indicators_not_ids() -> None:
    model = next(m for m in load_models() if m.kind == "indicator_points")
    ind = model.settings["indicator"][0]
    worse = 10.0 if ind["worse"] == "higher" else 0.01
    values = pl.DataFrame(
        {
            "layer": ["kommune", "omraade"],
            "area_id": ["k", "x"],
            "year": [2025, 2025],
            "indicator": [ind["id"]] * 2,
            "numerator": [100.0, 100.0 * worse],
            "denominator": [1000.0, 1000.0],
        }
    )
    light = points_colours(model, values, "kommune").row(0, named=True)
    assert parse_reason(light["reason"]) == {"points": "2", ind["id"]: "2"}
    names = {ind["id"]: "Some indicator"}
    assert reason_text(light["reason"], "en", names) == "2 points (Some indicator: 2)"
    assert reason_text(light["reason"], "da", {ind["id"]: "En indikator"}) == "2 point (En indikator: 2)"
    assert reason_text("opfyldte kriterier: 2", "en", names) == "opfyldte kriterier: 2"  # an older database's


@pytest.mark.parametrize("lang", ["da", "en"])
def test_a_criterion_is_named_with_the_ages_its_own_rule_set_counts(lang: str, tmp_path: Path) -> None:
    """The age band of a criterion is written once, in the rule set: a regime that counts other
    ages (a municipality's own file) names its criteria with those ages, on the page and in the
    files, and the shipped one with its own."""
    shipped = BOOK.for_year(2026)
    assert shipped is not None
    low, high = shipped.settings["labour_ages"]
    text = (Path(__file__).parents[1] / "src/boligsocial/compute/rulesets" / shipped.source).read_text(
        encoding="utf-8"
    )
    own = text.replace(f"labour_ages = [{low}, {high}]", "labour_ages = [16, 66]")
    assert own != text
    (tmp_path / "own.toml").write_text(own, encoding="utf-8")
    book = load_rulebook([tmp_path / "own.toml"])
    mine = book.for_year(2026)
    assert mine is not None and mine.band("labour") == (16, 66)
    say = words(lang)
    row = row_for(2026, {"labour"})
    theirs = list_sentences(row, lang, rules=shipped)[0]
    ours = list_sentences(row, lang, rules=mine)[0]
    assert say("criterion.band", name=say("criterion.labour"), low=low, high=high) in theirs
    assert say("criterion.band", name=say("criterion.labour"), low=16, high=66) in ours
    assert f"{low}-{high}" not in ours
    # an open band (crime counts 18 and over) has no upper age
    assert mine.criterion_name("crime", say) == say(
        "criterion.band_open", name=say("criterion.crime"), low=18
    )
    assert mine.criterion_name("nonwestern", say) == say("criterion.nonwestern")

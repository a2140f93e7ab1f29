"""Traffic lights: both built-in models at their edges, settings as data, and colour changes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from boligsocial.common.errors import ConfigError
from boligsocial.compute.trafficlight import (
    colours,
    criteria_colours,
    load_models,
    points_colours,
    with_changes,
)

MODELS = {m.id: m for m in load_models()}


def result(**kw: object) -> dict:
    row = {
        "layer": "omraade",
        "area_id": "x",
        "list_year": 2026,
        "category": "none",
        "criteria_met": 0,
        "udsat": False,
        "parallelsamfund": False,
        "omdannelse": False,
        "forebyggelse": False,
        "labour_share": 0.10,
        "labour_threshold": 0.40,
        "crime_ratio": 1.0,
        "education_share": 0.20,
        "education_threshold": 0.60,
        "income_ratio": 0.9,
        "income_threshold": 0.55,
    }
    row.update(kw)
    return row


def colour(**kw: object) -> str:
    return criteria_colours(MODELS["kriterier"], pl.DataFrame([result(**kw)])).item(0, "colour")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, "groen"),
        ({"udsat": True, "criteria_met": 2, "category": "udsat"}, "roed"),
        ({"criteria_met": 2}, "roed"),  # two criteria met, even below 1000 residents
        ({"forebyggelse": True, "category": "forebyggelse"}, "gul"),
        ({"criteria_met": 1}, "gul"),
        ({"labour_share": 0.3501}, "gul"),  # within 5 points of 40 %
        ({"labour_share": 0.35}, "groen"),  # exactly 5 points below is not "near"
        ({"crime_ratio": 2.5}, "gul"),  # within 0.5 × national of 3 ×
        ({"income_ratio": 0.5999}, "gul"),
        ({"education_share": 0.55}, "groen"),
    ],
)
def test_criteria_model(changes: dict, expected: str) -> None:
    assert colour(**changes) == expected


def values(area_rate: dict[str, float], denominator: int = 100) -> pl.DataFrame:
    rows = []
    for indicator, rate in area_rate.items():
        rows.append(
            {
                "layer": "kommune",
                "area_id": "999",
                "year": 2025,
                "indicator": indicator,
                "numerator": 1000.0,
                "denominator": 10000,
            }
        )
        rows.append(
            {
                "layer": "omraade",
                "area_id": "x",
                "year": 2025,
                "indicator": indicator,
                "numerator": rate * 0.1 * denominator,
                "denominator": denominator,
            }
        )
    return pl.DataFrame(rows)


def test_points_model_scores_relative_to_the_municipality() -> None:
    model = MODELS["point"]
    worse = {"outside_labour_18_64": 1.5, "convicted_18plus": 1.5, "low_education_30_59": 1.5}
    red = points_colours(model, values(worse), "kommune").row(0, named=True)
    assert (red["colour"], red["score"]) == ("roed", 6)
    one_each = {"outside_labour_18_64": 1.25, "convicted_18plus": 1.25, "low_education_30_59": 1.2499}
    yellow = points_colours(model, values(one_each), "kommune").row(0, named=True)
    assert (yellow["colour"], yellow["score"]) == ("groen", 2)
    income = points_colours(
        model, values({"mean_income_15_64": 0.67, "convicted_18plus": 1.25}), "kommune"
    ).row(0, named=True)
    assert (income["colour"], income["score"]) == ("gul", 3)  # income at 67 % gives 2 points


def test_points_model_ignores_indicators_with_too_few_persons() -> None:
    small = points_colours(MODELS["point"], values({"outside_labour_18_64": 3.0}, denominator=19), "kommune")
    assert small.item(0, "score") == 0


def test_colour_changes_are_events() -> None:
    frame = pl.DataFrame(
        [
            result(list_year=2024),
            result(list_year=2025, criteria_met=1),
            result(list_year=2026, criteria_met=1),
        ]
    )
    out = with_changes(criteria_colours(MODELS["kriterier"], frame))
    assert out.select("year", "colour", "previous", "changed").rows() == [
        (2024, "groen", None, False),
        (2025, "gul", "groen", True),
        (2026, "gul", "gul", False),
    ]


def test_a_municipality_overrides_thresholds_in_its_own_file(tmp_path: Path) -> None:
    own = tmp_path / "trafficlight.toml"
    own.write_text(
        '[kriterier]\nkind = "criteria_distance"\nred_lists = ["udsat"]\nred_min_criteria = 3\n'
        "yellow_lists = []\nyellow_min_criteria = 2\nyellow_min_near = 9\n"
        "[kriterier.near]\nlabour = 0\ncrime = 0\neducation = 0\nincome = 0\n"
    )
    models = load_models(own)
    frame = pl.DataFrame([result(criteria_met=2)])
    assert (
        colours(models, frame, values({"outside_labour_18_64": 1.0}), "kommune")
        .filter(pl.col("model") == "kriterier")
        .item(0, "colour")
        == "gul"
    )


def test_bad_model_file_reports_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "trafficlight.toml"
    bad.write_text('[a]\nkind = "mood"\n[b]\nkind = "indicator_points"\nred_points = 1\n')
    with pytest.raises(ConfigError) as info:
        load_models(bad)
    assert str(info.value).splitlines() == [
        "fejl i trafiklysmodellerne / traffic-light model problems:",
        "  trafficlight.toml: a.kind: ukendt værdi / unknown value: 'mood' "
        "(tilladt/allowed: criteria_distance, indicator_points)",
        "  trafficlight.toml: b.yellow_points: mangler / is missing",
        "  trafficlight.toml: b.min_denominator: mangler / is missing",
        "  trafficlight.toml: b.indicator: mangler / is missing",
    ]


def test_a_misspelled_key_in_a_model_file_is_refused_with_a_hint(tmp_path: Path) -> None:
    own = tmp_path / "trafficlight.toml"
    own.write_text(
        '[kriterier]\nkind = "criteria_distance"\nred_lists = ["udsat"]\nred_min_criteria = 3\n'
        'yellow_lists = ["forebygelse"]\nyellow_min_criteria = 2\nyellow_min_near = 9\n'
        "[kriterier.near]\nlabour = 0\ncrime = 0\neducation = 0\nincome = 0\n"
        '[point]\nkind = "indicator_points"\nyellow_points = 3\nred_points = 6\nmin_denominator = 20\n'
        '[[point.indicator]]\nid = "x"\nworse = "higher"\none_points = 1.25\ntwo_points = 1.5\n'
    )
    with pytest.raises(ConfigError) as info:
        load_models(own)
    assert str(info.value).splitlines()[1:] == [
        "  trafficlight.toml: kriterier.yellow_lists[1]: ukendt værdi / unknown value: 'forebygelse' "
        "(tilladt/allowed: udsat, parallelsamfund, omdannelse, forebyggelse); "
        "mente du 'forebyggelse'? / did you mean 'forebyggelse'?",
        "  trafficlight.toml: point.indicator[1].one_point: mangler / is missing",
        "  trafficlight.toml: point.indicator[1].one_points: ukendt nøgle / unknown key; "
        "mente du 'one_point'? / did you mean 'one_point'?",
    ]


def test_the_shipped_models_read_as_they_always_did() -> None:
    """Each model keeps its settings exactly as written in models.toml (the colour code reads them)."""
    import tomllib

    from boligsocial.compute import trafficlight

    path = Path(trafficlight.__file__).parent / "models.toml"
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    assert list(MODELS) == list(raw) == ["kriterier", "point"]
    for mid, model in MODELS.items():
        assert model.settings == raw[mid] and model.kind == raw[mid]["kind"]
        assert (model.label_da, model.label_en) == (raw[mid]["label_da"], raw[mid]["label_en"])
        assert (model.description_da, model.description_en) == (
            raw[mid]["description_da"],
            raw[mid]["description_en"],
        )

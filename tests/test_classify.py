"""`bsm classify`: lists from area-level figures, exactly, with the columns of `bsm lists`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from typer.testing import CliRunner

from boligsocial.compute.lists import result_columns
from boligsocial.compute.rulesets import load_rulebook
from boligsocial.outputs.cli import app

runner = CliRunner()
HEADER = (
    "area_id,list_year,residents,nonwestern_share,labour_share,crime_share,crime_ratio,"
    "education_share,income_ratio\n"
)


def classify(tmp_path: Path, body: str, *args: str) -> list[dict[str, str]]:
    figures = tmp_path / "figures.csv"
    figures.write_text(HEADER + body)
    result = runner.invoke(app, ["classify", str(figures), *args])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_output_has_the_columns_of_bsm_lists(tmp_path: Path) -> None:
    rows = classify(tmp_path, "a,2025,1000,0.55,0.41,0.03,3.0,0.5,0.6\n")
    assert list(rows[0]) == result_columns(load_rulebook())


def test_thresholds_are_decided_on_the_exact_decimals(tmp_path: Path) -> None:
    rows = classify(
        tmp_path,
        "a,2025,1000,0.55,0.41,0.03,3,0.5,0.6\n"
        "b,2025,999,0.55,0.41,0.03,3,0.5,0.6\n"
        "c,2025,2000,0.50,0.40,0.029,2.999,0.61,0.55\n",
    )
    a, b, c = rows
    assert (a["labour_met"], a["crime_met"], a["udsat"], a["parallelsamfund"]) == (
        "true",
        "true",
        "true",
        "true",
    )
    assert b["udsat"] == "false" and b["residents_margin"] == "-1"
    # labour exactly 40 % and income exactly 55 % are not met; crime 2.999 < 3 is not met
    assert (c["labour_met"], c["income_met"], c["crime_met"]) == ("false", "false", "false")
    assert c["criteria_met"] == "1" and c["category"] == "forebyggelse"
    assert c["nonwestern_margin_persons"] == "1"  # one more non-western resident → > 50 %


def test_crime_threshold_in_points_needs_share_and_ratio(tmp_path: Path) -> None:
    [row] = classify(tmp_path, "a,2025,1000,0.2,0.1,0.024,2.4,0.2,0.9\n")
    # national = 0.024 / 2.4 = 1 %, threshold 3 % → margin -0.6 points
    assert float(row["crime_threshold"]) == 0.03 and abs(float(row["crime_margin_pp"]) + 0.6) < 1e-12


def test_regime_2013_with_absolute_crime_share(tmp_path: Path) -> None:
    [row] = classify(tmp_path, "a,2016,1000,0.55,0.41,0.028,,0.5,0.6\n")
    assert row["rule_set"] == "2013" and row["parallelsamfund"] == "true" and row["udsat"] == ""


def test_history_file_gives_omdannelse(tmp_path: Path) -> None:
    history = tmp_path / "official.csv"
    history.write_text(
        "list_year,area_id,list\n"
        + "".join(f"{y},a,{'ghetto' if y < 2021 else 'parallelsamfund'}\n" for y in range(2020, 2024))
    )
    [row] = classify(tmp_path, "a,2024,1500,0.6,0.45,0.04,3.5,0.5,0.5\n", "--history", str(history))
    assert row["omdannelse"] == "true" and row["category"] == "omdannelse"
    [row] = classify(tmp_path, "a,2024,1500,0.6,0.45,0.04,3.5,0.5,0.5\n")
    assert row["omdannelse"] == "false" and row["category"] == "parallelsamfund"


def test_bad_figures_are_reported_with_place_and_exit_1(tmp_path: Path) -> None:
    figures = tmp_path / "figures.csv"
    figures.write_text(HEADER + "a,2025,1000,55%,0.41,0.03,3,0.5,0.6\nb,2025,1000,1.5,0.41,0.03,3,0.5,0.6\n")
    result = runner.invoke(app, ["classify", str(figures)], terminal_width=200)
    assert result.exit_code == 1
    assert "bad-type" in result.output and "out-of-range" in result.output

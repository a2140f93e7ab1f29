"""The `bsm` command line: help with examples, exit codes, JSON report, load and info."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from boligsocial.common.words import words
from boligsocial.outputs.cli import app
from builders import SmallDelivery
from conftest import small_copy

runner = CliRunner()
COMMANDS = [
    "generate",
    "check",
    "load",
    "info",
    "demo",
    "lists",
    "classify",
    "forecast",
    "flows",
    "serve",
    "audit",
]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Example" in result.output and f"bsm {command}" in result.output


def test_check_ok_and_json(tmp_path: Path, small: SmallDelivery) -> None:
    folder = small.write(tmp_path / "d")
    result = runner.invoke(app, ["check", str(folder), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["errors"] == 0


def test_check_errors_exit_1_with_machine_readable_codes(tmp_path: Path, small: SmallDelivery) -> None:
    small.persons[0]["education"] = "folkeskole"
    folder = small.write(tmp_path / "d")
    result = runner.invoke(app, ["check", str(folder), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    [problem] = [p for p in data["problems"] if p["severity"] == "error"]
    assert problem == {
        "code": "unknown-code",
        "severity": "error",
        "file": "persons.csv",
        "row": 1,
        "column": "education",
        "value": "folkeskole",
        "count": 1,
        "message": "'education' has an unknown code",
        "allowed": "bachelor, erhvervsfaglig, grundskole, gymnasial, kvu, lvu, mvu, phd, uoplyst",
    }


def test_load_then_info(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    folder = small.write(tmp_path / "d")
    db = tmp_path / "bsm.duckdb"
    result = runner.invoke(app, ["load", str(folder), "--db", str(db), "--key-file", str(key_file)])
    assert result.exit_code == 0, result.output
    assert "Testby Kommune" in result.output
    result = runner.invoke(app, ["info", "--db", str(db)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "2020, 2021" in result.output
    say = words("da")  # the layers by their names, never their ids
    assert say("layer.omraade") in result.output and say("layer.skoledistrikt") in result.output


def test_load_of_bad_delivery_prints_report_and_exits_1(
    tmp_path: Path, small: SmallDelivery, key_file: Path
) -> None:
    small.persons[1]["sex"] = None
    folder = small.write(tmp_path / "d")
    db = tmp_path / "bsm.duckdb"
    result = runner.invoke(
        app, ["load", str(folder), "--db", str(db), "--key-file", str(key_file)], terminal_width=200
    )
    assert result.exit_code == 1
    assert "missing-value" in result.output
    assert not db.exists()


def test_info_on_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["info", "--db", str(tmp_path / "nope.duckdb")], terminal_width=200)
    assert result.exit_code == 1
    assert "no database" in result.output


def test_lists_csv_and_disagreements(tmp_path: Path, small: SmallDelivery, key_file: Path) -> None:
    small.official_lists = [{"list_year": 2022, "area_id": "a-almen", "list": "udsat"}]
    db = tmp_path / "bsm.duckdb"
    folder = small.write(tmp_path / "d")
    assert (
        runner.invoke(app, ["load", str(folder), "--db", str(db), "--key-file", str(key_file)]).exit_code == 0
    )
    result = runner.invoke(app, ["lists", "--db", str(db), "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["area_id"], r["list_year"], r["category"]) for r in rows] == [
        ("a-almen", "2022", "none"),
        ("b-by", "2022", "none"),
    ]
    result = runner.invoke(app, ["lists", "--db", str(db), "--disagreements", "--format", "json"])
    assert json.loads(result.stdout) == [
        {
            "layer": "omraade",
            "area_id": "a-almen",
            "name": "Ålunden",
            "list_year": 2022,
            "list": "udsat",
            "official": True,
            "computed": False,
            "rule_set": "2021",
        }
    ]
    result = runner.invoke(app, ["lists", "--db", str(db), "--year", "2031"])
    said = words("da")("error.list-year-out-of-range", year=2031, first=2022, last=2022)
    assert result.exit_code == 1 and said in result.output  # in the command line's language


def test_lists_for_an_audience_pass_the_disclosure_step(tmp_path: Path, small_loaded: Path) -> None:
    db, _ = small_copy(small_loaded, tmp_path)  # the small delivery loaded (bsm load: test_load_then_info)
    operator = list(
        csv.DictReader(io.StringIO(runner.invoke(app, ["lists", "--db", str(db), "--format", "csv"]).stdout))
    )
    public = runner.invoke(app, ["lists", "--db", str(db), "--format", "csv", "--audience", "politician"])
    published = list(csv.DictReader(io.StringIO(public.stdout)))
    assert operator[0]["area_id"] == published[0]["area_id"] == "a-almen"
    assert operator[0]["residents"] == "4" and operator[0]["state"] == ""  # analysts: exact count
    assert operator[0]["education_state"] == "suppressed"  # 1 person aged 30-59: rule holds for all
    assert published[0]["residents"] == "" and published[0]["residents_label"] == "<5"
    assert published[0]["education_share"] == "" and published[0]["state"] == "suppressed"
    bad = runner.invoke(app, ["lists", "--db", str(db), "--audience", "mayor"])
    assert bad.exit_code == 1 and words("da")("error.unknown-audience", role="mayor") in bad.output

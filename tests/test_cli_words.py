"""The command line speaks the language chosen with `bsm --lang` or $BSM_LANG (Danish by default),
from the catalogues (cli.po, vocabulary.po): run as a real process, as an operator runs it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from boligsocial.common.words import catalogue_entries, words

BSM = [
    sys.executable,
    "-c",
    "import sys; sys.argv[0] = 'bsm'; from boligsocial.outputs.cli import main; main()",
]


def bsm(*args: str, lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BSM_LANG"} | ({"BSM_LANG": lang} if lang else {})
    env["COLUMNS"] = "200"
    return subprocess.run([*BSM, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def _danish_words() -> list[str]:
    """Danish words of the command line's catalogue that its English messages do not use."""
    da = {k: t for k, t, f in catalogue_entries("da") if f == "cli.po"}
    en = " ".join(t for k, t, f in catalogue_entries("en") if f == "cli.po")
    pieces = {
        w for text in da.values() for w in re.findall(r"[a-zæøå]{4,}", re.sub(r"\{\w+\}", " ", text.lower()))
    }
    return sorted(w for w in pieces if not re.search(rf"\b{w}\b", en.lower()))


def test_bsm_info_speaks_english_when_asked_and_danish_by_default(example_db: Path) -> None:
    danish = _danish_words()
    assert {"beboere", "områder", "kode"} <= set(danish)
    for run in (
        bsm("--lang", "en", "info", "--db", str(example_db)),
        bsm("info", "--db", str(example_db), lang="en"),
    ):
        assert run.returncode == 0, run.stderr
        assert words("en")("cli.info_residents") in run.stdout and words("en")("layer.omraade") in run.stdout
        found = [w for w in danish if re.search(rf"\b{w}\b", run.stdout.lower())]
        assert found == [], found
        assert "omraade" not in run.stdout  # layers by name, never by id
    default = bsm("info", "--db", str(example_db))
    assert default.returncode == 0 and words("da")("cli.info_residents") in default.stdout
    assert words("da")("layer.omraade") in default.stdout


def test_a_bad_delivery_is_reported_in_the_chosen_language(tmp_path: Path) -> None:
    empty = tmp_path / "delivery"
    empty.mkdir()
    english = bsm("--lang", "en", "check", str(empty))
    assert english.returncode == 1
    say = words("en")
    assert say("cli.severity.error") in english.stdout and f"{say('cli.verdict_errors')}:" in english.stdout
    assert "FEJL" not in english.stdout and "fejl" not in english.stdout
    danish = bsm("check", str(empty))
    assert danish.returncode == 1 and "FEJL" in danish.stdout and "fejl" in danish.stdout


def test_the_tables_on_screen_speak_the_chosen_language(example_db: Path) -> None:
    say = words("en")
    shown = {}
    for command, title in (("lists", "cli.lists"), ("forecast", "cli.forecast"), ("flows", "cli.flows")):
        run = bsm("--lang", "en", command, "--db", str(example_db))
        assert run.returncode == 0, run.stderr
        assert say(title, years="").split("(")[0].strip() in run.stdout
        danish = [
            w for w in ("beboere", "kategori", "flyttere", "udenfor", "sandsynlighed") if w in run.stdout
        ]
        assert danish == [], (command, danish)
        shown[command] = run.stdout
    assert say("list.none") in shown["lists"]  # a category by its name, never the id "none"

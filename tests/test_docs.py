"""The docs stay true to the code: every problem code, indicator and command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from boligsocial.common.problems import CODES
from boligsocial.compute.catalogue import builtin
from boligsocial.outputs.cli import app

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("code", sorted(CODES))
def test_problem_code_is_documented(code: str) -> None:
    assert f"| `{code}` | {CODES[code][0].value} |" in (ROOT / "docs" / "delivery.md").read_text()


def test_every_shipped_indicator_is_documented() -> None:
    text = (ROOT / "docs" / "indicators.md").read_text()
    missing = [i.id for i in builtin() if f"| `{i.id}` |" not in text]
    assert not missing


def test_readme_starts_with_the_two_commands_and_lists_every_command() -> None:
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in block] == [["make", "demo"], ["make", "test"]]
    for command in app.registered_commands:
        assert f"`bsm {command.name or command.callback.__name__}" in text  # type: ignore[union-attr]


def test_the_architecture_page_names_every_room_of_the_tree() -> None:
    """docs/architecture.md draws the tree: every package (a room) and every module of
    src/boligsocial, at any depth, is named in it, and no module sits outside a room."""
    src = Path(__file__).parent.parent / "src" / "boligsocial"
    text = (Path(__file__).parent.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = text.split("## The tree", 1)[1].split("## The steps", 1)[0]
    rooms = [p.parent.name + "/" for p in src.rglob("__init__.py") if p.parent != src]
    modules = [p.stem for p in src.rglob("*.py") if p.stem != "__init__" and p.parent != src]
    named = set(re.findall(r"[\w/]+", tree))
    missing = [r for r in rooms if r not in named] + [m for m in modules if m not in named]
    assert len(rooms) >= 10 and len(modules) >= 60 and not missing, missing
    loose = [p.name for p in src.glob("*.py") if p.name != "__init__.py"]
    assert loose == [], f"modules outside a room: {loose}"

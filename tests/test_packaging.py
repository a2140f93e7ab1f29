"""What a wheel carries: every data file of the package is named by the package-data globs of
pyproject.toml (an installed copy lacked the disclosure policy once, and moves of the rooms must
not leave a template or catalogue behind)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src" / "boligsocial"


def test_every_data_file_of_the_package_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = config["tool"]["setuptools"]["package-data"]["boligsocial"]
    carried = {p for g in globs for p in SRC.glob(g) if p.is_file()}
    data = {
        p
        for p in SRC.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    }
    assert len(data) > 20
    assert sorted(str(p.relative_to(SRC)) for p in data - carried) == []
    unused = [g for g in globs if not list(SRC.glob(g))]
    assert unused == []

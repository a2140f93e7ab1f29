"""The service is the one way out, through its public methods: no output reads the snapshot of
the database or calls a private method of the service (the exports did both once)."""

from __future__ import annotations

import ast
from pathlib import Path

OUTPUTS = Path(__file__).parent.parent / "src" / "boligsocial" / "outputs"


def test_outputs_use_only_the_service_s_public_methods() -> None:
    found = []
    for path in sorted(OUTPUTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Attribute):
                continue
            owner = ast.unparse(node.value)
            private = node.attr.startswith("_") and not node.attr.startswith("__")
            if node.attr == "snap" or (private and owner.split(".")[-1] in ("service", "svc")):
                found.append(f"{path.relative_to(OUTPUTS)}:{node.lineno}: {owner}.{node.attr}")
    assert found == []

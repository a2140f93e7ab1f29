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


def test_package_init_files_only_re_export() -> None:
    """A package's `__init__.py` holds its docstring, imports, `__all__` (and the top package its
    `__version__`): the code lives in modules named after what they hold (issue 13), so the tree
    shows where everything is."""
    import ast

    root = Path(__file__).parent.parent / "src" / "boligsocial"
    found = {}
    for init in sorted(root.rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        for node in tree.body:
            docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            names = [getattr(t, "id", "") for t in node.targets] if isinstance(node, ast.Assign) else []
            exported = names in (["__all__"], ["__version__"])
            if not (docstring or exported or isinstance(node, ast.Import | ast.ImportFrom)):
                found.setdefault(str(init.relative_to(root)), []).append(type(node).__name__)
    assert found == {}

"""The `bsm` entry point: the one Typer `app` with every group of commands registered, and an
operating-system error as one line."""

from __future__ import annotations

import sys

from rich.markup import escape

from boligsocial.outputs.cli import delivery, lists, moves, outputs, serve, users  # noqa: F401 (they register)
from boligsocial.outputs.cli.common import app, err, say


def main() -> None:
    """Console-script entry point: an operating-system error (disk full, no permission) is one
    clear line and exit code 1, not a traceback."""
    from boligsocial.common.files import os_error_line

    try:
        app()
    except Exception as exc:
        line = os_error_line(exc)
        if line is None:
            raise
        err.print(f"[bold red]{say()('cli.error')}[/] {escape(line)}", soft_wrap=True)
        sys.exit(1)

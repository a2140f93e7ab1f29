"""The `bsm` command line. Each module holds a group of commands on the one Typer `app`."""

from __future__ import annotations

from boligsocial.cli import delivery, lists, moves, outputs, serve, users
from boligsocial.cli.common import app


def main() -> None:
    """Console-script entry point."""
    app()


__all__ = ["app", "delivery", "lists", "main", "moves", "outputs", "serve", "users"]

if __name__ == "__main__":
    main()

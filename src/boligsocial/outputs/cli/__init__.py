"""The `bsm` command line. Each module holds a group of commands on the one Typer `app`; `main`
is the console-script entry point."""

from boligsocial.outputs.cli import delivery, lists, moves, outputs, serve, users
from boligsocial.outputs.cli.common import app
from boligsocial.outputs.cli.main import main

__all__ = ["app", "delivery", "lists", "main", "moves", "outputs", "serve", "users"]

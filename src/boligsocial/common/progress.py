"""Progress reporting seam: core code reports stages, the CLI draws them (Rich) and tests ignore them.

A stage is named by its message key (`stage.lists` in cli.po), so the drawer words it in its own
language ("Beregner listerne", "Computing the lists"); a description that is no key is shown as it is."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives `(description, done, total)` as long work proceeds; `total` 0 means unknown."""

    def __call__(self, description: str, done: int, total: int) -> None: ...


def silent(description: str, done: int, total: int) -> None:
    """A progress sink that shows nothing (the default in library calls and tests)."""

"""Linked tables for the disclosure step's relations (`relations`): each figure a cell, and the
relations that say some cells add up (with signs) to zero, the way the moves are handed to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Key = tuple[Any, ...]


@dataclass
class Cell:
    """One figure. `value` is the truth; `count` cells are persons, others sums (FTE, kroner).

    `hidden`: not published (by a rule or as a secondary suppression); `label`: hidden with a
    `<5` label, so the attacker knows 1..small; `fixed`: its publication is decided elsewhere
    (a residents count the area figures already publish or hide) and cannot be changed here;
    `virtual`: never published (a group nobody publishes, e.g. the births of one origin)."""

    value: float
    count: bool = True
    hidden: bool = False
    label: bool = False
    fixed: bool = False
    virtual: bool = False
    reason: str | None = None


@dataclass
class Table:
    """Cells and the relations between them (each: cell → coefficient, summing to zero)."""

    cells: dict[Key, Cell] = field(default_factory=dict)
    relations: list[dict[Key, int]] = field(default_factory=list)
    #: figures that are the same persons as a cell (another name for it, no cell of their own)
    aliases: dict[Key, Key] = field(default_factory=dict)

    def add(self, key: Key, cell: Cell) -> None:
        if key not in self.cells:
            self.cells[key] = cell

    def relate(self, terms: dict[Key, int]) -> None:
        """Add a relation over cells that exist (absent cells are structural zeros)."""
        kept = {k: c for k, c in terms.items() if c and k in self.cells}
        if len(kept) > 1:
            self.relations.append(kept)

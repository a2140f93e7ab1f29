"""The moves as linked tables for the disclosure step (`boligsocial.publish.disclosure.relations`).

Per move year, every figure of the Flytninger page and the moves API is a cell: flows between
areas, housing types and kinds of area (for each trait), each area's tallies and mover profiles,
and the moves behind displacement. The relations are how they add up, so the attacker we play
knows all of them: the flows into an area add up to its in-movers, the residents at the end of the
year are the stayers, the in-movers and the births (and that residents count is the area figure the
residence step publishes or hides), the flows between two school districts are the flows between
the parishes inside them. Year ranges are not cells: a range is published only where every year of
it is (a sum of published figures gives nothing new).

The cells and their keys are `move_cells`; the flows' cells and relations `move_flows`, the
areas' `move_areas`; here they are put together per move year and protected (`build`).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.linked import Cell, Table
from boligsocial.publish.disclosure.protection import Protection
from boligsocial.publish.disclosure.relations import protect
from boligsocial.publish.service.move_areas import add_areas, hide_small_areas, residence
from boligsocial.publish.service.move_flows import add_cross_layers, add_displacement, add_flows, nesting
from boligsocial.publish.service.protection import Protections


class MoveProtection:
    """What one policy publishes of the moves: the state of every cell, per move year."""

    def __init__(self, tables: dict[int, Table]) -> None:
        self.tables = tables

    def cell(self, key: tuple[Any, ...]) -> Cell | None:
        table = self.tables.get(int(key[2]))
        if table is None:
            return None
        return table.cells.get(table.aliases.get(key, key))

    def shown(self, key: tuple[Any, ...]) -> bool:
        c = self.cell(key)
        return c is None or not (c.hidden or c.virtual)  # an absent cell is a published zero


def build(
    snap_tables: dict[str, pl.DataFrame],
    area_kinds: pl.DataFrame,
    protections: Protections,
    protection: Protection,
    policy: dc.Policy,
    start: MoveProtection | None = None,
) -> MoveProtection:
    """Cells and relations of every move year, with the rules of `policy`, protected; built on
    `start` (the default policy's moves, for a stricter policy) when given: see `_hide_as`."""
    flows = snap_tables["move_flows"]
    if flows.is_empty():
        return MoveProtection({})
    small = policy.small_count_max
    residents = residence(protections)
    kinds = {(r[0], r[1]): r[2] for r in area_kinds.select("layer", "area_id", "kind").iter_rows()}
    nested = nesting(protections)
    tables: dict[int, Table] = {}
    for (year,), part in flows.group_by("year"):
        y = int(year)
        t = Table()
        add_flows(t, part, kinds, small)
        add_areas(t, snap_tables, y, residents, protection, protections, policy)
        add_displacement(t, snap_tables["move_displaced"], y, small)
        hide_small_areas(t, residents, y, policy.min_area_population)
        add_cross_layers(t, part, y, nested)
        if start is not None:
            _hide_as(t, start.tables.get(y))
        tables[y] = protect(t, small)
    return MoveProtection(tables)


def _hide_as(t: Table, before: Table | None) -> None:
    """Start from what the default policy hides: anyone with a login can look as the public too
    (anonymous access), so a cell the public view shows and the default view hides would be given
    to the default's attacker, and its relations would give away more. Every cell the default
    hides stays hidden, with no label where the default gives none; the stricter rules and the
    protection then hide more, never less (as the areas' blocks are built on the default's)."""
    if before is None:
        return
    for key, cell in t.cells.items():
        old = before.cells.get(key)
        if old is None or cell.virtual or not old.hidden:
            continue
        if not cell.hidden:
            cell.hidden, cell.reason = True, old.reason or "differencing"
            cell.label = old.label
        elif cell.label and not old.label:
            cell.label = False

"""Cell suppression on tables linked by sums: the moves (flows between areas, by housing type and
kind of area, the tallies and profiles of each area, and how they add up to the residents).

Each figure is a *cell*; a *relation* says that some cells add up (with signs) to zero: the moves
into an area are the sum of the flows into it, the residents at the end of a year are the stayers
plus the in-movers plus the births. After the cell rules (primary suppression), an attacker who
knows every relation can still work out hidden cells: a relation with one hidden cell gives it
away (differencing), a relation whose hidden cells are all on one side gives away their sum, and
bounds (a `<5` label means 1 to 4) can pin a value. We play that attacker: derive everything the
published cells and the relations determine, relation by relation, until nothing more follows;
wherever that reveals a small count, a small sum of hidden cells or pins a labelled one, a further
cell of that relation is hidden (secondary suppression, the smallest that helps), and we play
again. Deterministic. The method, its guarantee and its limits are in docs/access.md.
"""

from __future__ import annotations

import numpy as np

from boligsocial.publish.disclosure.attack import Attack, System
from boligsocial.publish.disclosure.linked import Key, Table

#: After this many rounds in which the equations solved together determined the same small cell,
#: every relation of it gives up a cell.
ESCALATE = 3


def protect(table: Table, small: int, reason: str = "differencing") -> Table:
    """Hide further cells until no relation, alone or by what follows from the others, gives away
    a small count, a small sum of hidden cells or a labelled value. Changes `table` in place.

    Each round plays the whole attack and, for every relation that leaked, hides the smallest
    published cell of it that is not zero (a zero hides nothing). Where the relation has none left
    (its other cells are hidden but were worked out), the choice goes back to the relations they
    were worked out from. Where nothing is left to hide there, the leak came from bounds: the
    labels of those relations' hidden cells are withdrawn (a label only ever adds knowledge); and
    when a round helps no leak that way, every other relation of a leaked cell gives up a cell."""
    system = System(table)
    gaps = np.abs(system.A @ system.value)  # a relation the figures do not meet would mislead the attack
    scale = np.maximum(1.0, abs(system.A) @ np.abs(system.value))
    if (gaps > 1e-6 * scale).any():
        n = int(np.argmax(gaps / scale))
        raise ValueError(
            f"the figures do not add up as a relation says: {sorted(table.relations[n], key=str)[:4]}"
        )
    hidden = np.array([table.cells[k].hidden for k in system.keys], dtype=bool)
    label = np.array([table.cells[k].label for k in system.keys], dtype=bool)

    seen: dict[Key, int] = {}  # how often the equations solved together determined a cell

    def hide(key: Key) -> bool:
        if table.cells[key].hidden:
            return False
        table.cells[key].hidden = True
        table.cells[key].reason = reason
        hidden[system.index[key]] = True
        return True

    while True:
        attack = Attack(system, table, small, hidden, label)
        leaks = attack.run()  # propagation alone first: cheap, and finds nearly everything
        solved = False
        if not leaks:
            attack = Attack(system, table, small, hidden, label)
            leaks = attack.run(solve=True)  # then the equations solved together too
            solved = True
            if not leaks:
                return table
        fixed = False
        stuck: list[Key] = []
        for n, leaked in leaks:
            # one cell per leak and round, the smallest that helps; a cell the equations solved
            # together keep determining (ESCALATE rounds) has too many derivations for that:
            # every relation of it gives up one
            seen[leaked] = seen.get(leaked, 0) + solved
            if seen[leaked] >= ESCALATE:
                for m in system.relations_of(system.index[leaked]):
                    choice, _ = _partner(table, attack, m)
                    if choice is not None:
                        fixed |= hide(choice)
                if fixed:
                    continue
            choice, labelled = _evidence(table, attack, leaked)
            if choice is None:
                choice, labelled = _partner(table, attack, n)
            if choice is not None:
                fixed |= hide(choice)
                continue
            withdrawn = False
            for k in [leaked, *labelled]:  # nothing to hide: the leak came from labels' bounds
                if table.cells[k].label:
                    table.cells[k].label = False
                    label[system.index[k]] = False
                    withdrawn = True
            if withdrawn:
                fixed = True
            else:
                stuck.append(leaked)
        if not fixed:
            # nothing left near the relations that leaked (and nothing else of this round helps):
            # the leaked cells' other relations give up a cell each
            for leaked in stuck:
                for m in system.relations_of(system.index[leaked]):
                    choice, _ = _partner(table, attack, m)
                    if choice is not None:
                        fixed |= hide(choice)
            if not fixed:  # not even there: the nearest cell that can be hidden, however far
                for leaked in stuck:
                    choice = _nearest(table, system, leaked)
                    if choice is not None:
                        fixed |= hide(choice)
        if not fixed:
            raise RuntimeError(f"cannot protect {leaks[0][1]!r}: every other cell of its relations is fixed")


def _partner(table: Table, attack: Attack, n: int) -> tuple[Key | None, list[Key]]:
    """The cell to hide for a leak in relation `n`: its smallest published non-zero cell, else one
    from the relations nearest to it: those its worked-out cells came from, and (one step) those
    of its other unknown cells (the equations that together determined the leaked cell); and the
    labelled cells met on the way (to withdraw their labels when there is nothing to hide)."""
    seen, frontier = {n}, [n]
    labelled: list[Key] = []
    cells = table.cells
    for step in range(6):
        if not frontier:
            break
        candidates = [
            k
            for m in frontier
            for k in table.relations[m]
            if not cells[k].hidden and not cells[k].fixed and not cells[k].virtual
        ]
        if candidates:
            nonzero = [k for k in candidates if abs(cells[k].value) > 1e-9] or candidates
            return min(nonzero, key=lambda k: (abs(cells[k].value), str(k))), labelled
        labelled += [k for m in frontier for k in table.relations[m] if cells[k].label]
        nxt: list[int] = []
        for m in frontier:
            for k in table.relations[m]:
                i = attack.index[k]
                d = int(attack.via[i])
                if d >= 0 and d not in seen:
                    seen.add(d)
                    nxt.append(d)
                elif step == 0 and not attack.known[i]:
                    for e in attack.system.relations_of(i):
                        if e not in seen:
                            seen.add(e)
                            nxt.append(e)
        frontier = nxt[:200]
    return None, labelled


def _evidence(table: Table, attack: Attack, leaked: Key) -> tuple[Key | None, list[Key]]:
    """For a cell the equations determine together: the smallest non-zero published cell its
    derivation uses (hiding it breaks that combination of equations, where a cell of the first
    relation of the leaked cell often would not)."""
    used = attack.evidence.get(attack.index[leaked])
    if used is None:
        return None, []
    cells = table.cells
    keys = [attack.keys[i] for i in used.tolist()]
    candidates = [k for k in keys if not cells[k].hidden and not cells[k].fixed and not cells[k].virtual]
    if not candidates:
        return None, []
    nonzero = [k for k in candidates if abs(cells[k].value) > 1e-9] or candidates
    return min(nonzero, key=lambda k: (abs(cells[k].value), str(k))), []


def _nearest(table: Table, system: System, start: Key) -> Key | None:
    """The published cell nearest to `start` through the relations (fewest relations between
    them; the smallest non-zero of those equally near): the last resort when every cell of the
    relations around a leak is hidden, fixed or never published, yet the equations still
    determine it from further away."""
    cells = table.cells
    seen_cells = {start}
    seen_relations: set[int] = set()
    frontier = [start]
    while frontier:
        relations = [
            m for k in frontier for m in system.relations_of(system.index[k]) if m not in seen_relations
        ]
        seen_relations.update(relations)
        nxt = [k for m in relations for k in table.relations[m] if k not in seen_cells]
        seen_cells.update(nxt)
        candidates = [k for k in nxt if not cells[k].hidden and not cells[k].fixed and not cells[k].virtual]
        if candidates:
            nonzero = [k for k in candidates if abs(cells[k].value) > 1e-9] or candidates
            return min(nonzero, key=lambda k: (abs(cells[k].value), str(k)))
        frontier = list(dict.fromkeys(nxt))
    return None

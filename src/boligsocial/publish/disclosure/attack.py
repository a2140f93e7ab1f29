"""The attacker the relations step plays (`relations.protect`): the relations of a linked table
as sparse matrices (`System`), and everything the published cells and the relations determine,
worked out for all relations at once until nothing more follows (`Attack`), with the cells whose
value that gives away (a small count, a small sum of hidden cells, a pinned label)."""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import lsqr

from boligsocial.publish.disclosure.linked import Cell, Key, Table

INF = float("inf")


def _bounds(cell: Cell, small: int) -> tuple[float, float]:
    """What the attacker knows of a hidden cell before any relation: a label says 1..small."""
    if cell.label:
        return 1.0, float(small)
    return 0.0, INF


def _unsafe(value: float, count: bool, small: int) -> bool:
    if count:
        return 0 < round(value) <= small
    return 1e-9 < value <= small + 1e-9


class System:
    """The relations as sparse matrices over the cells (built once per table)."""

    def __init__(self, table: Table) -> None:
        self.keys = list(table.cells)
        self.index = index = {k: i for i, k in enumerate(self.keys)}
        cells = [table.cells[k] for k in self.keys]
        self.value = np.array([c.value for c in cells], dtype=np.float64)
        self.count = np.array([c.count for c in cells], dtype=bool)
        self.virtual = np.array([c.virtual for c in cells], dtype=bool)
        rows, cols, coef = [], [], []
        for n, rel in enumerate(table.relations):
            for k, c in rel.items():
                rows.append(n)
                cols.append(index[k])
                coef.append(c)
        self.rel = np.array(rows, dtype=np.int64)
        self.col = np.array(cols, dtype=np.int64)
        self.coef = np.array(coef, dtype=np.float64)
        shape = (len(table.relations), len(self.keys))
        self.A = sparse.csr_matrix((self.coef, (self.rel, self.col)), shape=shape)
        self.pos = sparse.csr_matrix(((self.coef > 0).astype(float), (self.rel, self.col)), shape=shape)
        self.neg = sparse.csr_matrix(((self.coef < 0).astype(float), (self.rel, self.col)), shape=shape)
        self.cnt = sparse.csr_matrix((np.ones(len(self.rel)), (self.rel, self.col)), shape=shape)
        self.sums = sparse.csr_matrix(
            ((~self.count[self.col]).astype(float), (self.rel, self.col)), shape=shape
        )
        self._by_cell = self.cnt.tocsc()
        self._csc = self.A.tocsc()

    def relations_of(self, cell: int) -> list[int]:
        """The relations a cell takes part in."""
        return self._by_cell.indices[self._by_cell.indptr[cell] : self._by_cell.indptr[cell + 1]].tolist()


class Attack:
    """What an attacker knows: the published cells, and everything the relations determine from
    them, worked out for all relations at once (sparse matrix products) until nothing more follows.

    Every cell has bounds: a published one its value, a labelled one 1..small, any other 0..∞.
    Each relation bounds each of its cells by the bounds of the others (interval propagation,
    rounded to whole persons for counts), over and over, so what one relation gives away is used
    by the next. A cell left with a single possible value is determined. Where all a relation's
    undetermined cells are on one side, their sum is known too."""

    def __init__(
        self, system: System, table: Table, small: int, hidden: np.ndarray, label: np.ndarray
    ) -> None:
        self.system, self.table, self.small = system, table, small
        self.keys, self.index = system.keys, system.index
        self.known = ~hidden & ~system.virtual
        self.lo = np.where(self.known, system.value, np.where(label, 1.0, 0.0))
        self.hi = np.where(self.known, system.value, np.where(label, float(small), INF))
        self.via = np.full(len(self.keys), -1, dtype=np.int64)  # which relation worked a cell out
        self.published = self.known.copy()
        #: for a small cell the equations determine together: the published cells its derivation
        #: uses (hiding one of them breaks that derivation)
        self.evidence: dict[int, np.ndarray] = {}

    def _unsafe(self, i: np.ndarray) -> np.ndarray:
        sys = self.system
        v = sys.value[i]
        counted = sys.count[i]
        return np.where(
            counted, (np.rint(v) > 0) & (np.rint(v) <= self.small), (v > 1e-9) & (v <= self.small + 1e-9)
        )

    def _others(self, rel: np.ndarray, col: np.ndarray, coef: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per entry (relation, cell) of the given relations: the bounds that the relation's other
        cells put on this one."""
        n_rel = self.system.A.shape[0]
        a, b = coef * self.lo[col], coef * self.hi[col]
        t_lo, t_hi = np.minimum(a, b), np.maximum(a, b)
        lo_inf = np.bincount(rel, weights=(t_lo == -INF), minlength=n_rel)
        hi_inf = np.bincount(rel, weights=(t_hi == INF), minlength=n_rel)
        lo_fin = np.bincount(rel, weights=np.where(np.isfinite(t_lo), t_lo, 0.0), minlength=n_rel)
        hi_fin = np.bincount(rel, weights=np.where(np.isfinite(t_hi), t_hi, 0.0), minlength=n_rel)
        s_lo = np.where(
            lo_inf[rel] - (t_lo == -INF) > 0, -INF, lo_fin[rel] - np.where(np.isfinite(t_lo), t_lo, 0.0)
        )
        s_hi = np.where(
            hi_inf[rel] - (t_hi == INF) > 0, INF, hi_fin[rel] - np.where(np.isfinite(t_hi), t_hi, 0.0)
        )
        with np.errstate(invalid="ignore"):  # coef * x = -(the others' sum)
            e1, e2 = -s_hi / coef, -s_lo / coef
        return np.minimum(e1, e2), np.maximum(e1, e2)

    def run(self, solve: bool = False) -> list[tuple[int, Key]]:
        """Every relation that gives away something it must not, with the cell concerned: bounds
        propagated and, with `solve`, the equations solved together, again until neither finds
        anything."""
        leaks: dict[int, int] = {}
        active = np.ones(self.system.A.shape[0], dtype=bool)
        for _ in range(3 if solve else 1):  # solving is dear: what it finds is propagated, twice over
            self._propagate(leaks, active)
            found = self._eliminate(leaks) if solve else np.zeros(len(self.keys), dtype=bool)
            if not found.any():
                break
            active = (self.system.cnt @ found.astype(float)) > 0
        else:
            if solve:
                self._propagate(leaks, active)
        self._sums(leaks)
        return [(r, self.keys[c]) for r, c in sorted(leaks.items())]

    def _core(self, unknown: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The relations and unknown cells that matter for solving together: a relation with an
        unknown cell that no other relation holds can always be met by that cell, so it tells
        nothing about the others; such relations are peeled off until none is left."""
        sub = self.system._csc[:, unknown].tocsr()
        live = np.diff(sub.indptr) > 0
        while True:
            degree = np.asarray(sub[live].astype(bool).sum(axis=0)).ravel()
            lonely = (sub.astype(bool) @ (degree == 1).astype(float)) > 0
            drop = live & lonely
            if not drop.any():
                break
            live &= ~drop
        degree = np.asarray(sub[live].astype(bool).sum(axis=0)).ravel()
        return np.flatnonzero(live), unknown[degree > 0]

    def _eliminate(self, leaks: dict[int, int]) -> np.ndarray:
        """The unknown cells the relations determine taken together (a combination of equations,
        e.g. rows and columns around a table, not one at a time): those where a random vector of
        the equations' null space is zero. Only the core of the equations is solved (`_core`), by
        least squares projecting two fixed random vectors off the row space. The cells found."""
        sys = self.system
        found = np.zeros(len(self.keys), dtype=bool)
        unknown = np.flatnonzero(~self.known)
        if not len(unknown):
            return found
        rows, cols = self._core(unknown)
        if not len(rows) or not len(cols):
            return found
        sub = sys._csc[:, cols].tocsr()[rows].T.tocsr()  # unknowns × relations
        rng = np.random.default_rng(20261201)
        small = np.ones(len(cols), dtype=bool)
        for _ in range(2):
            probe = rng.standard_normal(len(cols))
            y = lsqr(sub, probe, atol=1e-10, btol=1e-10, iter_lim=10 * max(sub.shape))[0]
            small &= np.abs(probe - sub @ y) < 1e-6
        cells = cols[small]
        if not len(cells):
            return found
        found[cells] = True
        bad = self._unsafe(cells)
        rows_matrix = sys.A[rows]
        position = {c: n for n, c in enumerate(cols.tolist())}
        for c in cells[bad].tolist():  # which published numbers the derivation of c uses
            unit = np.zeros(len(cols))
            unit[position[c]] = 1.0
            y = lsqr(sub, unit, atol=1e-10, btol=1e-10, iter_lim=10 * max(sub.shape))[0]
            weight = np.abs(rows_matrix.T @ y)
            self.evidence[c] = np.flatnonzero((weight > 1e-6) & self.published)
        for c, unsafe in zip(cells.tolist(), bad.tolist(), strict=True):
            mine = sys.relations_of(c)
            rel = mine[0] if mine else -1
            self.via[c] = rel
            if unsafe:
                leaks.setdefault(rel, c)
            self.lo[c] = self.hi[c] = sys.value[c]
        self.known[cells] = True
        return found

    def _propagate(self, leaks: dict[int, int], active: np.ndarray, rounds: int = 500) -> None:
        """Interval propagation; each pass works on the relations one of whose cells' bounds
        changed in the pass before."""
        sys = self.system
        n = len(self.keys)
        counted = sys.count
        width = np.where(counted, 1.0, 1e-6)
        for _ in range(rounds):
            entries = active[sys.rel]
            if not entries.any():
                break
            rel, col, coef = sys.rel[entries], sys.col[entries], sys.coef[entries]
            low, high = self._others(rel, col, coef)
            new_lo = np.full(n, -INF)
            new_hi = np.full(n, INF)
            np.maximum.at(new_lo, col, low)
            np.minimum.at(new_hi, col, high)
            lo, hi = np.maximum(self.lo, new_lo), np.minimum(self.hi, new_hi)
            lo = np.where(counted & np.isfinite(lo), np.ceil(lo - 1e-9), lo)
            hi = np.where(counted & np.isfinite(hi), np.floor(hi + 1e-9), hi)
            changed = (lo > self.lo + 1e-9) | (hi < self.hi - 1e-9)
            self.lo, self.hi = lo, hi
            done = ~self.known & ((self.hi - self.lo) < width)
            if done.any():
                cells = np.flatnonzero(done)
                # which relation pinned it: one that does on its own, else the one with the
                # highest lower bound (the others' bounds met it from there)
                alone = done[col] & ((high - low) < width[col])
                first: dict[int, int] = {}
                for r, c in zip(rel[alone].tolist(), col[alone].tolist(), strict=True):
                    first.setdefault(c, r)
                for c in cells.tolist():
                    if c not in first:
                        mine = np.flatnonzero(col == c)
                        first[c] = int(rel[mine[np.argmax(low[mine])]]) if len(mine) else -1
                via = np.array([first[c] for c in cells.tolist()], dtype=np.int64)
                self.via[cells] = via
                bad = self._unsafe(cells)
                for c, r in zip(cells[bad].tolist(), via[bad].tolist(), strict=True):
                    leaks.setdefault(r, c)
                self.known[cells] = True
            if not changed.any():
                break
            active = (sys.cnt @ changed.astype(float)) > 0

    def _sums(self, leaks: dict[int, int]) -> None:
        """All the undetermined cells of a relation on one side: their sum is known."""
        sys = self.system
        unknown = (~self.known).astype(float)
        n_unknown = sys.cnt @ unknown
        rest = -(sys.A @ np.where(self.known, sys.value, 0.0))
        same = (n_unknown > 1) & (((sys.pos @ unknown) == 0) | ((sys.neg @ unknown) == 0))
        same &= (sys.sums @ unknown) == 0
        tiny = same & (np.rint(np.abs(rest)) > 0) & (np.rint(np.abs(rest)) <= self.small)
        for r in np.flatnonzero(tiny).tolist():
            members = sys.A.indices[sys.A.indptr[r] : sys.A.indptr[r + 1]]
            members = members[~self.known[members]]
            leaks.setdefault(r, int(min(members, key=lambda i: str(self.keys[i]))))

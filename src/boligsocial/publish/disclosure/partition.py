"""Safe partitions: which areas may publish a statistic so that no sum or difference of published
figures isolates a small group of persons.

Every published area is a union of atoms (`boligsocial.geo.atoms`). For each statistic we choose a
partition of the atoms into *blocks* such that every block is safe (its count is 0 or above the
small-count limit, its population meets the minimum-population rules), and publish the statistic
only for areas that are unions of whole blocks. Then any figure an attacker can compute from the
published ones, by adding and subtracting areas, layers and the municipality, is a sum over whole
blocks, and a sum of safe blocks is safe: differencing cannot isolate a small group. The same holds
across statistics: where a set of persons is a difference of statistics (residents aged 17-29
minus those aged 18-29), it is checked on the blocks of the *join* of their partitions (the sets
that are unions of blocks of every one of them), the only sets on which all of them are published.

Blocks start as single atoms and are merged, cheapest merge first, until every rule holds: the cost
of a merge is the published areas it takes away (an area that contains one of the two blocks but not
the other is no longer a union of blocks). Deterministic: the same data give the same partitions.
Pure numpy on atoms and areas; no person-level data (docs/access.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Labels = np.ndarray  # per atom: the smallest atom index of its block


@dataclass(frozen=True)
class Rule:
    """The limits a block must meet (from a disclosure policy)."""

    small: int  # counts 1..small are not shown
    rate_min: int  # a rate or mean on 1..rate_min-1 persons is not shown
    min_area: int  # a block with 1..min_area-1 residents shows only residents


@dataclass
class Year:
    """One data year: atoms, the published areas as atom masks, and every statistic per atom.

    `rates`: (numerator, denominator, is_share) of every published rate; `derived`: statistics
    combined (+1/-1) into a set of persons; `ties`: statistics that must share one partition (the
    parts of an exact split, see `ties`); `uses`: how many published kinds of figure rest on a
    statistic (the cost of coarsening it)."""

    atoms: list[str]
    regions: np.ndarray
    values: dict[str, np.ndarray]
    kinds: dict[str, str]
    residents: str
    rates: list[tuple[str, str, bool]] = field(default_factory=list)
    derived: list[tuple[tuple[str, int], ...]] = field(default_factory=list)
    uses: dict[str, int] = field(default_factory=dict)
    weights: np.ndarray | None = None
    ties: list[tuple[str, ...]] = field(default_factory=list)


def ties(
    values: dict[str, np.ndarray], kinds: dict[str, str], derived: list[tuple[tuple[str, int], ...]]
) -> list[tuple[str, ...]]:
    """Statistics that must share one partition: the parts of every exact split.

    Where a published count P minus published counts Q1..Qk is, atom by atom, another published
    count T (residents minus every age band but one is that band; immigrants plus descendants are
    the western plus the non-western), T can be worked out wherever P and the Qs are published,
    whatever T's own partition says; and a difference of T with a fourth count (the 30-64-year-olds
    minus the 30-59-year-olds) is then a chain longer than the derivations follow. With T and the
    Qs on one partition, T is published exactly where it can be worked out, so its own
    constraints hold for everything an attacker can compute with it. A tie where two sets only
    have the same counts on every atom is merely stricter than needed."""
    counts = {s: np.rint(v) for s, v in values.items() if kinds.get(s) == "count"}
    by_vector: dict[bytes, list[str]] = {}
    for s in sorted(counts):
        by_vector.setdefault(counts[s].tobytes(), []).append(s)
    parent = {s: s for s in counts}

    def root(s: str) -> str:
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    for coefficients in derived:
        plus = [s for s, c in coefficients if c > 0]
        parts = [s for s, c in coefficients if c < 0]
        if len(plus) != 1 or not parts or not all(s in counts for s, _ in coefficients):
            continue
        rest = counts[plus[0]] - sum(counts[q] for q in parts)
        support = {s for s, _ in coefficients}
        for t in by_vector.get(np.rint(rest).tobytes(), []):
            if t not in support and rest.any():
                for q in parts:
                    a, b = root(t), root(q)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    groups: dict[str, list[str]] = {}
    for s in sorted(counts):
        groups.setdefault(root(s), []).append(s)
    return [tuple(g) for g in groups.values() if len(g) > 1]


@dataclass(frozen=True)
class Constraint:
    """A rule on the blocks of the join of the partitions of `support`."""

    support: tuple[str, ...]
    kind: str  # "count", "area", "rate", "fte"
    values: np.ndarray  # per atom: the count (count/area), the population (rate) or the sum (fte)
    other: np.ndarray | None = None  # fte: the population


def _unsafe(c: Constraint, rule: Rule, value: np.ndarray, other: np.ndarray | None) -> np.ndarray:
    """Which of these block totals break the rule."""
    if c.kind == "count":
        return (value > 0) & (value <= rule.small)
    if c.kind == "area":
        return (value > 0) & (value < rule.min_area)
    if c.kind == "rate":
        return (value > 0) & (value < rule.rate_min)
    assert other is not None  # fte: a share whose numerator is a sum (full-time equivalents)
    rest = other - value
    return ((value > 1e-9) & (value <= rule.small + 1e-9)) | ((rest > 1e-9) & (rest <= rule.small + 1e-9))


def constraints(year: Year, rule: Rule) -> list[Constraint]:
    """Every rule the partitions must meet, leaving out those that hold on every atom already (a
    union of safe atoms is safe, so they can never fail)."""
    out: list[Constraint] = []
    residents = year.values[year.residents]
    for s in sorted(year.values):
        if year.kinds.get(s) == "count" and rule.small > 0:
            out.append(Constraint((s,), "count", year.values[s]))
        if s != year.residents and rule.min_area > 0:
            out.append(Constraint((s,), "area", residents))
    for num, den, share in year.rates:
        if num not in year.values or den not in year.values:
            continue
        pair = tuple(sorted({num, den}))
        if rule.rate_min > 0:
            out.append(Constraint(pair, "rate", year.values[den]))
        if share and rule.small > 0:
            if year.kinds.get(num) == "count":
                out.append(Constraint(pair, "count", year.values[den] - year.values[num]))
            else:
                out.append(Constraint(pair, "fte", year.values[num], year.values[den]))
    if rule.small > 0:
        for coefficients in year.derived:
            if all(s in year.values for s, _ in coefficients):
                total = sum(c * year.values[s] for s, c in coefficients)
                out.append(Constraint(tuple(sorted(s for s, _ in coefficients)), "count", np.rint(total)))
    return [c for c in out if _unsafe(c, rule, c.values, c.other).any()]


def join(parts: list[Labels]) -> Labels:
    """The finest partition coarser than all of `parts`: atoms in one block of any part are in one
    block, labelled by its smallest atom (the smallest label spreads until nothing changes)."""
    if len(parts) == 1:
        return parts[0]
    lab = np.minimum.reduce(parts)
    while True:
        before = lab
        for part in parts:
            lab = np.minimum(lab, lab[part])
            np.minimum.at(lab, part, lab)
        lab = lab[lab]
        if np.array_equal(lab, before):
            return lab


def aligned(regions: np.ndarray, labels: Labels | None) -> np.ndarray:
    """Which regions are unions of whole blocks (publishable); none when the statistic is withheld."""
    if labels is None:
        return np.zeros(len(regions), dtype=bool)
    # every atom's block is labelled by one of its atoms: a region holds each block whole or not
    # at all exactly when it agrees, atom by atom, with the atom that labels the block
    return np.all(regions == regions[:, labels], axis=1)


def _totals(labels: Labels, values: np.ndarray) -> np.ndarray:
    """Per atom: the total of its block."""
    sums = np.zeros(len(labels), dtype=np.float64)
    np.add.at(sums, labels, values)
    return sums[labels]


class _State:
    """The partitions being built, with a version per statistic so joins and alignments are only
    computed again after one of their partitions changed."""

    def __init__(
        self, year: Year, labels: dict[str, Labels | None], group: dict[str, list[str]] | None = None
    ) -> None:
        self.year = year
        self.group = group or {}
        self.regions = year.regions.astype(np.float64)
        self.held = year.regions
        self.labels = labels
        self.version = dict.fromkeys(labels, 0)
        self._joins: dict[tuple[str, ...], tuple[tuple[int, ...], Labels]] = {}
        self._aligned: dict[str, tuple[int, np.ndarray]] = {}

    def join(self, support: tuple[str, ...]) -> Labels | None:
        parts = [self.labels[s] for s in support]
        if any(p is None for p in parts):
            return None
        stamp = tuple(self.version[s] for s in support)
        known = self._joins.get(support)
        if known is None or known[0] != stamp:
            known = (stamp, join([p for p in parts if p is not None]))
            self._joins[support] = known
        return known[1]

    def aligned(self, s: str) -> np.ndarray:
        known = self._aligned.get(s)
        if known is None or known[0] != self.version[s]:
            known = (self.version[s], aligned(self.year.regions, self.labels[s]))
            self._aligned[s] = known
        return known[1]

    def merge(self, s: str, x: int, y: int) -> None:
        """Merge the blocks of atoms x and y. An area stays a union of blocks if it was one and
        holds both blocks or neither, so the aligned areas are updated without recounting."""
        lab = self.labels[s]
        assert lab is not None
        low, high = min(lab[x], lab[y]), max(lab[x], lab[y])
        lab[lab == high] = low  # in place: statistics tied to s share the array
        regions = self.year.regions
        for m in self.group.get(s, [s]):
            known = self._aligned.get(m)
            self.version[m] += 1
            if known is not None and known[0] == self.version[m] - 1:
                self._aligned[m] = (self.version[m], known[1] & (regions[:, x] == regions[:, y]))

    def withhold(self, s: str) -> None:
        for m in self.group.get(s, [s]):
            self.labels[m] = None
            self.version[m] += 1


def solve(year: Year, rule: Rule, start: dict[str, Labels | None] | None = None) -> dict[str, Labels | None]:
    """The partition of every statistic (None: withheld in this year), starting from `start` (a
    laxer policy's partitions, so a stricter policy never shows what a laxer one hides).

    """
    n = len(year.atoms)
    labels: dict[str, Labels | None] = {}
    group = _groups(year)
    for s in year.values:
        if s in labels:
            continue
        members = group.get(s, [s])
        if start is not None and any(m in start for m in members):
            known = [start[m] for m in members if m in start]
            given = [k for k in known if k is not None]
            shared = None if len(given) < len(known) else _coarsest(given)
        else:
            shared = np.arange(n, dtype=np.int64)
        for m in members:
            labels[m] = shared  # one array: a merge in one is a merge in all
    state = _State(year, labels, group)
    weights = year.weights if year.weights is not None else np.ones(len(year.regions))
    residents = year.values[year.residents]
    # every rule is closed under unions (a sum of safe totals is safe), and merging only makes
    # blocks coarser, so a rule that holds once holds for good: each is worked on until it holds
    for c in constraints(year, rule):
        while True:
            lab = state.join(c.support)
            if lab is None:
                break  # a withheld statistic takes part in no published figure
            totals = _totals(lab, c.values)
            others = _totals(lab, c.other) if c.other is not None else None
            bad = _unsafe(c, rule, totals, others)
            if not bad.any():
                break
            first = int(np.flatnonzero(bad)[0])
            _coarsen(state, c, rule, lab, lab == lab[first], totals, others, weights, residents)
    return labels


def _groups(year: Year) -> dict[str, list[str]]:
    """Each tied statistic → every statistic of its tie (itself included)."""
    out: dict[str, list[str]] = {}
    for tie in year.ties:
        members = sorted(m for m in tie if m in year.values)
        for m in members:
            out[m] = members
    return out


def _coarsest(parts: list[Labels]) -> Labels:
    """One partition for statistics tied together that a laxer policy may have left apart: the
    join of theirs (so the stricter policy still hides all that the laxer one hides)."""
    return join([p.copy() for p in parts]).copy()


def _coarsen(
    state: _State,
    c: Constraint,
    rule: Rule,
    joined: Labels,
    block: np.ndarray,
    totals: np.ndarray,
    others: np.ndarray | None,
    weights: np.ndarray,
    residents: np.ndarray,
) -> None:
    """Grow a failing block of the join: merge, in one statistic of the support, a block inside it
    with one outside. The merge chosen stays inside the smallest published area it can (so a
    village is given up before its parish and a parish before its school district), then takes
    the least published population away (an area that holds one of the two blocks but not the
    other is no longer a union of blocks), then makes the rule hold if it can, then adds the
    fewest residents; each weighted by how much rests on the statistic. When the block is
    everything, the cheapest statistic is withheld."""
    year = state.year
    if block.all():
        state.withhold(
            min(c.support, key=lambda s: (sum(year.uses.get(m, 1) for m in state.group.get(s, [s])), s))
        )
        return
    x_total = float(totals[block][0])
    x_other = float(others[block][0]) if others is not None else None
    n = len(block)
    best: tuple[float, float, bool, float, str, int, int] | None = None
    for s in c.support:
        lab = state.labels[s]
        assert lab is not None
        uses = sum(year.uses.get(m, 1) for m in state.group.get(s, [s]))
        ok = state.aligned(s)
        w = weights * ok  # only published areas can be taken away
        reach = w @ state.regions  # per atom: weight of the published areas that hold it
        reps = np.flatnonzero(lab == np.arange(n))  # a block is labelled by one of its atoms
        outside = reps[~block[reps]]
        merged = x_total + totals[outside]
        merged_other = x_other + others[outside] if others is not None and x_other is not None else None
        stays_bad = _unsafe(c, rule, merged, merged_other)
        size = _totals(lab, residents)[outside]
        for x in reps[block[reps]]:
            holding = np.flatnonzero(ok & state.held[:, x])  # published areas around x
            both = state.held[np.ix_(holding, outside)]
            # the smallest published area that holds both: merge inside it, not across it
            nearest = np.where(both, weights[holding][:, None], np.inf).min(axis=0, initial=np.inf)
            together = (w * state.regions[:, x]) @ state.regions[:, outside]  # areas holding both
            cost = (reach[x] + reach[outside] - 2 * together) * uses
            k = int(np.lexsort((outside, size, stays_bad, cost, nearest * uses))[0])
            choice = (
                float(nearest[k] * uses),
                float(cost[k]),
                bool(stays_bad[k]),
                float(size[k]),
                s,
                int(x),
                int(outside[k]),
            )
            if best is None or choice < best:
                best = choice
    assert best is not None
    s, x, y = best[4:]
    state.merge(s, x, y)

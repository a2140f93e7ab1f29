"""What one disclosure policy publishes about areas: per data year and statistic, the areas that
are unions of whole safe blocks (`partition`), and the small counts whose `<5` label gives nothing
away.

Built once per database and policy, then asked by every output (values, series, breakdowns, lists,
forecasts, traffic lights, exports, the PostGIS publication), so the same figure is shown or hidden
the same way everywhere (docs/access.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np

from boligsocial.publish.disclosure.partition import Labels, Rule, Year, aligned, solve
from boligsocial.publish.disclosure.policy import Policy

Region = Hashable


@dataclass
class YearProtection:
    """One year: the regions (index in the masks), and per statistic the publishable regions."""

    index: dict[Region, int]
    partitions: dict[str, Labels | None]
    publishable: dict[str, np.ndarray]
    labelled: dict[str, np.ndarray]


@dataclass
class Protection:
    """Per data year, what `policy` publishes."""

    policy: Policy
    years: dict[int, YearProtection] = field(default_factory=dict)

    def published(self, year: int, region: Region, stats: Iterable[str]) -> bool:
        """Is a figure made of these statistics publishable for this region and year?"""
        y = self.years.get(year)
        if y is None or region not in y.index:
            return False
        r = y.index[region]
        return all(s in y.publishable and bool(y.publishable[s][r]) for s in stats)

    def may_label(self, year: int, region: Region, stat: str) -> bool:
        """May a hidden small count of `stat` here show its label (`<5`) without letting the label
        and the published blocks pin its value?"""
        y = self.years.get(year)
        if y is None or region not in y.index or stat not in y.labelled:
            return False
        return bool(y.labelled[stat][y.index[region]])

    def partitions(self, year: int) -> dict[str, Labels | None] | None:
        y = self.years.get(year)
        return y.partitions if y else None


def rule_of(policy: Policy) -> Rule:
    return Rule(policy.small_count_max, policy.rate_min_population, policy.min_area_population)


def protect_year(
    year: Year, regions: list[Region], policy: Policy, start: dict[str, Labels | None] | None = None
) -> YearProtection:
    """Solve one year's partitions and derive what may be published and labelled."""
    parts = solve(year, rule_of(policy), start)
    publishable = {s: aligned(year.regions, lab) for s, lab in parts.items()}
    labelled = {
        s: _label_safe(year.regions, year.values[s], parts[s], publishable[s], policy.small_count_max)
        for s in parts
        if year.kinds.get(s) == "count"
    }
    return YearProtection({r: n for n, r in enumerate(regions)}, parts, publishable, labelled)


def _label_safe(
    regions: np.ndarray, values: np.ndarray, labels: Labels | None, publishable: np.ndarray, small: int
) -> np.ndarray:
    """Hidden small counts whose label (a value in 1..small) cannot be pinned.

    A label says 1 <= x <= small. Inside a block B whose total T the attacker may know, the other
    labelled regions of B (its mates) bound x: from above by T minus one for every mate apart from
    x (x <= T - m), and, where the mates cover the rest of B without overlapping, from below by T
    minus `small` for each (x >= T - small * m). A region keeps its label only if it lies inside
    one block, no other labelled region of the block overlaps it or lies inside it (a labelled
    region holding four labelled parts is at least 4: with "<5" it is pinned, and its parts with
    it), and these bounds leave at least two values; labels are withdrawn until every remaining
    one does (the larger of two nesting or overlapping regions first), so the labels of a block
    are disjoint and the bounds above are all an attacker gets from them (docs/access.md)."""
    out = np.zeros(len(regions), dtype=bool)
    if labels is None or small <= 0:
        return out
    totals = regions.astype(np.float64) @ values
    candidates = ~publishable & (totals >= 1) & (totals <= small)
    # regions of the same atoms (an area that is its own almen area, village or school district)
    # are one set of persons with one value: they are judged once, by their first region
    first: dict[bytes, int] = {}
    same = np.arange(len(regions))
    for n in np.flatnonzero(candidates).tolist():
        same[n] = first.setdefault(regions[n].tobytes(), n)
    block_of = np.full(len(regions), -1)
    for r in np.flatnonzero(candidates & (same == np.arange(len(regions)))):
        atoms = np.flatnonzero(regions[r])
        if len(atoms) and np.all(labels[atoms] == labels[atoms[0]]):
            block_of[r] = labels[atoms[0]]
    keep = block_of >= 0
    # where labels nest or overlap, the larger region gives its label up first: the finer areas
    # (an omraade inside its school district) keep theirs
    order = np.argsort(-regions.sum(axis=1), kind="stable")
    changed = True
    while changed:
        changed = False
        for r in order[keep[order]]:
            block = labels == block_of[r]
            total = float(values[block].sum())
            mates = [q for q in np.flatnonzero(keep & (block_of == block_of[r])) if q != r]
            apart = [q for q in mates if not (regions[q] & regions[r]).any()]
            if len(apart) < len(mates):  # a labelled mate overlaps or nests with it: one label goes
                keep[r] = False
                changed = True
                continue
            covered = np.zeros(len(values), dtype=bool)
            overlap = False
            for q in apart:
                overlap |= bool((covered & regions[q]).any())
                covered |= regions[q]
            covers = not (block & ~regions[r] & ~covered).any()  # the mates cover the rest of B
            upper = min(small, total - len(apart))
            lower = max(1.0, total - small * len(apart)) if covers else 1.0
            if (covers and overlap) or upper - lower < 1:
                keep[r] = False
                changed = True
    keep = keep[same] & candidates  # a region of the same atoms as a labelled one shares its label
    out[keep] = True
    return out

"""Polygon bookkeeping for the map: merge slivers into neighbours and make coverages exact.

Boolean operations leave micro gaps and overlaps between neighbours; rebuilding every polygon
from one shared set of faces makes each year's omraade layer a true wall-to-wall coverage.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

_GRID = 0.01  # metres; coordinates are snapped to this grid before noding


def _touch(a: BaseGeometry, b: BaseGeometry) -> float:
    """How strongly two polygons touch (≈ twice their shared boundary length)."""
    return float(a.buffer(1.0).intersection(b).area)


def merge_small_parts(cells: list[BaseGeometry], min_share: float = 0.12) -> list[BaseGeometry]:
    """Keep each cell's largest part; hand smaller parts to the neighbour they touch most.

    Whole cells smaller than `min_share` of the median cell are merged away too, so the result
    has no slivers and every item is one polygon (the list may get shorter).
    """
    cells = [shapely.make_valid(c).buffer(0) for c in cells]
    median = float(np.median([c.area for c in cells]))
    main: list[BaseGeometry] = []
    loose: list[BaseGeometry] = []
    for c in cells:
        parts = sorted(shapely.get_parts(c), key=lambda p: -p.area)
        parts = [p for p in parts if p.geom_type == "Polygon" and p.area > 1.0]
        if not parts:
            continue
        if parts[0].area < min_share * median and len(cells) > 1:
            loose.extend(parts)
            continue
        main.append(parts[0])
        loose.extend(parts[1:])
    for part in sorted(loose, key=lambda p: -p.area):
        j = int(np.argmax([_touch(part, m) for m in main]))
        main[j] = shapely.union_all([main[j], part.buffer(0.05)]).buffer(0)
    return main


def exact_coverage(geoms: list[BaseGeometry], groups: list[list[int]]) -> list[BaseGeometry]:
    """Rebuild `geoms` from shared faces so that each group (one year's versions) is exact.

    Every face of the noded linework goes to exactly one member of each group: the one that
    contains it, or for micro faces left by floating-point noise, the nearest one. Members in
    several groups get their faces from the first group they appear in.
    """
    snapped = shapely.set_precision(np.array(geoms, dtype=object), _GRID)
    lines = shapely.union_all(shapely.boundary(snapped))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    faces = faces[~shapely.is_empty(faces)]
    probe = shapely.point_on_surface(faces)
    owner: dict[int, list[int]] = {}
    for group in groups:
        fixed = [i for i in group if i in owner]
        free = [i for i in group if i not in owner]
        if not free:
            continue
        todo = np.ones(len(faces), dtype=bool)
        for i in fixed:
            todo[owner[i]] = False
        contains = np.array([shapely.contains(snapped[i], probe) for i in free])
        first = np.where(contains.any(axis=0), contains.argmax(axis=0), -1)
        stray = np.flatnonzero(todo & (first < 0))
        if len(stray):
            dist = np.array([shapely.distance(snapped[i], probe[stray]) for i in free])
            first[stray] = dist.argmin(axis=0)
        for k, i in enumerate(free):
            owner[i] = list(np.flatnonzero(todo & (first == k)))
    out: list[BaseGeometry] = []
    for i, g in enumerate(geoms):
        if i not in owner:
            out.append(g)
            continue
        merged = shapely.coverage_union_all(faces[owner[i]])
        parts = shapely.get_parts(merged)
        out.append(parts[0] if len(parts) == 1 else merged)
    return out

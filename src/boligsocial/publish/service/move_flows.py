"""The moves' flows as cells and relations: flows between areas, housing types and kinds of area
for each measure, with their rows, columns and totals; the moves behind displacement (most of them
the same persons as a flow); and the flows of a coarse layer as the sums of the fine layer's
flows inside it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import polars as pl

from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.linked import Cell, Table
from boligsocial.publish.service.move_cells import (
    DERIVED_GROUPS,
    FLOW_MEASURES,
    count_cell,
    displaced,
    flow,
    housing_flow,
    kind_flow,
)
from boligsocial.publish.service.protection import Protections


def add_flows(t: Table, part: pl.DataFrame, kinds: dict[tuple[str, str], str], small: int) -> None:
    """Flows by area, housing type and kind of area for each measure; rows, columns, kinds and
    the total of each as relations."""
    for (layer,), rows in part.group_by("layer"):
        layer = str(layer)
        year = int(rows.get_column("year")[0])
        by_area = rows.group_by("from_area", "to_area").agg(pl.col(m).sum() for m in FLOW_MEASURES)
        by_housing = rows.group_by("from_housing", "to_housing").agg(pl.col(m).sum() for m in FLOW_MEASURES)
        kind_of = pl.DataFrame(
            [(a, k) for (lay, a), k in kinds.items() if lay == layer],
            schema={"area": pl.String, "kind": pl.String},
            orient="row",
        )
        with_kinds = (
            rows.join(kind_of.rename({"area": "from_area", "kind": "fk"}), on="from_area", how="left")
            .join(kind_of.rename({"area": "to_area", "kind": "tk"}), on="to_area", how="left")
            .with_columns(pl.col("fk").fill_null(""), pl.col("tk").fill_null(""))
        )
        by_kind = with_kinds.group_by("fk", "tk").agg(pl.col(m).sum() for m in FLOW_MEASURES)
        for m in FLOW_MEASURES:
            total: dict[Any, int] = {}
            rows_of: dict[str, dict[Any, int]] = defaultdict(dict)
            cols_of: dict[str, dict[Any, int]] = defaultdict(dict)
            kind_parts: dict[tuple[str, str], dict[Any, int]] = defaultdict(dict)
            for a, b, v in by_area.select("from_area", "to_area", m).iter_rows():
                if not v:
                    continue
                key = flow(layer, year, m, a, b)
                t.add(key, count_cell(v, small))
                total[key] = 1
                if a != b:
                    rows_of[a][key] = 1
                    cols_of[b][key] = 1
                kind_parts[(kinds.get((layer, a), "") if a else "", kinds.get((layer, b), "") if b else "")][
                    key
                ] = 1
            for a, b, v in by_housing.select("from_housing", "to_housing", m).iter_rows():
                if v:
                    t.add(housing_flow(layer, year, m, a, b), count_cell(v, small))
            for a, b, v in by_kind.select("fk", "tk", m).iter_rows():
                if v:
                    t.add(kind_flow(layer, year, m, a, b), count_cell(v, small))
            everything = ("X", layer, year, m)
            t.add(everything, Cell(float(sum(t.cells[k].value for k in total)), True, virtual=True))
            t.relate({everything: -1, **total})
            t.relate(
                {everything: -1}
                | {
                    housing_flow(layer, year, m, a, b): 1
                    for a, b, v in by_housing.select("from_housing", "to_housing", m).iter_rows()
                    if v
                }
            )
            t.relate(
                {everything: -1}
                | {
                    kind_flow(layer, year, m, a, b): 1
                    for a, b, v in by_kind.select("fk", "tk", m).iter_rows()
                    if v
                }
            )
            for (ka, kb), members in kind_parts.items():
                t.relate({kind_flow(layer, year, m, ka, kb): -1, **members})
            for area, members in rows_of.items():
                if area:
                    _sum_of(t, ("O", layer, year, m, area), members)
            for area, members in cols_of.items():
                if area:
                    _sum_of(t, ("I", layer, year, m, area), members)
        for make, frame, a_col, b_col in (
            (flow, by_area, "from_area", "to_area"),
            (housing_flow, by_housing, "from_housing", "to_housing"),
            (kind_flow, by_kind, "fk", "tk"),
        ):
            for r in frame.iter_rows(named=True):
                a, b = r[a_col], r[b_col]
                for name, terms in DERIVED_GROUPS.items():
                    value = sum(c * float(r[m] or 0) for m, c in terms.items())
                    key = ("V", make(layer, year, "movers", a, b)[0], layer, year, a, b, name)
                    t.add(key, Cell(value, True, virtual=True))
                    t.relate({key: -1, **{make(layer, year, m, a, b): c for m, c in terms.items()}})


def _sum_of(t: Table, key: tuple[Any, ...], members: dict[Any, int]) -> None:
    """A (virtual unless published elsewhere) cell that is the sum of `members`."""
    t.add(key, Cell(float(sum(t.cells[k].value for k in members)), True, virtual=True))
    t.relate({key: -1, **members})


def add_displacement(t: Table, moved: pl.DataFrame, year: int, small: int) -> None:
    """The moves behind displacement are the flows' movers: each criterion's count and population
    after the move is a flow cell or a group of one (an alias), except two nothing else publishes:
    the movers aged 30-59 and their full-time equivalents outside work (cells of their own)."""
    if moved.is_empty():
        return
    for r in moved.filter(pl.col("year") == year).iter_rows(named=True):
        layer, a, b = r["layer"], r["from_area"], r["to_area"]
        same = {
            "movers": flow(layer, year, "movers", a, b),
            "education_sum": flow(layer, year, "low_education", a, b),
            "crime_sum": flow(layer, year, "convicted", a, b),
            "nonwestern_sum": flow(layer, year, "nonwestern", a, b),
            "nonwestern_n": flow(layer, year, "movers", a, b),
            "crime_n": ("V", "F", layer, year, a, b, "adults"),
            "labour_n": ("V", "F", layer, year, a, b, "working_age"),
        }
        for key, twin in same.items():
            t.aliases[displaced(layer, year, a, b, key)] = twin
            group = t.cells.get(twin)
            if group is not None and group.virtual:  # the population of a share that is shown
                hidden = 0 < round(group.value) <= small
                group.virtual, group.hidden, group.reason = False, hidden, dc.SMALL_COUNT if hidden else None
        t.add(displaced(layer, year, a, b, "education_n"), count_cell(float(r["education_n"]), small))
        t.add(displaced(layer, year, a, b, "labour_sum"), Cell(float(r["labour_sum"]), False))


def nesting(protections: Protections) -> dict[int, list[tuple[str, str, dict[str, str], bool]]]:
    """Per year: (fine layer, coarse layer, fine area → the coarse area that holds it, the fine
    layer covers the whole municipality) for every pair where each fine area lies inside one."""
    out: dict[int, list[tuple[str, str, dict[str, str], bool]]] = {}
    for year, (problem, regions) in protections.years.items():
        layers: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
        for r, region in enumerate(regions):
            if isinstance(region, tuple) and len(region) == 2 and region[0] not in ("kommune", "almen"):
                layers[str(region[0])][str(region[1])] = problem.regions[r]
        pairs = []
        for fine, fine_areas in layers.items():
            covers = np.logical_or.reduce(list(fine_areas.values())).all() if fine_areas else False
            for coarse, coarse_areas in layers.items():
                if fine == coarse:
                    continue
                inside: dict[str, str] = {}
                for a, mask in fine_areas.items():
                    holders = [c for c, cm in coarse_areas.items() if (mask & cm).any()]
                    if len(holders) == 1 and not (mask & ~coarse_areas[holders[0]]).any():
                        inside[a] = holders[0]
                if inside and len(inside) == len(fine_areas):
                    pairs.append((fine, coarse, inside, bool(covers)))
        out[year] = pairs
    return out


def add_cross_layers(
    t: Table, part: pl.DataFrame, year: int, nested: dict[int, list[tuple[str, str, dict[str, str], bool]]]
) -> None:
    """Flows of a coarse layer are the flows of the fine layer inside it (with a remainder never
    published when the fine layer does not cover everything)."""
    by_layer: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
    for key, cell in t.cells.items():
        if key[0] == "F" and not cell.virtual:
            by_layer[(key[1], key[3])].append(key)
    for fine, coarse, inside, covers in nested.get(year, []):
        for m in FLOW_MEASURES:
            parts: dict[tuple[str, str], dict[Any, int]] = defaultdict(dict)
            for key in by_layer.get((fine, m), []):
                a, b = key[4], key[5]
                if not covers and (not a or not b):
                    continue
                ca, cb = inside.get(a, "") if a else "", inside.get(b, "") if b else ""
                if (a and not ca) or (b and not cb):
                    continue
                parts[(ca, cb)][key] = 1
            for (ca, cb), members in parts.items():
                whole = flow(coarse, year, m, ca, cb)
                if whole not in t.cells:
                    continue
                if covers:
                    t.relate({whole: -1, **members})
                else:
                    rest = ("Q", fine, coarse, year, m, ca, cb)
                    value = t.cells[whole].value - sum(t.cells[k].value for k in members)
                    t.add(rest, Cell(value, True, virtual=True))
                    t.relate({whole: -1, rest: 1, **members})

"""The moves as linked tables for the disclosure step (`boligsocial.publish.disclosure.relations`).

Per move year, every figure of the Flytninger page and the moves API is a cell: flows between
areas, housing types and kinds of area (for each trait), each area's tallies and mover profiles,
and the moves behind displacement. The relations are how they add up, so the attacker we play
knows all of them: the flows into an area add up to its in-movers, the residents at the end of the
year are the stayers, the in-movers and the births (and that residents count is the area figure the
residence step publishes or hides), the flows between two school districts are the flows between
the parishes inside them. Year ranges are not cells: a range is published only where every year of
it is (a sum of published figures gives nothing new).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import polars as pl

from boligsocial.compute.moves import TRAITS
from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.linked import Cell, Table
from boligsocial.publish.disclosure.protection import Protection
from boligsocial.publish.disclosure.relations import protect
from boligsocial.publish.service.protection import Protections

#: The flow measures: movers, and movers with each trait.
FLOW_MEASURES = ("movers", *TRAITS)
#: Groups of movers that are differences of the flow measures (movers minus those with traits):
#: an attacker subtracts them, so they are cells of their own, never published.
DERIVED_GROUPS = {
    "adults": {"movers": 1, "children": -1},
    "working_age": {"movers": 1, "children": -1, "seniors": -1},
    "not_nonwestern": {"movers": 1, "nonwestern": -1},
    "adults_not_convicted": {"movers": 1, "children": -1, "convicted": -1},
    "working_age_inside": {"movers": 1, "children": -1, "seniors": -1, "outside_labour": -1},
}
#: An area's tallies (counts), as in `move_areas`.
TALLIES = (
    "in_internal",
    "in_external",
    "out_internal",
    "out_external",
    "births",
    "ended",
    "residents_before",
    "residents_after",
)
#: Mover profile figures: (numerator, population, is share); `age_sum` is mean age × persons.
PROFILE_RATES = {
    "labour": ("labour_sum", "labour_n", True),
    "education": ("education_count", "education_n", True),
    "income": ("income_sum", "income_n", False),
    "nonwestern": ("nonwestern", "persons", True),
    "mean_age": ("age_sum", "persons", False),
}
PROFILE_COUNTS = ("persons", "labour_n", "education_n", "income_n", "education_count", "nonwestern")
#: Displacement: each share criterion's population and count (or FTE sum) after the move.
DISPLACED = ("labour", "crime", "education", "nonwestern")
#: Residence statistics (criteria blocks) that a profile figure of the stayers plus in-movers adds
#: up to, and whether the year's births can hold some of it (they are aged 0).
RESIDENCE_OF_PROFILE = {
    "nonwestern": ("nonwestern", True),
    "education_n": ("education_n", False),
    "education_count": ("education_count", False),
    "labour_n": ("labour_n", False),
    "labour_sum": ("labour_sum", False),
    "income_n": ("income_n", False),
    "income_sum": ("income_sum", False),
}


def flow(layer: str, year: int, measure: str, a: str, b: str) -> tuple[Any, ...]:
    return ("F", layer, year, measure, a, b)


def housing_flow(layer: str, year: int, measure: str, a: str, b: str) -> tuple[Any, ...]:
    return ("H", layer, year, measure, a, b)


def kind_flow(layer: str, year: int, measure: str, a: str, b: str) -> tuple[Any, ...]:
    return ("K", layer, year, measure, a, b)


def tally(layer: str, year: int, area: str, key: str) -> tuple[Any, ...]:
    return ("T", layer, year, area, key)


def profile(layer: str, year: int, area: str, group: str, key: str) -> tuple[Any, ...]:
    return ("P", layer, year, area, group, key)


def displaced(layer: str, year: int, a: str, b: str, key: str) -> tuple[Any, ...]:
    return ("D", layer, year, a, b, key)


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
    residents = _residence(protections)
    kinds = {(r[0], r[1]): r[2] for r in area_kinds.select("layer", "area_id", "kind").iter_rows()}
    nested = _nesting(protections)
    tables: dict[int, Table] = {}
    for (year,), part in flows.group_by("year"):
        y = int(year)
        t = Table()
        _flows(t, part, kinds, small)
        _areas(t, snap_tables, y, residents, protection, protections, policy)
        _displacement(t, snap_tables["move_displaced"], y, small)
        _small_areas(t, residents, y, policy.min_area_population)
        _cross_layers(t, part, y, nested)
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


def _count(value: float, small: int) -> Cell:
    """A count cell, hidden when it is small. The moves never show a hidden count's label: with
    the relations between them, a label's bounds (1..4) could pin a value (docs/access.md)."""
    hidden = 0 < round(value) <= small
    return Cell(float(value), True, hidden, reason=dc.SMALL_COUNT if hidden else None)


def _flows(t: Table, part: pl.DataFrame, kinds: dict[tuple[str, str], str], small: int) -> None:
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
                t.add(key, _count(v, small))
                total[key] = 1
                if a != b:
                    rows_of[a][key] = 1
                    cols_of[b][key] = 1
                kind_parts[(kinds.get((layer, a), "") if a else "", kinds.get((layer, b), "") if b else "")][
                    key
                ] = 1
            for a, b, v in by_housing.select("from_housing", "to_housing", m).iter_rows():
                if v:
                    t.add(housing_flow(layer, year, m, a, b), _count(v, small))
            for a, b, v in by_kind.select("fk", "tk", m).iter_rows():
                if v:
                    t.add(kind_flow(layer, year, m, a, b), _count(v, small))
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


def _areas(
    t: Table,
    tables: dict[str, pl.DataFrame],
    year: int,
    residents: dict[tuple[str, str, int], dict[str, float]],
    protection: Protection,
    protections: Protections,
    policy: dc.Policy,
) -> None:
    """Each area's tallies and mover profiles, tied to the flows and to the residence figures."""
    small = policy.small_count_max
    stats = protections.stats
    tally_rows = tables["move_areas"].filter(pl.col("year") == year)
    for r in tally_rows.iter_rows(named=True):
        layer, area = r["layer"], r["area_id"]
        for k in TALLIES:
            t.add(tally(layer, year, area, k), _count(float(r[k] or 0), small))
        # the residents at the year's ends are the residence step's figures: its decision holds
        for k, when in (("residents_after", year), ("residents_before", year - 1)):
            cell = t.cells[tally(layer, year, area, k)]
            cell.fixed = True
            shown = protection.published(when, (layer, area), (stats.residents,))
            cell.hidden = not shown
            cell.label = (
                cell.label and not shown and protection.may_label(when, (layer, area), stats.residents)
            )
            cell.reason = None if shown else dc.DIFFERENCING
        # the flows into an area from anywhere else (other areas and outside) are its in-movers
        t.relate(
            {
                ("I", layer, year, "movers", area): -1,
                tally(layer, year, area, "in_internal"): 1,
                tally(layer, year, area, "in_external"): 1,
            }
        )
        t.relate(
            {
                ("O", layer, year, "movers", area): -1,
                tally(layer, year, area, "out_internal"): 1,
                tally(layer, year, area, "out_external"): 1,
            }
        )
        t.relate({flow(layer, year, "movers", "", area): -1, tally(layer, year, area, "in_external"): 1})
        t.relate({flow(layer, year, "movers", area, ""): -1, tally(layer, year, area, "out_external"): 1})
    profiles = tables["mover_profiles"].filter(pl.col("year") == year)
    for r in profiles.iter_rows(named=True):
        layer, area, group = r["layer"], r["area_id"], r["group"]
        values = {k: float(r[k] or 0) for k in (*PROFILE_COUNTS, "labour_sum", "income_sum")}
        values["age_sum"] = float(r["mean_age"] or 0) * values["persons"]
        for k, v in values.items():
            count = k in PROFILE_COUNTS
            t.add(
                profile(layer, year, area, group, k),
                _count(v, small) if count else Cell(v, False),
            )
        for num, den, share in PROFILE_RATES.values():  # a share or mean is shown only as a whole
            n, d = values[num], values[den]
            bad = d < policy.rate_min_population or (
                share and small and (0 < n <= small + 1e-9 or 0 < d - n <= small + 1e-9)
            )
            if bad:
                for k in (num, den) if den != "persons" else (num,):
                    cell = t.cells[profile(layer, year, area, group, k)]
                    cell.hidden, cell.label, cell.reason = True, False, dc.SMALL_COUNT
        tt = {k: tally(layer, year, area, k) for k in TALLIES}
        persons = profile(layer, year, area, group, "persons")
        if group == "in":
            t.relate({persons: -1, tt["in_internal"]: 1, tt["in_external"]: 1})
            t.relate(
                {
                    profile(layer, year, area, "in", "nonwestern"): -1,
                    ("I", layer, year, "nonwestern", area): 1,
                }
            )
            t.relate(
                {
                    profile(layer, year, area, "in", "education_count"): -1,
                    ("I", layer, year, "low_education", area): 1,
                }
            )
            t.relate(
                {
                    profile(layer, year, area, "in", "labour_n"): 1,
                    persons: -1,
                    ("I", layer, year, "children", area): 1,
                    ("I", layer, year, "seniors", area): 1,
                }
            )
        elif group == "out":
            t.relate({persons: -1, tt["out_internal"]: 1, tt["out_external"]: 1})
            t.relate(
                {
                    profile(layer, year, area, "out", "nonwestern"): -1,
                    ("O", layer, year, "nonwestern", area): 1,
                }
            )
    for r in tally_rows.iter_rows(named=True):
        layer, area = r["layer"], r["area_id"]
        tt = {k: tally(layer, year, area, k) for k in TALLIES}
        stay = profile(layer, year, area, "stay", "persons")
        t.relate(
            {
                tt["residents_after"]: -1,
                stay: 1,
                profile(layer, year, area, "in", "persons"): 1,
                tt["births"]: 1,
            }
        )
        t.relate(
            {
                tt["residents_before"]: -1,
                stay: 1,
                profile(layer, year, area, "out", "persons"): 1,
                tt["ended"]: 1,
            }
        )
        _residence_identities(t, layer, area, year, residents, protection, protections)


def _residence_identities(
    t: Table,
    layer: str,
    area: str,
    year: int,
    residents: dict[tuple[str, str, int], dict[str, float]],
    protection: Protection,
    protections: Protections,
) -> None:
    """An area's residence figures are its stayers' plus its in-movers' (plus the births', who are
    aged 0): where that holds exactly, it is a relation, with the residence figure fixed."""
    stats = protections.stats
    here = residents.get((layer, area, year))
    before = residents.get((layer, area, year - 1))
    if here is None:
        return
    for key, (block, births_too) in RESIDENCE_OF_PROFILE.items():
        stat = stats.measure_any(block)
        if stat not in here:
            continue
        stay, came = profile(layer, year, area, "stay", key), profile(layer, year, area, "in", key)
        if stay not in t.cells or came not in t.cells:
            continue
        known = t.cells[stay].value + t.cells[came].value
        res_key = ("R", layer, year, area, stat)
        shown = protection.published(year, (layer, area), (stat,))
        t.add(res_key, Cell(here[stat], t.cells[stay].count, not shown, fixed=True))
        if births_too:
            born = ("B", layer, year, area, key)
            t.add(born, Cell(here[stat] - known, True, virtual=True))
            t.relate({res_key: -1, stay: 1, came: 1, born: 1})
        elif abs(here[stat] - known) < 1e-6:
            t.relate({res_key: -1, stay: 1, came: 1})
        if key == "nonwestern" and before is not None and stat in before:
            gone = profile(layer, year, area, "out", key)
            if gone in t.cells:  # origin does not change: the stayers before are the stayers after
                res0 = ("R", layer, year - 1, area, stat)
                shown0 = protection.published(year - 1, (layer, area), (stat,))
                t.add(res0, Cell(before[stat], True, not shown0, fixed=True))
                ended = ("E", layer, year, area, key)
                t.add(
                    ended, Cell(before[stat] - t.cells[stay].value - t.cells[gone].value, True, virtual=True)
                )
                t.relate({res0: -1, stay: 1, gone: 1, ended: 1})


def _displacement(t: Table, moved: pl.DataFrame, year: int, small: int) -> None:
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
        t.add(displaced(layer, year, a, b, "education_n"), _count(float(r["education_n"]), small))
        t.add(displaced(layer, year, a, b, "labour_sum"), Cell(float(r["labour_sum"]), False))


def _small_areas(
    t: Table, residents: dict[tuple[str, str, int], dict[str, float]], year: int, minimum: int
) -> None:
    """Nothing about an area under the minimum population at either year-end: its flows, tallies,
    profiles and displacement are hidden (its residents count is the residence step's)."""
    if minimum <= 0:
        return

    def small(layer: str, area: str) -> bool:
        if not area:
            return False
        counts = [residents.get((layer, area, y), {}).get("__residents__", 0.0) for y in (year, year - 1)]
        return min(counts) < minimum

    for key, cell in t.cells.items():
        kind = key[0]
        if kind in ("F", "D"):
            layer, a, b = key[1], key[4] if kind == "F" else key[3], key[5] if kind == "F" else key[4]
            hit = small(layer, a) or small(layer, b)
        elif kind in ("T", "P"):
            hit = small(key[1], key[3]) and not cell.fixed
        else:
            continue
        if hit:  # a small count of a small area gives no label either: only the residents are shown
            cell.hidden, cell.label, cell.reason = True, False, dc.AREA_SMALL


def _residence(protections: Protections) -> dict[tuple[str, str, int], dict[str, float]]:
    """Every residence statistic per area and year (summed from the atoms), and the residents."""
    out: dict[tuple[str, str, int], dict[str, float]] = {}
    residents = protections.stats.residents
    for year, (problem, regions) in protections.years.items():
        names = list(problem.values)
        matrix = np.vstack([problem.values[s] for s in names])
        sums = problem.regions.astype(np.float64) @ matrix.T
        for r, region in enumerate(regions):
            if isinstance(region, tuple) and len(region) == 2:
                row = dict(zip(names, sums[r].tolist(), strict=True))
                row["__residents__"] = row.get(residents, 0.0)
                out[(str(region[0]), str(region[1]), year)] = row
    return out


def _nesting(protections: Protections) -> dict[int, list[tuple[str, str, dict[str, str], bool]]]:
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


def _cross_layers(
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

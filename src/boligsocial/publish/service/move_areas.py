"""Each area's moves as cells and relations: its tallies and mover profiles, tied to the flows and
to the area's residence figures (the residents at the year's end are the stayers, the in-movers
and the births); and nothing at all about an area under the minimum population."""

from __future__ import annotations

import numpy as np
import polars as pl

from boligsocial.publish import disclosure as dc
from boligsocial.publish.disclosure.linked import Cell, Table
from boligsocial.publish.disclosure.protection import Protection
from boligsocial.publish.service.move_cells import (
    PROFILE_COUNTS,
    PROFILE_RATES,
    RESIDENCE_OF_PROFILE,
    TALLIES,
    count_cell,
    flow,
    profile,
    tally,
)
from boligsocial.publish.service.protection import Protections


def add_areas(
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
            t.add(tally(layer, year, area, k), count_cell(float(r[k] or 0), small))
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
                count_cell(v, small) if count else Cell(v, False),
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


def hide_small_areas(
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


def residence(protections: Protections) -> dict[tuple[str, str, int], dict[str, float]]:
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

"""Area assignment: which area of each layer every address lies in, for each data year.

Vectorised point-in-polygon over addresses (not persons), one prepared polygon at a time with a
bounding-box prefilter. A point inside one polygon goes there; a point on a shared boundary (inside
none, touching several) goes to the smallest `area_id`, so the rule is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import shapely

from boligsocial.common.problems import MAX_EXAMPLES, Problem
from boligsocial.contract import REQUIRED_LAYER
from boligsocial.geo.areas import Areas


@dataclass(frozen=True)
class Located:
    """Per point: index of its polygon (-1 none), how many interiors hold it, boundary-only flag."""

    index: np.ndarray
    interiors: np.ndarray
    boundary_only: np.ndarray


def locate(polygons: np.ndarray, x: np.ndarray, y: np.ndarray) -> Located:
    """Assign points to polygons; `polygons` must be ordered by the tie-break (smallest id first)."""
    n = len(x)
    inside = np.full(n, -1, dtype=np.int64)
    touch = np.full(n, -1, dtype=np.int64)
    interiors = np.zeros(n, dtype=np.int64)
    for i, poly in enumerate(polygons):
        minx, miny, maxx, maxy = shapely.bounds(poly)
        cand = np.flatnonzero((x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy))
        if cand.size == 0:
            continue
        shapely.prepare(poly)
        hit = shapely.contains_xy(poly, x[cand], y[cand])
        idx = cand[hit]
        interiors[idx] += 1
        inside[idx[inside[idx] < 0]] = i
        rest = cand[~hit]
        on_edge = rest[shapely.intersects_xy(poly, x[rest], y[rest])]
        touch[on_edge[touch[on_edge] < 0]] = i
    index = np.where(inside >= 0, inside, touch)
    return Located(index, interiors, (inside < 0) & (touch >= 0))


def periods(
    valid_from: np.ndarray, valid_to: np.ndarray, years: list[int]
) -> list[tuple[list[int], np.ndarray]]:
    """Runs of consecutive data years with the same valid features: [(years, feature indices)]."""
    runs: list[tuple[list[int], np.ndarray]] = []
    for year in sorted(years):
        members = np.flatnonzero((valid_from <= year) & (valid_to >= year))
        last = runs[-1] if runs else None
        if last and last[0][-1] == year - 1 and np.array_equal(last[1], members):
            last[0].append(year)
        else:
            runs.append(([year], members))
    return runs


ASSIGNMENT_SCHEMA = {
    "layer": pl.String,
    "address_id": pl.String,
    "area_id": pl.String,
    "year_from": pl.Int32,
    "year_to": pl.Int32,
}


@dataclass
class Assignment:
    """`frame`: (layer, address_id, area_id, year_from, year_to), one row per address and period."""

    frame: pl.DataFrame
    problems: list[Problem]


def _tally(
    code: str, layer: str, addresses: np.ndarray, years: list[int], persons: int, what: str
) -> list[Problem]:
    if addresses.size == 0:
        return []
    span = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    head = ", ".join(map(str, addresses[:MAX_EXAMPLES]))
    more = f" (+{addresses.size - MAX_EXAMPLES} more)" if addresses.size > MAX_EXAMPLES else ""
    return [
        Problem(
            code,
            f"{addresses.size} addresses {what} of layer '{layer}' in {span}, "
            f"{persons} person-years affected: {head}{more}",
            file="addresses",
            column="x, y",
            count=int(addresses.size),
        )
    ]


def assign_addresses(
    areas: Areas,
    addresses: pl.DataFrame,
    residents: pl.DataFrame,
    years: list[int],
    allow_unassigned: bool = False,
) -> Assignment:
    """Place every address in each layer for each data year and report the coverage.

    `addresses` has address_id, x, y (EPSG:25832); `residents` has address_id, year, n (persons).
    """
    ids = addresses.get_column("address_id").to_numpy()
    x = addresses.get_column("x").to_numpy().astype(float)
    y = addresses.get_column("y").to_numpy().astype(float)
    counts = residents.group_by("address_id", "year").agg(pl.col("n").sum())
    problems: list[Problem] = []
    parts: list[pl.DataFrame] = []
    used_features: set[int] = set()
    fr = areas.frame.with_row_index("__feature")
    for layer in areas.layers():
        sel = fr.filter(pl.col("layer") == layer).sort("area_id")
        feat = sel.get_column("__feature").to_numpy()
        for period_years, members in periods(
            sel.get_column("valid_from").to_numpy(), sel.get_column("valid_to").to_numpy(), years
        ):
            found = locate(areas.geometry[feat[members]], x, y)
            area_ids = sel.get_column("area_id").to_numpy()[members]
            ok = found.index >= 0
            used_features.update(feat[members][np.unique(found.index[ok])].tolist())
            parts.append(
                pl.DataFrame(
                    {
                        "layer": layer,
                        "address_id": ids[ok],
                        "area_id": area_ids[found.index[ok]],
                        "year_from": period_years[0],
                        "year_to": period_years[-1],
                    },
                    schema=ASSIGNMENT_SCHEMA,
                )
            )

            in_period = (
                counts.filter(pl.col("year").is_in(period_years))
                .group_by("address_id")
                .agg(pl.col("n").sum())
            )
            per_address = (
                addresses.select("address_id")
                .join(in_period, on="address_id", how="left", maintain_order="left")
                .get_column("n")
                .fill_null(0)
                .to_numpy()
            )

            def persons_at(mask: np.ndarray, per_address: np.ndarray = per_address) -> int:
                return int(per_address[mask].sum())

            overlap = found.interiors > 1
            problems += _tally(
                "address-overlap",
                layer,
                ids[overlap],
                period_years,
                persons_at(overlap),
                "lie inside two or more areas",
            )
            on_edge = found.boundary_only
            problems += _tally(
                "address-on-boundary",
                layer,
                ids[on_edge],
                period_years,
                persons_at(on_edge),
                "lie on a shared boundary",
            )
            if layer == REQUIRED_LAYER:
                code = "address-unassigned-allowed" if allow_unassigned else "address-unassigned"
                problems += _tally(code, layer, ids[~ok], period_years, persons_at(~ok), "lie in no area")
    empty = fr.filter(~pl.col("__feature").is_in(sorted(used_features)))
    for row in empty.iter_rows(named=True):
        problems.append(
            Problem(
                "area-empty",
                f"area {row['layer']}/{row['area_id']} ({row['name']}) has no addresses",
                file="areas",
                column="area_id",
                value=row["area_id"],
            )
        )
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=ASSIGNMENT_SCHEMA)
    return Assignment(frame, problems)

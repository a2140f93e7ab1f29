"""Dwellings: one address each, placed along streets inside their area with a housing type.

Density follows the map (dense town and estates, scattered farms, clustered villages); each
dwelling also gets the fixed traits the housing market needs (rooms, a quality draw, the year it
becomes available).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import shapely
from shapely.geometry.base import BaseGeometry

from boligsocial.example import names
from boligsocial.example.geography import Area, Geography
from boligsocial.example.identifiers import uuids
from boligsocial.example.story import (
    ALMEN_AREAS,
    BOUNDARY_CHANGE_YEAR,
    GROWING_AREA,
    GROWTH_RESIDENTS,
    LAST_YEAR,
    TOWN_CENTRE,
)

HOUSING_TYPES = ["almen", "privat_leje", "ejer", "andel", "offentlig", "andet", "ukendt"]
ALMEN, PRIVAT, EJER, ANDEL, OFFENTLIG, ANDET, UKENDT = range(7)
# Mixes (shares per HOUSING_TYPES) and dwellings per entrance by setting.
_MIX = {
    "estate": [0.96, 0.02, 0.0, 0.0, 0.01, 0.01, 0.0],
    "centre": [0.12, 0.44, 0.16, 0.18, 0.03, 0.04, 0.03],
    "middle": [0.15, 0.22, 0.44, 0.12, 0.02, 0.03, 0.02],
    "outer": [0.10, 0.10, 0.70, 0.06, 0.01, 0.02, 0.01],
    "small_town": [0.12, 0.16, 0.62, 0.06, 0.01, 0.02, 0.01],
    "village": [0.08, 0.14, 0.72, 0.0, 0.0, 0.03, 0.03],
    "rural": [0.01, 0.10, 0.78, 0.0, 0.01, 0.07, 0.03],
}
_PER_ENTRANCE = {"estate": 8, "centre": 6, "middle": 3, "outer": 1, "small_town": 1, "village": 1, "rural": 1}
_HH_SIZE = 2.15  # residents per occupied dwelling, used only to size the stock
_TOWN_DWELLINGS = 47000
_SMALL_TOWN_DWELLINGS = 4400
_RURAL_PER_KM2 = 8.5
_VILLAGE_DWELLINGS = (110, 260)
_ROOMS = np.array([3.0, 2.2, 4.6, 3.0, 2.5, 3.5, 3.0])  # mean rooms by housing type


@dataclass
class Dwellings:
    """The dwelling stock: the addresses table plus arrays the simulation indexes by dwelling."""

    table: pl.DataFrame  # address_id, x, y, housing_type, housing_org, housing_department, label
    area: np.ndarray  # index into Geography's current omraade list
    htype: np.ndarray  # index into HOUSING_TYPES
    rooms: np.ndarray
    setting: np.ndarray  # index into SETTINGS
    available: np.ndarray  # first year the dwelling can be let
    noise: np.ndarray  # fixed quality draw of the individual dwelling


SETTINGS = list(_MIX)


def _town_setting(dist: float) -> str:
    """Setting of a town area by its distance (m) from the centre."""
    if dist < 1300:
        return "centre"
    return "middle" if dist < 2600 else "outer"


def _street_points(poly: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` entrance points on a rotated street lattice inside `poly`, numbered along streets.

    Returns rows (x, y, street, number); points keep at least 3 m from the polygon's edge, and
    house numbers are odd on one side of a street and even on the other.
    """
    inner = poly.buffer(-3.0)
    if inner.is_empty:
        inner = poly
    step = float(np.sqrt(inner.area / (2.4 * n)))
    angle = rng.uniform(0, np.pi)
    c, s = np.cos(angle), np.sin(angle)
    cx, cy = inner.centroid.x, inner.centroid.y
    rad = float(np.hypot(inner.bounds[2] - inner.bounds[0], inner.bounds[3] - inner.bounds[1]))
    for _ in range(12):  # densify the lattice until enough points fall inside
        i = np.arange(-rad / step, rad / step + 1)
        j = np.arange(-rad / (4 * step), rad / (4 * step) + 1)
        ii, jj, side = (a.ravel() for a in np.meshgrid(i, j, [-1.0, 1.0], indexing="ij"))
        u = ii * step + rng.uniform(-0.15, 0.15, ii.shape) * step
        v = jj * 4 * step + side * 0.35 * step
        x, y = cx + u * c - v * s, cy + u * s + v * c
        keep = np.flatnonzero(shapely.contains_xy(inner, x, y))
        if len(keep) >= n:
            break
        step *= 0.75
    if len(keep) < n:  # a sliver-like polygon: pile the rest on one inner point
        p = inner.representative_point()
        x, y = np.r_[x, p.x], np.r_[y, p.y]
        ii, jj, side = np.r_[ii, 0.0], np.r_[jj, 0.0], np.r_[side, 1.0]
        keep = np.r_[keep, np.full(n - len(keep), len(x) - 1)]
    pick = keep[np.sort(rng.choice(len(keep), n, replace=False))]
    order = np.lexsort((ii[pick], jj[pick], side[pick]))
    key = np.c_[side[pick][order], jj[pick][order]]
    first = np.r_[0, np.flatnonzero(np.any(key[1:] != key[:-1], axis=1)) + 1]
    rank = np.arange(n) - np.repeat(first, np.diff(np.r_[first, n]))
    number = np.empty(n)
    number[order] = 2 * rank + np.where(side[pick][order] < 0, 1, 2)
    return np.column_stack([x[pick], y[pick], jj[pick], number])


def _random_points(poly: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """Scattered points (farms) inside `poly`, at least 3 m from its edge."""
    inner = poly.buffer(-3.0)
    x0, y0, x1, y1 = inner.bounds
    got = np.zeros((0, 2))
    while len(got) < n:
        cand = np.column_stack([rng.uniform(x0, x1, 4 * n + 20), rng.uniform(y0, y1, 4 * n + 20)])
        got = np.vstack([got, cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]])
    return got[:n]


class _Builder:
    """Accumulates entrances and their dwellings area by area."""

    def __init__(self, rng: np.random.Generator, taken: set[str]) -> None:
        self.rng = rng
        self.cols: dict[str, list[np.ndarray]] = {
            k: []
            for k in (
                "x",
                "y",
                "area",
                "htype",
                "setting",
                "available",
                "street",
                "number",
                "floor",
                "door",
                "org",
                "dept",
                "rooms",
            )
        }
        self.street_names = [n for n in names.street_names() if n not in taken]
        self.next_street = 0
        self.next_dept = 1
        self.last_number: dict[str, int] = {}

    def _street(self) -> str:
        name = self.street_names[self.next_street % len(self.street_names)]
        self.next_street += 1
        return name

    def add(
        self,
        poly: BaseGeometry,
        n: int,
        setting: str,
        area_idx: int,
        street: str | None,
        available: int,
        org: tuple[int, int] | None = None,
        scattered: bool = False,
    ) -> None:
        if n <= 0 or poly.is_empty:
            return
        rng = self.rng
        htype = rng.choice(7, n, p=np.array(_MIX[setting]) / sum(_MIX[setting]))
        if org is not None:
            htype[:] = np.where(htype == EJER, ALMEN, htype)
        per = np.where(htype == EJER, 1, _PER_ENTRANCE[setting])
        per = np.where((htype == ANDET) | (htype == UKENDT), 1, per)
        # Dwellings of one type share entrances; count entrances per type.
        n_ent = 0
        ent_of = np.zeros(n, dtype=np.int64)
        floor = np.zeros(n, dtype=np.int64)
        door = np.zeros(n, dtype=np.int64)
        order = np.argsort(htype, kind="stable")
        for t in np.unique(htype):
            idx = order[htype[order] == t]
            p = int(per[idx[0]])
            k = np.arange(len(idx))
            ent_of[idx] = n_ent + k // p
            floor[idx] = np.where(p > 1, (k % p) // 2, -1)
            door[idx] = np.where(p > 1, k % 2, -1)
            n_ent += int(-(-len(idx) // p))
        if scattered:
            pts = np.column_stack([_random_points(poly, n_ent, rng), np.zeros(n_ent), np.zeros(n_ent)])
            pts[:, 3] = np.sort(rng.choice(np.arange(1, 6 * n_ent + 2), n_ent, replace=False))
        else:
            pts = _street_points(poly, n_ent, rng)
        lines, line_of = np.unique(pts[:, 2], return_inverse=True)
        streets = np.array([street or self._street() for _ in lines], dtype=object)[line_of]
        if street is not None:  # one named street (an estate, a country road): number on from before
            pts[:, 3] = (
                np.argsort(np.argsort(pts[:, 2] * 1e6 + pts[:, 3])) + 1 + self.last_number.get(street, 0)
            )
            self.last_number[street] = int(pts[:, 3].max())
        ent = pts[ent_of]
        mean_rooms = _ROOMS[htype] + (0.5 if setting == "estate" else 0.0)
        rooms = np.clip(np.round(rng.normal(mean_rooms, 0.9)), 1, 7)
        c = self.cols
        c["x"].append(np.round(ent[:, 0], 2))
        c["y"].append(np.round(ent[:, 1], 2))
        c["area"].append(np.full(n, area_idx))
        c["htype"].append(htype)
        c["setting"].append(np.full(n, SETTINGS.index(setting)))
        c["available"].append(np.full(n, available))
        c["street"].append(streets[ent_of])
        c["number"].append(ent[:, 3].astype(np.int64))
        c["floor"].append(floor)
        c["door"].append(door)
        c["rooms"].append(rooms)
        if org is None and np.any(htype == ALMEN):
            org = (area_idx % len(names.BOLIG_ORGS), self.dept())
        c["org"].append(np.where(htype == ALMEN, org[0] if org else -1, -1))
        c["dept"].append(np.where(htype == ALMEN, org[1] if org else -1, -1))

    def dept(self) -> int:
        """The next afdeling number (numbered across the municipality, as a simplification)."""
        self.next_dept += 1
        return self.next_dept - 1


def build_dwellings(geo: Geography, scale: float, rng: np.random.Generator) -> Dwellings:
    """Place the dwelling stock of every current omraade area (and the post-2020 new buildings)."""
    areas = geo.layer("omraade", LAST_YEAR)  # the current boundary versions
    b = _Builder(rng, {s.name for s in ALMEN_AREAS} | {f"{a.name}vej" for a in areas})
    centre = shapely.Point(TOWN_CENTRE)
    urban = [a.urban if a.urban is not None else shapely.Polygon() for a in areas]
    dist = np.array([u.centroid.distance(centre) if not u.is_empty else np.inf for u in urban])
    area_km = np.array([u.area for u in urban])
    in_town = dist < 5000
    town_w = np.where(in_town, area_km * (0.6 + 2.5 * np.exp(-np.minimum(dist, 1e5) / 1600)), 0.0)
    small_w = np.where(~in_town, area_km, 0.0)  # built-up parts of the small towns
    for i, a in enumerate(areas):
        if a.kind == "almen":
            _estate(b, i, a, geo, scale)
            continue
        rural = a.geometry.difference(urban[i]) if not urban[i].is_empty else a.geometry
        for v in geo.layer("landsby"):
            if v.parent_id == a.area_id:
                rural = rural.difference(v.geometry.buffer(5))
                b.add(
                    v.geometry, _count(int(rng.integers(*_VILLAGE_DWELLINGS)), scale), "village", i, None, 0
                )
        if town_w[i] > 0:
            n = _count(_TOWN_DWELLINGS * town_w[i] / town_w.sum(), scale)
            b.add(urban[i], n, _town_setting(dist[i]), i, None, 0)
        elif small_w[i] > 0:
            b.add(
                urban[i],
                _count(_SMALL_TOWN_DWELLINGS * small_w[i] / small_w.sum(), scale),
                "small_town",
                i,
                None,
                0,
            )
        if rural.area > 1e5:
            n = _count(_RURAL_PER_KM2 * rural.area / 1e6, scale)
            b.add(rural, n, "rural", i, f"{a.name}vej", 0, scattered=True)
    return _finish(b, rng)


def _estate(b: _Builder, i: int, a: Area, geo: Geography, scale: float) -> None:
    """An almen estate: one block of entrances per afdeling, plus the new buildings of 2020."""
    spec = next(s for s in ALMEN_AREAS if s.name == a.name)
    poly = a.geometry.difference(geo.growth_strip) if a.name == GROWING_AREA else a.geometry
    # Heavy estates have larger families, so fewer dwellings for the same residents.
    n = _count(spec.residents / _HH_SIZE * (0.86 if spec.role == "heavy" else 1.0), scale)
    for k, part in enumerate(_split(poly, spec.departments)):
        org = ((spec.org + k) % len(names.BOLIG_ORGS), b.dept())
        b.add(part, _count(n * part.area / poly.area, 1.0), "estate", i, a.name, 0, org=org)
    if a.name == GROWING_AREA:
        n_new = _count(GROWTH_RESIDENTS / _HH_SIZE, scale)
        b.add(
            geo.growth_strip,
            n_new,
            "estate",
            i,
            f"{a.name} Nord",
            BOUNDARY_CHANGE_YEAR,
            org=(spec.org, b.dept()),
        )


def _count(x: float, scale: float) -> int:
    """Scaled count, at least one dwelling wherever the map has any."""
    return max(1, round(x * scale))


def _split(poly: BaseGeometry, k: int) -> list[BaseGeometry]:
    """Split an estate into `k` departments by vertical cuts (one per afdeling)."""
    if k <= 1:
        return [poly]
    x0, y0, x1, y1 = poly.bounds
    cuts = np.linspace(x0, x1, k + 1)
    return [poly.intersection(shapely.box(cuts[j], y0 - 1, cuts[j + 1], y1 + 1)) for j in range(k)]


def _finish(b: _Builder, rng: np.random.Generator) -> Dwellings:
    """Concatenate what the builder collected into the addresses table and dwelling arrays."""
    c = {k: np.concatenate(v) for k, v in b.cols.items()}
    n = len(c["x"])
    parts = pl.DataFrame(
        {"street": c["street"].astype(str), "number": c["number"], "floor": c["floor"], "door": c["door"]}
    )
    floor = pl.when(pl.col("floor") == 0).then(pl.lit("st.")).otherwise(pl.format("{}.", pl.col("floor")))
    door = pl.Series(names.DOORS).gather(np.maximum(c["door"], 0))
    base = pl.format("{} {}", pl.col("street"), pl.col("number"))
    label = parts.select(
        pl.when(pl.col("floor") >= 0).then(pl.format("{}, {} {}", base, floor, pl.lit(door))).otherwise(base)
    ).to_series()
    orgs = pl.Series([*names.BOLIG_ORGS, None], dtype=pl.String)
    dept = pl.Series(c["dept"]).cast(pl.String)
    table = pl.DataFrame(
        {
            "address_id": uuids(rng, n),
            "x": c["x"],
            "y": c["y"],
            "housing_type": pl.Series(HOUSING_TYPES).gather(c["htype"]),
            "housing_org": orgs.gather(c["org"]),
            "housing_department": pl.select(
                pl.when(pl.lit(pl.Series(c["dept"])) >= 0).then(pl.format("afd. {}", pl.lit(dept)))
            ).to_series(),
            "label": label,
        }
    )
    return Dwellings(
        table=table,
        area=c["area"].astype(np.int32),
        htype=c["htype"].astype(np.int8),
        rooms=c["rooms"].astype(np.int8),
        setting=c["setting"].astype(np.int8),
        available=c["available"].astype(np.int16),
        noise=rng.normal(0, 0.3, n).astype(np.float32),
    )


__all__ = ["HOUSING_TYPES", "Dwellings", "build_dwellings"]

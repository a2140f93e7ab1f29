"""The map of Fjordby: outline with a fjord, a town, school districts, monitoring areas, villages.

The geography is fixed (it does not depend on the seed or the scale), so area ids are stable
and the map looks the same in every example delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from boligsocial.example import names
from boligsocial.example.coverage import exact_coverage, merge_small_parts
from boligsocial.example.story import (
    ALMEN_AREAS,
    BOUNDARY_CHANGE_YEAR,
    GROWING_AREA,
    TOWN_CENTRE,
)

_GEO_SEED = 2015  # fixed: the map is part of the example, not of the random draw
_SMALL_TOWNS = {"Højby": ((531000.0, 6177500.0), 1300.0), "Lindved": ((547000.0, 6163000.0), 1000.0)}
_TOWN_RADIUS = 3900.0

# School districts: (name, seed point). Town schools by offset from the town centre.
_TOWN_SCHOOLS = [
    ("Midtbyens Skole", (-300, 200)),
    ("Nørremarksskolen", (-900, 2350)),
    ("Fjordskolen", (2350, 1650)),
    ("Søndermarksskolen", (-250, -2550)),
    ("Østbyskolen", (1700, -2100)),
    ("Vestbyskolen", (-2750, -1300)),
    ("Kirkebakkeskolen", (-2900, 1350)),
    ("Skovbyskolen", (1000, 3850)),
    ("Havneskolen", (3500, -900)),
]
_OTHER_SCHOOLS = [
    ("Højby Skole", (531000.0, 6177500.0)),
    ("Lindved Skole", (547000.0, 6163000.0)),
    ("Hesselballe Skole", (530000.0, 6167000.0)),
    ("Bølling Skole", (534000.0, 6161500.0)),
    ("Grejsdalens Skole", (536500.0, 6177500.0)),
    ("Rugsted Skole", (544500.0, 6178500.0)),
    ("Kollerup Skole", (550500.0, 6175000.0)),
    ("Uhre Skole", (551500.0, 6164500.0)),
    ("Vork Skole", (540500.0, 6160500.0)),
]


@dataclass
class Area:
    """One feature of areas.gpkg (a layer's polygon, possibly one of several boundary versions)."""

    area_id: str
    name: str
    layer: str
    kind: str
    geometry: BaseGeometry
    parent_id: str | None = None
    valid_from: int | None = None
    valid_to: int | None = None
    # Not written; used to place addresses and run the story.
    role: str = ""
    urban: BaseGeometry | None = None


@dataclass
class Geography:
    """All layers of the map, plus the outline and the built-up extent used to place addresses."""

    areas: list[Area]
    outline: BaseGeometry
    urban: BaseGeometry
    growth_strip: BaseGeometry

    def layer(self, layer: str, year: int | None = None) -> list[Area]:
        """Features of one layer; with `year`, only the boundary versions valid in that year."""
        return [
            a
            for a in self.areas
            if a.layer == layer
            and (year is None or a.valid_from is None or a.valid_from <= year)
            and (year is None or a.valid_to is None or a.valid_to >= year)
        ]


def _wobble(coords: np.ndarray, amp: float, wave: float, phase: float) -> np.ndarray:
    """Smooth deterministic displacement field; shared vertices move alike, so partitions stay."""
    x, y = coords[:, 0], coords[:, 1]
    dx = amp * (
        0.6 * np.sin(y / wave + phase)
        + 0.25 * np.sin((x + y) / (0.45 * wave) + 2 * phase)
        + 0.15 * np.sin(y / (0.17 * wave) + 3 * phase)
    )
    dy = amp * (
        0.6 * np.cos(x / wave + 1.7 * phase)
        + 0.25 * np.cos((x - y) / (0.5 * wave) + phase)
        + 0.15 * np.cos(x / (0.19 * wave) + 5 * phase)
    )
    return np.column_stack([x + dx, y + dy])


def _blob(cx: float, cy: float, rx: float, ry: float, phases: tuple[float, ...]) -> BaseGeometry:
    """An irregular closed outline: an ellipse whose radius wobbles with a few harmonics."""
    t = np.linspace(0, 2 * np.pi, 240, endpoint=False)
    r = 1.0 + sum(
        a * np.sin(k * t + p) for a, k, p in zip((0.06, 0.04, 0.02), (3, 5, 9), phases, strict=True)
    )
    return shapely.Polygon(np.column_stack([cx + rx * r * np.cos(t), cy + ry * r * np.sin(t)]))


def _fjord() -> BaseGeometry:
    """The fjord: a widening inlet from the east coast to the head of the town."""
    s = np.linspace(0.0, 1.0, 120)
    x = TOWN_CENTRE[0] + 700 + s * 16000
    y = TOWN_CENTRE[1] - 300 * np.sin(s * 3.0) - 700 * s**2 + 120 * np.sin(s * 23.0)
    w = 90 + 2300 * s**1.6 + 60 * np.sin(s * 31.0)
    tx, ty = np.gradient(x), np.gradient(y)
    nx, ny = -ty / np.hypot(tx, ty), tx / np.hypot(tx, ty)
    ring = np.concatenate(
        [np.column_stack([x + w * nx, y + w * ny]), np.column_stack([x - w * nx, y - w * ny])[::-1]]
    )
    head = shapely.Point(x[0], y[0]).buffer(w[0])
    return shapely.union_all([shapely.Polygon(ring).buffer(0), head]).simplify(2)


def _outline(fjord: BaseGeometry) -> BaseGeometry:
    land = _blob(540000, 6170000, 15200, 12600, (0.5, 1.3, 2.1))
    yy = np.linspace(6150000, 6190000, 200)
    coast = shapely.Polygon(
        [(520000, 6150000), *zip(553200 + 500 * np.sin(yy / 1700), yy, strict=True), (520000, 6190000)]
    )
    return shapely.make_valid(land.intersection(coast).difference(fjord)).buffer(0)


def _voronoi(points: np.ndarray, extent: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells in the order of `points` (shapely returns them unordered)."""
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent))
    tree = shapely.STRtree(cells)
    idx = tree.query(shapely.points(points), predicate="within")
    order = np.empty(len(points), dtype=int)
    order[idx[0]] = idx[1]
    return [cells[i] for i in order]


def _wobbled(geom: BaseGeometry, amp: float, wave: float, phase: float) -> BaseGeometry:
    dense = shapely.segmentize(geom, 40.0)
    return shapely.make_valid(shapely.transform(dense, lambda c: _wobble(c, amp, wave, phase))).buffer(0)


def _density(x: np.ndarray, y: np.ndarray, urban: BaseGeometry) -> np.ndarray:
    """Relative settlement density used to place area seeds (smaller areas where more live)."""
    d = np.hypot(x - TOWN_CENTRE[0], y - TOWN_CENTRE[1])
    inside = shapely.contains_xy(urban, x, y)
    return np.where(inside, 1.6 + 6.0 * np.exp(-d / 1800.0), 0.06)


def _area_seeds(district: BaseGeometry, urban: BaseGeometry, k: int, rng: np.random.Generator) -> np.ndarray:
    """k seeds spread by density: k-means on points sampled from the density inside the district."""
    x0, y0, x1, y1 = district.bounds
    pts = np.column_stack([rng.uniform(x0, x1, 20000), rng.uniform(y0, y1, 20000)])
    inner = district.buffer(-250)
    pts = pts[shapely.contains_xy(inner, pts[:, 0], pts[:, 1])]
    w = _density(pts[:, 0], pts[:, 1], urban)
    pts = pts[rng.uniform(0, w.max(), len(pts)) < w][:3000]
    centres = pts[rng.choice(len(pts), k, replace=False)]
    for _ in range(25):
        lab = np.argmin(((pts[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        for j in range(k):
            if np.any(lab == j):
                centres[j] = pts[lab == j].mean(axis=0)
    return centres


def _almen_polygon(spec_centre: tuple[float, float], size: tuple[float, float], angle: float) -> BaseGeometry:
    w, h = size
    base = shapely.Polygon(
        [
            (-w / 2 + 60, -h / 2),
            (w / 2, -h / 2),
            (w / 2, h / 2 - 50),
            (w / 2 - 80, h / 2),
            (-w / 2, h / 2),
            (-w / 2, -h / 2 + 40),
        ]
    )
    rot = np.deg2rad(angle)
    c, s = np.cos(rot), np.sin(rot)
    return shapely.transform(
        base,
        lambda p: np.column_stack(
            [p[:, 0] * c - p[:, 1] * s + spec_centre[0], p[:, 0] * s + p[:, 1] * c + spec_centre[1]]
        ),
    )


def build_geography() -> Geography:
    """Build every layer; the omraade layer is an exact coverage for each year's versions."""
    rng = np.random.default_rng(_GEO_SEED)
    outline = _outline(_fjord())
    town = _blob(*TOWN_CENTRE, _TOWN_RADIUS, _TOWN_RADIUS * 0.9, (2.0, 0.4, 1.1))
    small = [shapely.Point(c).buffer(r).simplify(20) for c, r in _SMALL_TOWNS.values()]
    urban = shapely.union_all([town, *small]).intersection(outline)
    districts = _districts(outline)

    old_almen = {s.name: _almen_polygon(s.centre, s.size, s.angle) for s in ALMEN_AREAS}
    gx0, _, gx1, gy1 = old_almen[GROWING_AREA].bounds
    strip = shapely.box(gx0 + 40, gy1 - 30, gx1 - 60, gy1 + 190).difference(old_almen[GROWING_AREA])
    almen = {**old_almen, GROWING_AREA: shapely.union_all([old_almen[GROWING_AREA], strip]).buffer(0)}

    pieces = _omraade(districts, almen, urban, rng)
    old = _versions(pieces, old_almen[GROWING_AREA], strip)
    pieces += old
    groups = [
        [i for i, p in enumerate(pieces) if p.valid_to is None],
        [i for i, p in enumerate(pieces) if p.valid_from is None],
    ]
    for p, g in zip(pieces, exact_coverage([p.geometry for p in pieces], groups), strict=True):
        p.geometry = g
        p.urban = g.intersection(urban) if p.kind != "almen" else g

    current = [p for p in pieces if p.valid_to is None]
    areas = list(pieces)
    for dname in districts:
        did = names.area_id(dname)
        geom = shapely.coverage_union_all([p.geometry for p in current if p.parent_id == did])
        areas.append(Area(did, dname, "skoledistrikt", _kind(geom, urban), geom))
    for p in pieces:
        if p.kind == "almen":
            ab_id = names.area_id(f"ab {p.name}")
            areas.append(
                Area(
                    ab_id,
                    p.name,
                    "almen_boligomraade",
                    "almen",
                    p.geometry,
                    p.area_id,
                    p.valid_from,
                    p.valid_to,
                    role=p.role,
                )
            )
    areas += _villages(current, rng)
    grown = next(p for p in current if p.name == GROWING_AREA)
    return Geography(areas, outline, urban, grown.geometry.difference(old[0].geometry))


def _districts(outline: BaseGeometry) -> dict[str, BaseGeometry]:
    """School districts: Voronoi cells of the schools with wobbly edges, clipped to the outline."""
    seeds = np.array(
        [(TOWN_CENTRE[0] + dx, TOWN_CENTRE[1] + dy) for _, (dx, dy) in _TOWN_SCHOOLS]
        + [p for _, p in _OTHER_SCHOOLS]
    )
    cells = _voronoi(seeds, outline.envelope.buffer(5000))
    geoms = merge_small_parts([_wobbled(c, 220, 2600, 0.7).intersection(outline) for c in cells], 0.0)
    return dict(zip([n for n, _ in _TOWN_SCHOOLS + _OTHER_SCHOOLS], geoms, strict=True))


def _omraade(
    districts: dict[str, BaseGeometry],
    almen: dict[str, BaseGeometry],
    urban: BaseGeometry,
    rng: np.random.Generator,
) -> list[Area]:
    """Monitoring areas: each district cut into a few cells by density, almen estates cut out."""
    town_names = iter(names.TOWN_AREA_NAMES)
    country_names = iter(names.COUNTRY_AREA_NAMES)
    pieces: list[Area] = []
    for dname, dgeom in districts.items():
        did = names.area_id(dname)
        inside = [s for s in ALMEN_AREAS if dgeom.buffer(-120).contains(almen[s.name])]
        urban_km2 = dgeom.intersection(urban).area / 1e6
        k = int(np.clip(round(urban_km2 / 1.35 + (dgeom.area / 1e6 - urban_km2) / 16), 2, 7))
        rest = dgeom.difference(shapely.union_all([almen[s.name] for s in inside]))
        cells = _voronoi(_area_seeds(rest, urban, k, rng), dgeom.envelope.buffer(3000))
        for cell in merge_small_parts([_wobbled(c, 90, 1100, 1.9).intersection(rest) for c in cells]):
            kind = _kind(cell, urban)
            frac = cell.intersection(urban).area / cell.area
            town = next(
                (t for t, (c, r) in _SMALL_TOWNS.items() if shapely.Point(c).distance(cell) < r), None
            )
            if kind == "land" or (town is None and frac < 0.5):
                nm = next(country_names)
            elif town is not None:
                nm = f"{town} {_direction(cell, _SMALL_TOWNS[town][0])}"
            else:
                nm = next(town_names)
            pieces.append(Area(names.area_id(nm), nm, "omraade", kind, cell, did))
        for s in inside:
            pieces.append(
                Area(names.area_id(s.name), s.name, "omraade", "almen", almen[s.name], did, role=s.role)
            )
    missing = {s.name for s in ALMEN_AREAS} - {p.name for p in pieces}
    if missing:
        raise RuntimeError(f"almen areas {sorted(missing)} do not fit inside one school district")
    return pieces


def _versions(pieces: list[Area], old_polygon: BaseGeometry, strip: BaseGeometry) -> list[Area]:
    """Boundary versions before BOUNDARY_CHANGE_YEAR: the growing estate without its new strip,
    and the neighbour that held the strip (the one touching it most) with it."""
    grown = next(p for p in pieces if p.name == GROWING_AREA)
    neighbour = max(
        (p for p in pieces if p is not grown and p.parent_id == grown.parent_id),
        key=lambda p: p.geometry.boundary.intersection(strip.boundary).length,
    )
    grown.valid_from = neighbour.valid_from = BOUNDARY_CHANGE_YEAR
    last = BOUNDARY_CHANGE_YEAR - 1
    return [
        Area(
            grown.area_id,
            grown.name,
            "omraade",
            "almen",
            old_polygon,
            grown.parent_id,
            valid_to=last,
            role=grown.role,
        ),
        Area(
            neighbour.area_id,
            neighbour.name,
            "omraade",
            neighbour.kind,
            shapely.union_all([neighbour.geometry, strip]).buffer(0),
            neighbour.parent_id,
            valid_to=last,
        ),
    ]


def _direction(cell: BaseGeometry, centre: tuple[float, float]) -> str:
    c = cell.centroid
    dx, dy = c.x - centre[0], c.y - centre[1]
    if np.hypot(dx, dy) < 350:
        return "Midt"
    if abs(dx) > abs(dy):
        return "Øst" if dx > 0 else "Vest"
    return "Nord" if dy > 0 else "Syd"


def _kind(geom: BaseGeometry, urban: BaseGeometry) -> str:
    """`by` if mostly built-up, `land` if hardly, `blandet` in between."""
    frac = geom.intersection(urban).area / geom.area
    return "by" if frac > 0.75 else ("land" if frac < 0.15 else "blandet")


def _villages(current: list[Area], rng: np.random.Generator) -> list[Area]:
    """Small village polygons, each well inside one countryside area."""
    land = [a for a in current if a.kind == "land"]
    land.sort(key=lambda a: -a.geometry.area)
    out: list[Area] = []
    for nm, host in zip(names.VILLAGE_NAMES[:8], land, strict=False):
        inner = host.geometry.buffer(-900)
        if inner.is_empty:
            continue
        x0, y0, x1, y1 = inner.bounds
        for _ in range(200):
            x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
            if inner.contains(shapely.Point(x, y)):
                break
        r = rng.uniform(280, 450)
        geom = _blob(x, y, r, r * rng.uniform(0.7, 1.0), tuple(rng.uniform(0, 6, 3)))
        kind = "by" if r > 420 else "land"
        out.append(
            Area(
                names.area_id(f"landsby {nm}"),
                nm,
                "landsby",
                kind,
                shapely.set_precision(geom, 0.01),
                host.area_id,
            )
        )
    return out

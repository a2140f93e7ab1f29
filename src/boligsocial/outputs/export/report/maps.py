"""The reports' maps as SVG: area boundaries (WKB in EPSG:25832) as filled paths.

A map carries no figure, only each area's fill (a list category, a traffic-light colour, the
area a profile is about); boundaries are simplified to a fraction of a pixel at the size drawn,
so an SVG stays small without a visible change.
"""

from __future__ import annotations

from collections.abc import Sequence

import shapely
from markupsafe import Markup, escape

#: Boundaries are simplified to this fraction of the map's width (about half a pixel).
SIMPLIFY = 1 / 1500


def _path(geometry: shapely.Geometry, x0: float, y1: float, scale: float) -> str:
    """SVG path data of a (multi)polygon: every ring, holes included (drawn even-odd)."""
    parts = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            coords = [f"{(x - x0) * scale:.1f},{(y1 - y) * scale:.1f}" for x, y in ring.coords[:-1]]
            parts.append("M" + " L".join(coords) + " Z")
    return " ".join(parts)


def area_map(
    geometries: Sequence[bytes],
    fills: Sequence[str],
    *,
    title: str,
    width: float,
    height: float,
    stroke: str = "#ffffff",
    stroke_width: float = 0.5,
    focus: tuple[float, float, float, float] | None = None,
) -> Markup:
    """The areas filled with their colours, fitted into `width` × `height` CSS pixels with the
    aspect kept (the SVG is as tall as the map needs); `focus` (minx, miny, maxx, maxy in metres)
    draws only that box, for a close-up."""
    shapes = shapely.from_wkb(list(geometries))
    x0, y0, x1, y1 = focus if focus is not None else shapely.total_bounds(shapes)
    scale = min(width / (x1 - x0), height / (y1 - y0))
    w, h = (x1 - x0) * scale, (y1 - y0) * scale
    tolerance = (x1 - x0) * SIMPLIFY
    if focus is not None:
        shapes = shapely.clip_by_rect(shapes, x0, y0, x1, y1)
    shapes = shapely.simplify(shapes, tolerance, preserve_topology=True)
    body = []
    for shape, fill in zip(shapes, fills, strict=True):
        d = _path(shape, x0, y1, scale)
        if d:
            body.append(
                f'<path d="{d}" fill="{escape(fill)}" fill-rule="evenodd" stroke="{escape(stroke)}" '
                f'stroke-width="{stroke_width}"/>'
            )
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" '
        f'viewBox="0 0 {w:.1f} {h:.1f}" role="img"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def close_up(geometry: bytes, least: float = 300.0) -> tuple[float, float, float, float]:
    """The box a close-up of one area shows: the area with its own size (at least `least`
    metres) around it."""
    own = shapely.from_wkb(geometry)
    minx, miny, maxx, maxy = own.bounds
    margin = max(maxx - minx, maxy - miny, least)
    return (minx - margin, miny - margin, maxx + margin, maxy + margin)

"""The reports' charts as SVG, written here from the published points (no raster images).

A chart is a small SVG element the template places inline: WeasyPrint draws it as vectors with
its text as text, and tags it as a figure whose alternative text is the chart's `<title>`. Only
the points given are drawn, and they come from the `Publication` (a hidden figure is simply not
a point); the axes' tick labels are round numbers chosen from the range of the shown points, so
no other number enters the SVG. Every text is escaped (area names are data).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Space around the plot inside a chart, in CSS pixels: left (tick labels), right, top, bottom.
PAD = (46.0, 8.0, 16.0, 22.0)
FONT = 'font-family="DejaVu Sans, sans-serif"'
GRID = "#dddddd"
AXIS = "#333333"


@dataclass(frozen=True)
class Line:
    """One line of a line chart: its name, colour, (year, value) points and whether dashed."""

    name: str
    colour: str
    points: list[tuple[int, float]]
    dashed: bool = False


@dataclass(frozen=True)
class Stack:
    """One part of a stacked bar chart: its name, colour and one value per year (0 for none)."""

    name: str
    colour: str
    values: list[float]


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering `lo`..`hi`."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    n = round((last - first) / step)
    return [round(first + i * step, 10) for i in range(n + 1)]


def decimals(ticks: Sequence[float]) -> int:
    """How many decimals the tick labels need to tell the ticks apart (0, 1 or 2)."""
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    return 0 if step >= 1 else (1 if step >= 0.1 else 2)


def _text(x: float, y: float, text: str, size: float = 7.0, anchor: str = "start", fill: str = AXIS) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}" {FONT}>'
        f"{escape(text)}</text>"
    )


def _svg(width: float, height: float, title: str, body: list[str]) -> Markup:
    """An SVG element with its title (the figure's alternative text in the tagged PDF)."""
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img"><title>{escape(title)}</title>'
        + "".join(body)
        + "</svg>"
    )


@dataclass(frozen=True)
class _Frame:
    """The plot area of a chart and its scales: x over `x0`..`x1`, y over the ticks."""

    width: float
    height: float
    x0: float
    x1: float
    ticks: list[float]

    @property
    def left(self) -> float:
        return PAD[0]

    @property
    def right(self) -> float:
        return self.width - PAD[1]

    @property
    def top(self) -> float:
        return PAD[2]

    @property
    def bottom(self) -> float:
        return self.height - PAD[3]

    def x(self, value: float) -> float:
        span = self.x1 - self.x0 or 1.0
        return self.left + (value - self.x0) / span * (self.right - self.left)

    def y(self, value: float) -> float:
        lo, hi = self.ticks[0], self.ticks[-1]
        return self.bottom - (value - lo) / (hi - lo) * (self.bottom - self.top)

    def axes(self, years: Sequence[int], tick_text: Callable[[float], str], unit: str) -> list[str]:
        """Grid lines with the y tick labels, the year labels below and the unit at the top left."""
        out = []
        for t in self.ticks:
            y = self.y(t)
            out.append(
                f'<line x1="{self.left:.1f}" y1="{y:.1f}" x2="{self.right:.1f}" y2="{y:.1f}" '
                f'stroke="{GRID}" stroke-width="0.6"/>'
            )
            out.append(_text(self.left - 4, y + 2.5, tick_text(t), anchor="end"))
        every = max(1, math.ceil(len(years) / 6))
        for year in years[::every]:
            out.append(_text(self.x(year), self.bottom + 12, str(year), anchor="middle"))
        out.append(
            f'<line x1="{self.left:.1f}" y1="{self.bottom:.1f}" x2="{self.right:.1f}" '
            f'y2="{self.bottom:.1f}" stroke="{AXIS}" stroke-width="0.6"/>'
        )
        if unit:
            out.append(_text(self.left - 4, self.top - 8, unit, size=6.5, anchor="end", fill="#555555"))
        return out


def line_chart(
    lines: Sequence[Line],
    *,
    title: str,
    unit: str,
    number: Callable[[float, int], str],
    width: float = 320,
    height: float = 215,
) -> Markup | None:
    """A line chart of yearly series; None when no line has a point (nothing to draw).

    `number(value, decimals)` writes a tick label in the report's language."""
    drawn = [line for line in lines if line.points]
    if not drawn:
        return None
    years = sorted({year for line in drawn for year, _ in line.points})
    values = [v for line in drawn for _, v in line.points]
    ticks = nice_ticks(min(values), max(values))
    frame = _Frame(width, height, years[0] - 0.3, years[-1] + 0.3, ticks)
    digits = decimals(ticks)
    body = frame.axes(years, lambda t: number(t, digits), unit)
    for line in drawn:
        xy = " ".join(f"{frame.x(y):.1f},{frame.y(v):.1f}" for y, v in line.points)
        dash = ' stroke-dasharray="4 2"' if line.dashed else ""
        body.append(f'<polyline points="{xy}" fill="none" stroke="{line.colour}" stroke-width="1.4"{dash}/>')
        if len(line.points) == 1:  # a lone point would draw no line
            (year, value) = line.points[0]
            body.append(
                f'<circle cx="{frame.x(year):.1f}" cy="{frame.y(value):.1f}" r="2" fill="{line.colour}"/>'
            )
    return _svg(width, height, title, body)


def stacked_bars(
    years: Sequence[int],
    stacks: Sequence[Stack],
    totals: Sequence[tuple[int, float]],
    *,
    title: str,
    unit: str,
    number: Callable[[float, int], str],
    width: float = 640,
    height: float = 230,
) -> Markup | None:
    """Bars per year stacked from zero, positive parts up and negative down, with each year's
    total as a black diamond; None without years."""
    if not years:
        return None
    pos = [0.0] * len(years)
    neg = [0.0] * len(years)
    bars: list[tuple[int, float, float, str]] = []  # year index, from, to, colour
    for stack in stacks:
        for i, value in enumerate(stack.values):
            if value >= 0:
                bars.append((i, pos[i], pos[i] + value, stack.colour))
                pos[i] += value
            else:
                bars.append((i, neg[i], neg[i] + value, stack.colour))
                neg[i] += value
    extent = [*pos, *neg, *(v for _, v in totals), 0.0]
    ticks = nice_ticks(min(extent), max(extent))
    frame = _Frame(width, height, years[0] - 0.6, years[-1] + 0.6, ticks)
    digits = decimals(ticks)
    body = frame.axes(list(years), lambda t: number(t, digits), unit)
    half = 0.35 * (frame.x(years[0] + 1) - frame.x(years[0]))
    for i, start, end, colour in bars:
        x = frame.x(years[i])
        top, bottom = sorted((frame.y(start), frame.y(end)))
        body.append(
            f'<rect x="{x - half:.1f}" y="{top:.1f}" width="{2 * half:.1f}" '
            f'height="{bottom - top:.1f}" fill="{colour}"/>'
        )
    zero = frame.y(0.0)
    body.append(
        f'<line x1="{frame.left:.1f}" y1="{zero:.1f}" x2="{frame.right:.1f}" y2="{zero:.1f}" '
        f'stroke="{AXIS}" stroke-width="0.8"/>'
    )
    for year, value in totals:
        x, y = frame.x(year), frame.y(value)
        body.append(
            f'<path d="M{x:.1f},{y - 3.5:.1f} L{x + 3.5:.1f},{y:.1f} L{x:.1f},{y + 3.5:.1f} '
            f'L{x - 3.5:.1f},{y:.1f} Z" fill="#000000"/>'
        )
    return _svg(width, height, title, body)

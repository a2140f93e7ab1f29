"""The story of Fjordby: its almene boligområder and how each one's allocation develops over time.

The demography is generic; these profiles are the levers that make one area move onto the lists,
one move off, one stay heavy and one hover near the forebyggelse thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_YEAR = 2015
LAST_YEAR = 2025
BURN_IN_YEARS = 2  # simulated silently before FIRST_YEAR so households and sorting settle
BOUNDARY_CHANGE_YEAR = 2020


@dataclass(frozen=True)
class AlmenSpec:
    """One almen boligområde: where it lies (offset from the town centre), its size and role."""

    name: str
    role: str  # heavy, worsening, improving, moderate, calm, small
    residents: int  # target residents at scale 1
    centre: tuple[float, float]  # absolute EPSG:25832 coordinates of the polygon centre
    size: tuple[float, float]  # width, height in metres
    angle: float  # rotation in degrees
    org: int  # index into names.BOLIG_ORGS
    departments: int


TOWN_CENTRE = (540500.0, 6170200.0)


def _at(dx: float, dy: float) -> tuple[float, float]:
    return (TOWN_CENTRE[0] + dx, TOWN_CENTRE[1] + dy)


ALMEN_AREAS: list[AlmenSpec] = [
    AlmenSpec("Kildeparken", "heavy", 2300, _at(-2650, -1250), (640, 430), 12, 0, 3),
    AlmenSpec("Engparken", "worsening", 1350, _at(-950, 2150), (480, 330), -8, 1, 2),
    AlmenSpec("Skovbrynet", "improving", 1700, _at(1650, -2050), (560, 380), 20, 2, 2),
    AlmenSpec("Lyngbakken", "moderate", 1450, _at(-2800, 1350), (520, 360), -15, 3, 2),
    AlmenSpec("Fjordparken", "calm", 1300, _at(2300, 1650), (460, 330), 5, 0, 1),
    AlmenSpec("Rosenhaven", "small", 800, _at(-250, -2650), (380, 270), 30, 4, 1),
    AlmenSpec("Bøgelunden", "small", 620, _at(1000, 3700), (330, 250), -25, 1, 1),
    AlmenSpec("Havrevangen", "small", 450, _at(-3750, -1900), (300, 220), 0, 3, 1),
    AlmenSpec("Møllegården", "small", 380, _at(3450, -1000), (280, 210), 15, 2, 1),
    AlmenSpec("Toftegården", "small", 700, (531300.0, 6177200.0), (360, 260), -10, 4, 1),
    AlmenSpec("Egebo", "small", 400, (547250.0, 6162850.0), (280, 220), 8, 0, 1),
]

# The new buildings of the worsening area, added in BOUNDARY_CHANGE_YEAR (new residents, new strip).
GROWING_AREA = "Engparken"
GROWTH_RESIDENTS = 420


# Allocation profile by role: (resources, non-western share, labour shift), each either a constant
# or a ramp (first year, last year, value before, value after).
Ramp = tuple[int, int, float, float]
PROFILES: dict[str, tuple[float | Ramp, float | Ramp, float | Ramp]] = {
    "heavy": (-1.45, 0.66, 0.08),
    "worsening": ((2017, 2020, -0.55, -1.75), (2017, 2020, 0.35, 0.72), (2017, 2021, 0.0, 0.15)),
    "improving": ((2018, 2022, -1.6, -0.2), (2016, 2021, 0.28, 0.2), (2018, 2023, 0.35, -0.35)),
    "moderate": (-0.75, 0.42, 0.28),
    "calm": (-0.25, 0.16, 0.0),
    "small": (-0.45, 0.22, 0.0),
}


def _value(spec: float | Ramp, year: int) -> float:
    """A constant, or a linear ramp between two years."""
    if isinstance(spec, tuple):
        start, end, before, after = spec
        if year <= start:
            return before
        if year >= end:
            return after
        return before + (after - before) * (year - start) / (end - start)
    return spec


def almen_resources(role: str, year: int) -> float:
    """Mean latent resources of households allocated to dwellings of this area in `year`."""
    return _value(PROFILES[role][0], year)


def almen_nonwestern(role: str, year: int) -> float:
    """Share of allocated households of non-western origin in `year`."""
    return _value(PROFILES[role][1], year)


def almen_labour_shift(role: str, year: int) -> float:
    """Area effect on residents' labour propensity (a boligsocial helhedsplan, or its absence)."""
    return _value(PROFILES[role][2], year)


def official_lists() -> list[tuple[int, str, str]]:
    """The ministry's (fictional) published lists 2010–2018, as (list_year, area name, list).

    Kildeparken was a ghetto throughout, so the 2018 list made it a hårdt ghetto (five years);
    Skovbrynet met the 2010/2013 rules until 2017 but, under half non-western, was only udsat in 2018.
    """
    rows: list[tuple[int, str, str]] = []
    for year in range(2010, 2019):
        rows.append((year, "Kildeparken", "ghetto"))
        if year <= 2017:
            rows.append((year, "Skovbrynet", "ghetto"))
    for name in ("Kildeparken", "Skovbrynet"):
        rows.append((2018, name, "udsat"))
    rows.append((2018, "Kildeparken", "haardt_ghetto"))
    return sorted(rows)

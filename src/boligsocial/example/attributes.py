"""A year's register values for each resident, derived from latent traits, age and origin.

The latent traits persist and drift slowly, so a person's labour attachment, income and
conviction risk carry over from year to year instead of being fresh noise.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from boligsocial.example.people import EDUCATION, INDVANDRER, People, education_level, in_education

BASE_YEAR = 2015
WAGE_GROWTH = 1.024
_AGE_WAGE = np.interp(
    np.arange(121),
    [15, 19, 24, 29, 35, 45, 55, 60, 64, 66, 70],
    [0.08, 0.15, 0.5, 0.8, 0.96, 1.05, 1.03, 0.95, 0.85, 0.7, 0.1],
)
_EDU_WAGE = np.array([0.8, 0.8, 0.9, 1.0, 1.08, 1.15, 1.1, 1.45, 1.55])
_CRIME_M = np.interp(
    np.arange(121),
    [14, 15, 17, 20, 25, 35, 50, 65, 80],
    [0, 0.02, 0.04, 0.05, 0.035, 0.018, 0.008, 0.003, 0.001],
)


def national_convicted_share(year: int) -> float:
    """National share of residents 18+ convicted in `year` (slowly falling)."""
    return round(0.0124 - 0.00019 * (year - BASE_YEAR), 5)


def evolve(p: People, rng: np.random.Generator) -> None:
    """Advance the latent traits by one year (in place)."""
    n = len(p)
    p.r += rng.normal(0, 0.05, n).astype(np.float32)
    p.lab_z *= np.float32(0.8)
    p.lab_z += rng.normal(0, 0.85 * 0.6, n).astype(np.float32)
    p.child_z *= np.float32(0.9)
    p.child_z += rng.normal(0, 0.44, n).astype(np.float32)


def register_year(
    p: People,
    year: int,
    labour_shift: np.ndarray,
    evicted: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """persons.csv columns that describe the person's situation during `year` (no ids)."""
    n = len(p)
    age = (year - p.byear).astype(np.int64)
    fage = age.astype(np.float64)
    r = p.r.astype(np.float64)
    nw = p.nonwestern()
    years_here = np.where(p.arrival > 0, year - p.arrival, 99)
    edu = education_level(p, fage)
    student = in_education(p, fage) & (age >= 16)
    student |= (age >= 25) & (age < 50) & (rng.uniform(size=n) < 0.015)

    # Labour: outside the labour market and education, in full-time equivalents.
    imm = (p.origin == INDVANDRER) & nw
    push = (
        -1.05
        - 0.45 * r
        + p.lab_z
        + labour_shift
        + np.where(imm, 0.25 + 1.0 * np.exp(-years_here / 5.0), 0.0)
        + np.where((p.origin == INDVANDRER) & ~nw, 0.4 * np.exp(-years_here / 3.0), 0.0)
        + np.interp(fage, [16, 18, 25, 50, 60, 66], [-1.5, 0.0, 0.0, 0.0, 0.35, 0.5])
        + 0.45 * p.disease
        - 1.6 * student
    )
    working_age = (age >= 16) & (age <= 66)
    fte = np.where(working_age, np.clip(push / 0.5, 0.0, 1.0), 0.0)
    fte = np.round(fte, 3)
    p.working = (fte == 0) & ~student & (age >= 18) & (age <= 66)

    # Income: earnings + benefits + SU + pensions, with yearly noise.
    grow = WAGE_GROWTH ** (year - BASE_YEAR)
    potential = (
        268_000
        * grow
        * _AGE_WAGE[np.minimum(age, 120)]
        * _EDU_WAGE[edu]
        * np.exp(0.15 * r + p.inc_z + rng.normal(0, 0.12, n))
    )
    earnings = potential * (1 - fte) * np.where(student, 0.3, 1.0)
    benefits = fte * np.where(age < 30, 105_000, 185_000) * grow
    su = np.where(student & (age >= 18), 76_000 * grow, 0.0)
    pension = np.where(age >= 67, (190_000 + 90_000 * np.clip(r + 0.5, 0, 2.5)) * grow, 0.0)
    income = earnings + benefits + su + pension
    income = np.where(age < 15, 0.0, income)
    teen_job = (age >= 15) & (age < 18) & (rng.uniform(size=n) < 0.55)
    income = np.where((age >= 15) & (age < 18), np.where(teen_job, rng.gamma(2, 12_000, n), 0), income)
    loss = (age >= 25) & (rng.uniform(size=n) < 0.0008)
    income = np.where(loss, -rng.gamma(1.5, 40_000, n), income)
    income = np.round(income, 0)
    taxable = rng.uniform(size=n) > np.where(p.arrival == year, 0.5, 0.004)

    # Crime: conviction risk by age and sex, resources and a persistent propensity.
    trend = national_convicted_share(year) / national_convicted_share(BASE_YEAR)
    risk = _CRIME_M[np.minimum(age, 120)] * np.where(p.male, 1.0, 0.2)
    risk = risk * np.exp(-0.55 * r + p.crime_z - 0.3) * trend * 1.5
    convicted = (age >= 15) & (rng.uniform(size=n) < np.minimum(risk, 0.6))

    # Health: lifestyle diseases accumulate with age, faster with fewer resources.
    onset = rng.uniform(size=n) < 1 / (1 + np.exp(7.6 - 0.06 * fage + 0.45 * r))
    p.disease |= onset & (age >= 18)

    # Children: school and child-welfare indicators.
    kid_r = r + 0.6 * p.child_z
    school = (age >= 6) & (age <= 16)
    minor = age <= 17
    special = school & (-kid_r + rng.normal(0, 0.25, n) > 1.75)
    notif = minor & (rng.uniform(size=n) < 1 / (1 + np.exp(3.3 + 0.9 * kid_r)))
    placed = minor & (-kid_r > 2.6)
    absence = np.round(np.exp(1.55 - 0.3 * kid_r + rng.normal(0, 0.35, n)), 1)

    return pl.DataFrame(
        {
            "origin_code": p.origin,
            "outside_fte": fte,
            "education": pl.Series(EDUCATION).gather(edu),
            "gross_income": income,
            "taxable": taxable,
            "student": student,
            "convicted": convicted,
            "special_class": pl.Series(special).set(pl.Series(~school), None),
            "child_notification": pl.Series(notif).set(pl.Series(~minor), None),
            "placement": pl.Series(placed).set(pl.Series(~minor), None),
            "lifestyle_disease": pl.Series(p.disease.copy()).set(pl.Series(age < 18), None),
            "eviction": pl.Series(evicted).set(pl.Series(age < 18), None),
            "school_absence_pct": pl.Series(np.minimum(absence, 60.0)).set(pl.Series(~school), None),
        }
    ).drop("origin_code")

"""The population as a struct of numpy arrays: one row per living resident, nothing per event.

Only the latent traits live here (resources, propensities, education path); the yearly register
values are derived from them in `attributes.py`, which is what gives them persistence.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

DANSK, INDVANDRER, EFTERKOMMER = 0, 1, 2
ORIGINS = ["dansk", "indvandrer", "efterkommer"]
NONWESTERN = ["TR", "IQ", "LB", "SO", "PK", "AF", "IR", "BA", "SY", "ER", "VN", "TH", "PH", "UA", "IN", "CN"]
WESTERN = ["DE", "PL", "RO", "LT", "SE", "NO", "GB", "NL", "IS", "US"]
COUNTRIES = ["DK", *NONWESTERN, *WESTERN]
N_NONWESTERN = len(NONWESTERN)  # country codes 1..N_NONWESTERN are non-western
EDUCATION = ["uoplyst", "grundskole", "gymnasial", "erhvervsfaglig", "kvu", "mvu", "bachelor", "lvu", "phd"]


@dataclass
class People:
    """Living residents; every field is an array of the same length."""

    birth: np.ndarray  # int32 days since 1970-01-01
    byear: np.ndarray  # int16
    serial: np.ndarray  # int16, CPR serial
    male: np.ndarray  # bool
    origin: np.ndarray  # int8 index into ORIGINS
    country: np.ndarray  # int16 index into COUNTRIES
    arrival: np.ndarray  # int16 year of immigration (0 if born in Denmark)
    r: np.ndarray  # float32 latent resources
    edu_target: np.ndarray  # int8 highest Danish education the person will reach
    edu_delay: np.ndarray  # float32 years behind the standard path
    foreign: np.ndarray  # bool: schooled abroad (came at 17+), Danish education only if acquired
    acquire_age: np.ndarray  # float32 age at which a foreign-schooled person completes a Danish one
    lab_z: np.ndarray  # float32 persistent labour-market shock (AR(1))
    inc_z: np.ndarray  # float32 persistent earnings effect
    crime_z: np.ndarray  # float32 persistent crime propensity
    child_z: np.ndarray  # float32 persistent child-welfare propensity
    disease: np.ndarray  # bool lifestyle disease (stays once acquired)
    hh: np.ndarray  # int64 household number
    child: np.ndarray  # bool: lives as a child in the parents' household
    working: np.ndarray  # bool: in work (not outside, not studying) during the last simulated year

    def __len__(self) -> int:
        return len(self.birth)

    def take(self, idx: np.ndarray) -> People:
        """Rows selected by index or boolean mask."""
        return People(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def append(self, other: People) -> People:
        """Rows of self followed by rows of other."""
        return People(
            **{f.name: np.concatenate([getattr(self, f.name), getattr(other, f.name)]) for f in fields(self)}
        )

    def nonwestern(self) -> np.ndarray:
        """Non-western immigrants and descendants (DST's grouping)."""
        return (self.origin != DANSK) & (self.country >= 1) & (self.country <= N_NONWESTERN)


# Education: ages at which each level is completed on the path to each target (inf = not on it).
_STEPS: dict[int, dict[int, float]] = {
    1: {1: 16},
    2: {1: 16, 2: 19},
    3: {1: 16, 3: 20},
    4: {1: 16, 2: 19, 4: 22},
    5: {1: 16, 2: 19, 5: 23.5},
    6: {1: 16, 2: 19, 6: 22.5},
    7: {1: 16, 2: 19, 6: 22.5, 7: 25},
    8: {1: 16, 2: 19, 6: 22.5, 7: 25, 8: 29},
}
_DELAY_WEIGHT = np.array([0, 0, 0.3, 1, 1, 1, 1, 1, 1])
# Thresholds on the education latent (resources + cohort + noise) for targets 1..8.
_EDU_CUTS = np.array([-0.5, -0.3, 0.4, 0.5, 0.96, 1.06, 2.15])


def education_target(r: np.ndarray, byear: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Highest Danish education a person raised here reaches; older cohorts reach less."""
    cohort = np.clip((byear - 1965) * 0.012, -0.45, 0.25)
    latent = 0.6 * r + cohort + rng.normal(0, 0.8, len(r))
    return (1 + np.searchsorted(_EDU_CUTS, latent)).astype(np.int8)


def education_level(p: People, age: np.ndarray) -> np.ndarray:
    """Highest completed Danish-registered education at the end of the year (monotone in age)."""
    level = np.where(p.foreign & (age >= p.acquire_age), p.edu_target, 0).astype(np.int8)
    delay = p.edu_delay.astype(np.float64)
    for target, steps in _STEPS.items():  # loop over the 8 paths, not over people
        on_path = np.flatnonzero((p.edu_target == target) & ~p.foreign)
        reached = np.zeros(len(on_path), dtype=np.int8)
        for lvl, base in steps.items():  # steps come in order, so the last reached is the highest
            done = age[on_path] >= base + _DELAY_WEIGHT[lvl] * delay[on_path]
            reached = np.where(done, np.int8(lvl), reached)
        level[on_path] = reached
    return level


def in_education(p: People, age: np.ndarray) -> np.ndarray:
    """Enrolled during the year: on the way to the target, or foreign-schooled in a Danish course."""
    last = np.array([0.0] + [max(s.values()) if t > 1 else 17.5 for t, s in _STEPS.items()])
    weight = np.array([0.0] + [_DELAY_WEIGHT[max(s)] if t > 1 else 0.0 for t, s in _STEPS.items()])
    final = last[p.edu_target] + weight[p.edu_target] * p.edu_delay
    native = (~p.foreign) & (p.edu_target > 0) & (age >= 16) & (age < final)
    late = p.foreign & (age >= p.acquire_age - 3) & (age < p.acquire_age)
    return native | late

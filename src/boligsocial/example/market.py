"""The housing market: who lets each dwelling to whom.

Dwellings carry a yearly allocation profile (mean resources and non-western share of the
households they go to) and a quality; seekers are sorted into them by resources, so employed
residents leave estates for owner-occupied housing while vulnerable newcomers are allocated there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boligsocial.example.addresses import ALMEN, ANDEL, EJER, PRIVAT, SETTINGS, Dwellings
from boligsocial.example.story import almen_labour_shift, almen_nonwestern, almen_resources

_SETTING_R = {
    "centre": -0.1,
    "middle": 0.2,
    "outer": 0.5,
    "small_town": 0.05,
    "village": -0.05,
    "rural": 0.1,
    "estate": 0.0,
}
_SETTING_NW = {
    "centre": 0.10,
    "middle": 0.05,
    "outer": 0.03,
    "small_town": 0.04,
    "village": 0.02,
    "rural": 0.02,
    "estate": 0.0,
}
_HTYPE_R = np.array([-0.55, -0.25, 0.3, 0.05, -0.4, -0.1, -0.1])
_HTYPE_NW = np.array([0.12, 0.05, -0.02, 0.0, 0.05, 0.0, 0.0])


class Market:
    """Static dwelling facts plus the per-area story, turned into yearly profiles."""

    def __init__(self, dw: Dwellings, area_roles: list[str]) -> None:
        self.dw = dw
        self.roles = area_roles
        setting = np.array(SETTINGS)[dw.setting]
        self.estate = setting == "estate"
        self.base_r = np.vectorize(_SETTING_R.get)(setting) + _HTYPE_R[dw.htype]
        self.base_nw = np.clip(np.vectorize(_SETTING_NW.get)(setting) + _HTYPE_NW[dw.htype], 0, 1)

    def profile(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean resources and non-western share of households allocated to each dwelling."""
        role_r = np.array([almen_resources(r, year) if r else 0.0 for r in self.roles])
        role_nw = np.array([almen_nonwestern(r, year) if r else 0.0 for r in self.roles])
        area = self.dw.area
        mean_r = np.where(self.estate, role_r[area], self.base_r)
        p_nw = np.where(self.estate, role_nw[area], self.base_nw)
        return mean_r, p_nw

    def labour_shift(self, year: int) -> np.ndarray:
        """Per-area effect on residents' labour propensity (indexed by area)."""
        return np.array([almen_labour_shift(r, year) if r else 0.0 for r in self.roles])

    def quality(self, year: int, rng: np.random.Generator) -> np.ndarray:
        """How attractive each dwelling is this year; the best go to the most resourceful."""
        mean_r, p_nw = self.profile(year)
        return mean_r - 0.8 * p_nw + self.dw.noise + rng.normal(0, 0.1, len(mean_r))


def preferred_type(
    r: np.ndarray,
    age: np.ndarray,
    size: np.ndarray,
    nw: np.ndarray,
    single_parent: np.ndarray,
    working: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Housing type each seeking household looks for (logit choice with Gumbel noise)."""
    n = len(r)
    u = np.full((n, 7), -9.0)
    u[:, ALMEN] = 0.1 - 1.1 * r + 0.9 * nw + 0.5 * single_parent + 0.2 * (age >= 67) - 0.6 * working
    u[:, PRIVAT] = 0.4 + 0.6 * (age < 30) - 0.2 * r
    u[:, EJER] = -0.4 + 1.4 * r + 0.6 * (size >= 3) - 1.2 * (age < 25) - 0.6 * nw - 0.4 * (age >= 75)
    u[:, EJER] += 0.9 * working
    u[:, ANDEL] = -0.3 + 0.4 * r + 0.2 * (age >= 60) + 0.5 * working
    u[:, 4:] = -2.6
    return np.argmax(u + rng.gumbel(size=(n, 7)), axis=1)


@dataclass
class Seekers:
    """Households (and young adults leaving home) looking for a dwelling this year."""

    score: np.ndarray  # resources plus noise: better scores get better dwellings
    pref: np.ndarray  # preferred housing type
    nonwestern: np.ndarray
    forced: np.ndarray  # must move (evicted, leaving home): may take any type in the last round
    home: np.ndarray  # dwelling freed when the seeker moves (-1 for someone leaving home)


def allocate(
    market: Market, occ: np.ndarray, seekers: Seekers, year: int, rng: np.random.Generator
) -> np.ndarray:
    """Target dwelling of each seeker (-1: none found); `occ` is updated in place.

    Three rounds by preferred type let chains form (a dwelling freed in one round is let in the
    next), then forced seekers take whatever is left. Taken dwellings are marked -2 in `occ`
    until the caller moves the households in.
    """
    dw = market.dw
    quality = market.quality(year, rng)
    target = np.full(len(seekers.score), -1, dtype=np.int64)
    freed = np.zeros(0, dtype=np.int64)
    for rnd in range(4):
        occ[freed] = -1
        pool = np.flatnonzero((occ == -1) & (dw.available <= year))
        open_s = (target < 0) & (seekers.forced if rnd == 3 else True)
        groups = [np.arange(7)] if rnd == 3 else [np.array([t]) for t in range(7)]
        taken = np.zeros(len(occ), dtype=bool)
        for types in groups:
            s_idx = np.flatnonzero(open_s & np.isin(seekers.pref, types))
            v_idx = pool[np.isin(dw.htype[pool], types) & ~taken[pool]]
            # Within social housing, people settle near their own community.
            cluster = 0.6 * seekers.nonwestern[s_idx] if len(types) == 1 and types[0] == ALMEN else 0.0
            si, vi = match(seekers.score[s_idx] - cluster, quality[v_idx], rng)
            target[s_idx[si]] = v_idx[vi]
            taken[v_idx[vi]] = True
        occ[taken] = -2
        freed = seekers.home[(target >= 0) & (seekers.home >= 0)]
        freed = freed[occ[freed] >= 0]  # not freed in an earlier round
    occ[freed] = -1
    return target


def match(score: np.ndarray, quality: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair seekers with vacancies best-to-best; returns (seeker positions, vacancy positions).

    When there are more seekers than vacancies a random subset gets one (waiting lists are
    not sorted by income); when there are more vacancies, the worst are left over.
    """
    k = min(len(score), len(quality))
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    chosen = np.arange(len(score))
    if len(score) > k:
        chosen = np.sort(rng.choice(len(score), k, replace=False))
    s_order = chosen[np.argsort(-score[chosen], kind="stable")]
    v_order = np.argsort(-quality, kind="stable")[:k]
    return s_order, v_order

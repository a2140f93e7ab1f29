"""New households for given dwellings: the first population and every year's in-movers.

A household's make-up follows its dwelling (type, rooms) and the allocation profile of the area
(mean resources, non-western share), so an estate's newcomers look like that estate's newcomers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from boligsocial.example.identifiers import CprRegistry
from boligsocial.example.people import (
    COUNTRIES,
    DANSK,
    EFTERKOMMER,
    INDVANDRER,
    NONWESTERN,
    People,
    education_target,
)

# Household types: single young/mid/old, couple young/mid/old, couple with children, single parent.
_TYPE_P = np.array(
    [
        [0.14, 0.20, 0.15, 0.06, 0.08, 0.06, 0.18, 0.13],  # almen
        [0.30, 0.20, 0.09, 0.14, 0.08, 0.04, 0.10, 0.05],  # privat_leje
        [0.03, 0.08, 0.11, 0.05, 0.23, 0.18, 0.29, 0.03],  # ejer
        [0.12, 0.20, 0.17, 0.10, 0.14, 0.10, 0.12, 0.05],  # andel
        [0.25, 0.25, 0.25, 0.05, 0.05, 0.05, 0.05, 0.05],  # offentlig
        [0.08, 0.14, 0.13, 0.06, 0.20, 0.14, 0.21, 0.04],  # andet
        [0.08, 0.14, 0.13, 0.06, 0.20, 0.14, 0.21, 0.04],  # ukendt
    ]
)
# Households moving in are younger than the settled population.
_IN_TYPE_P = np.array(
    [
        [0.25, 0.18, 0.05, 0.10, 0.06, 0.02, 0.20, 0.14],  # almen
        [0.45, 0.15, 0.03, 0.20, 0.05, 0.01, 0.08, 0.03],  # privat_leje
        [0.05, 0.08, 0.03, 0.16, 0.15, 0.05, 0.45, 0.03],  # ejer
        [0.25, 0.18, 0.08, 0.18, 0.10, 0.06, 0.12, 0.03],  # andel
        [0.35, 0.25, 0.15, 0.08, 0.05, 0.02, 0.05, 0.05],  # offentlig
        [0.15, 0.15, 0.05, 0.15, 0.15, 0.05, 0.27, 0.03],  # andet
        [0.15, 0.15, 0.05, 0.15, 0.15, 0.05, 0.27, 0.03],  # ukendt
    ]
)
_TYPE_R = np.array([-0.15, 0.0, 0.1, 0.05, 0.25, 0.1, 0.15, -0.45])
_HTYPE_R = np.array([-0.45, -0.2, 0.35, 0.1, -0.3, 0.0, -0.1])
_WESTERN_SHARE = 0.04


@dataclass
class Profile:
    """Who moves into each of a batch of dwellings."""

    htype: np.ndarray  # housing type index per dwelling
    rooms: np.ndarray
    mean_r: np.ndarray  # area allocation profile: mean resources
    p_nonwestern: np.ndarray  # area allocation profile: non-western share
    p_abroad: np.ndarray  # probability that a non-Danish household arrives from abroad


def _countries(year: int, nonwestern: bool, arriving: bool) -> np.ndarray:
    """Country-of-origin distribution (over COUNTRIES) for a cohort of households."""
    p = np.zeros(len(COUNTRIES))
    if not nonwestern:
        w = np.array([0.20, 0.25, 0.15, 0.08, 0.07, 0.07, 0.06, 0.05, 0.03, 0.04])
        p[1 + len(NONWESTERN) :] = w
        return p / p.sum()
    base = dict(zip(NONWESTERN, [14, 9, 7, 6, 4, 7, 6, 9, 10, 4, 5, 5, 4, 2, 4, 3], strict=True))
    if arriving and 2014 <= year <= 2017:
        base.update(SY=60, ER=22, AF=12)
    if arriving and year >= 2022:
        base.update(UA=70 if year <= 2023 else 20)
    p[1 : 1 + len(NONWESTERN)] = [base[c] for c in NONWESTERN]
    return p / p.sum()


def make_households(
    prof: Profile,
    year: int,
    rng: np.random.Generator,
    cpr: CprRegistry,
    first_hh: int,
    initial: bool,
) -> tuple[People, np.ndarray]:
    """People for one new household per dwelling; returns them and each person's dwelling row.

    With `initial`, the people are the residents at the start of the simulation (immigrants
    arrived in earlier years); otherwise they move in during `year`.
    """
    n = len(prof.htype)
    nw = rng.uniform(size=n) < prof.p_nonwestern
    west = (~nw) & (rng.uniform(size=n) < _WESTERN_SHARE / (1 - prof.p_nonwestern + 1e-9))
    arriving = (~initial) & (nw | west) & (rng.uniform(size=n) < prof.p_abroad)
    kind = _household_kind(prof, nw, initial, rng)
    hh_idx, age, male, is_kid = _members(kind, nw, initial, rng)
    m = len(hh_idx)
    # The age is the age reached by the end of the year; birthdays fall anywhere in the year.
    byear = np.minimum(year - np.floor(age), year).astype(np.int64)
    day0 = np.array(byear - 1970, dtype="datetime64[Y]").astype("datetime64[D]").astype(np.int64)
    birth = (day0 + rng.integers(0, 365, m)).astype(np.int32)
    origin, country, arrival = _origins(hh_idx, is_kid, age, byear, nw, west, arriving, year, rng)

    mean_r = (
        prof.mean_r
        + _HTYPE_R[prof.htype] * 0.3
        + _TYPE_R[kind]
        - 0.35 * (nw - prof.p_nonwestern)
        - 0.4 * arriving
    )
    r_hh = mean_r + rng.normal(0, 0.7, n)
    r = np.where(is_kid, 0.7 * r_hh[hh_idx] + rng.normal(0, 0.5, m), r_hh[hh_idx] + rng.normal(0, 0.35, m))
    # Schooled abroad (came at 17+): no Danish-registered education unless one is taken here later.
    arrival_age = np.where(arrival > 0, arrival - byear, 0)
    foreign = (origin == INDVANDRER) & (arrival_age >= 17)
    acquires = foreign & (rng.uniform(size=m) < 1 / (1 + np.exp(-0.9 - 0.6 * r)))
    acquired = np.clip(np.round(3 + np.maximum(r, 0) * 1.3 + rng.normal(0, 0.6, m)), 3, 7)
    target = np.where(foreign, np.where(acquires, acquired, 0), education_target(r, byear, rng))

    people = People(
        birth=birth,
        byear=byear.astype(np.int16),
        serial=cpr.assign(birth, male),
        male=male,
        origin=origin,
        country=country,
        arrival=arrival.astype(np.int16),
        r=r.astype(np.float32),
        edu_target=target.astype(np.int8),
        foreign=foreign,
        acquire_age=np.where(acquires, arrival_age + rng.uniform(2, 7, m), np.inf).astype(np.float32),
        hh=(first_hh + hh_idx).astype(np.int64),
        child=is_kid,
        working=(age >= 18) & (age <= 66) & (r > -0.6),
        **_latent(rng, age, r),
    )
    return people, hh_idx


def _household_kind(prof: Profile, nw: np.ndarray, initial: bool, rng: np.random.Generator) -> np.ndarray:
    """Household type per dwelling (index into the columns of _TYPE_P)."""
    tp = (_TYPE_P if initial else _IN_TYPE_P)[prof.htype].copy()
    tp[:, 6:8] *= np.where(nw, 1.8, 1.0)[:, None]  # more families among non-western households
    tp[:, [2, 5]] *= np.where(nw, 0.35, 1.0)[:, None]  # fewer elderly
    tp[:, 6:8] *= np.where(prof.rooms <= 2, 0.25, 1.0)[:, None]
    tp[:, 0:3] *= np.where(prof.rooms >= 4, 0.6, 1.0)[:, None]
    tp /= tp.sum(axis=1, keepdims=True)
    return (tp.cumsum(axis=1) > rng.uniform(size=(len(nw), 1))).argmax(axis=1)


def _members(
    kind: np.ndarray, nw: np.ndarray, initial: bool, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Explode households into persons: (household row, age, male, is child) per person.

    Slot 0 is the primary adult (the woman in couples, mostly in single-parent households),
    slot 1 the partner, slots 2-6 children born to the primary adult.
    """
    n = len(kind)
    lo = np.array([18, 30, 67, 20, 35, 67, 24, 22])[kind]
    hi = np.array([30, 67, 100, 35, 67, 98, 52, 55] if initial else [30, 67, 100, 35, 67, 98, 46, 46])[kind]
    old = np.isin(kind, [2, 5])
    age1 = np.where(old, np.minimum(67 + rng.exponential(8, n), hi - 0.5), rng.uniform(lo, hi))
    couple = np.isin(kind, [3, 4, 5, 6])
    female1 = np.where(couple, True, rng.uniform(size=n) < np.where(kind == 7, 0.82, 0.5))
    age2 = np.maximum(18.2, age1 + rng.normal(2.0, 3.0, n))

    kids_p = np.where(nw[:, None], [[0.18, 0.32, 0.28, 0.14, 0.08]], [[0.36, 0.44, 0.15, 0.04, 0.01]])
    n_kids = np.where(
        np.isin(kind, [6, 7]), 1 + (kids_p.cumsum(axis=1) > rng.uniform(size=(n, 1))).argmax(axis=1), 0
    )
    first = np.clip(rng.normal(np.where(nw, 25.5, 29.0), 4.0), 19, 40)
    gaps = np.cumsum(np.c_[np.zeros(n), rng.uniform(1.5, 4.5, (n, 4))], axis=1)
    kid_age = age1[:, None] - (first[:, None] + gaps)
    stay = rng.uniform(size=(n, 5)) < np.interp(kid_age, [17, 18.5, 21, 24], [1, 0.65, 0.3, 0])
    has_kid = (np.arange(5)[None, :] < n_kids[:, None]) & (kid_age >= 0) & stay

    hh_idx, slot = np.nonzero(np.c_[np.ones(n, bool), couple, has_kid])
    is_kid = slot >= 2
    age = np.where(slot == 0, age1[hh_idx], age2[hh_idx])
    age = np.clip(np.where(is_kid, kid_age[hh_idx, np.maximum(slot - 2, 0)], age), 0, 104.9)
    male = np.where(slot == 0, ~female1[hh_idx], slot == 1)
    male = np.where(is_kid, rng.uniform(size=len(slot)) < 0.513, male)
    return hh_idx, age, male, is_kid


def _origins(
    hh_idx: np.ndarray,
    is_kid: np.ndarray,
    age: np.ndarray,
    byear: np.ndarray,
    nw: np.ndarray,
    west: np.ndarray,
    arriving: np.ndarray,
    year: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DST origin, country and immigration year per person.

    Adults of foreign households are immigrants (some young ones born here: descendants);
    children born here after their mother arrived are descendants, older ones immigrants.
    """
    n, m = len(nw), len(hh_idx)
    country_hh = np.zeros(n, dtype=np.int16)
    for is_nw, arr in ((True, True), (True, False), (False, True), (False, False)):
        pick = (nw if is_nw else west) & (arriving == arr)
        if pick.any():
            country_hh[pick] = rng.choice(len(COUNTRIES), int(pick.sum()), p=_countries(year, is_nw, arr))
    foreign_hh = nw[hh_idx] | west[hh_idx]
    born_here = (~is_kid) & (age < 40) & (rng.uniform(size=m) < np.where(nw[hh_idx], 0.3, 0.1))
    arr_age = np.minimum(rng.uniform(17, 38, m), np.maximum(age - 1, 0))
    arrival_adult = np.where(arriving[hh_idx], year, np.floor(byear + arr_age)).astype(np.int64)
    primary = np.r_[True, hh_idx[1:] != hh_idx[:-1]]  # slot 0 comes first in each household
    mother_arrival = np.zeros(n, dtype=np.int64)
    mother_arrival[hh_idx[primary]] = np.where(born_here[primary], 0, arrival_adult[primary])
    came = mother_arrival[hh_idx]

    origin = np.full(m, DANSK, dtype=np.int8)
    arrival = np.zeros(m, dtype=np.int64)
    adult_imm = foreign_hh & ~is_kid & ~born_here
    origin[adult_imm] = INDVANDRER
    arrival[adult_imm] = arrival_adult[adult_imm]
    origin[foreign_hh & ~is_kid & born_here] = EFTERKOMMER
    kid_imm = foreign_hh & is_kid & (came > 0) & (byear < came)
    origin[kid_imm] = INDVANDRER
    arrival[kid_imm] = came[kid_imm]
    origin[foreign_hh & is_kid & (came > 0) & (byear >= came)] = EFTERKOMMER
    country = np.where(origin != DANSK, country_hh[hh_idx], 0).astype(np.int16)
    return origin, country, arrival


def _latent(rng: np.random.Generator, age: np.ndarray, r: np.ndarray) -> dict[str, np.ndarray]:
    """Fresh persistent propensities for new people."""
    m = len(age)
    return {
        "edu_delay": rng.gamma(2.0, 0.8, m).astype(np.float32),
        "lab_z": rng.normal(0, 0.85, m).astype(np.float32),
        "inc_z": rng.normal(0, 0.22, m).astype(np.float32),
        "crime_z": rng.normal(0, 0.8, m).astype(np.float32),
        "child_z": rng.normal(0, 1.0, m).astype(np.float32),
        "disease": rng.uniform(size=m) < 1 / (1 + np.exp(5.2 - 0.062 * age + 0.5 * r)),
    }


def newborns(p: People, year: int, rng: np.random.Generator, cpr: CprRegistry) -> People:
    """Children born during `year` to the women living here, in their mother's household."""
    age = (year - p.byear).astype(np.float64)
    _, inv = np.unique(p.hh, return_inverse=True)
    partner = np.bincount(inv, weights=~p.child)[inv] >= 2
    fertile = ~p.male & ~p.child & (age >= 15) & (age <= 49)
    asfr = 0.175 * np.exp(-(((age - 31.0) / 5.6) ** 2))
    boost = np.where((p.origin == INDVANDRER) & p.nonwestern(), 1.3, 1.0)
    f = asfr * np.where(partner, 1.2, 0.35) * boost
    mom = np.flatnonzero(fertile & (rng.uniform(size=len(p)) < f))
    m = len(mom)
    start = int(np.datetime64(f"{year}-01-01").astype(int))
    birth = (start + rng.integers(0, 365, m)).astype(np.int32)
    male = rng.uniform(size=m) < 0.513
    imm_mother = p.origin[mom] == INDVANDRER
    r = (0.7 * p.r[mom] + rng.normal(0, 0.5, m)).astype(np.float32)
    byear = np.full(m, year, dtype=np.int16)
    return People(
        birth=birth,
        byear=byear,
        serial=cpr.assign(birth, male),
        male=male,
        origin=np.where(imm_mother, EFTERKOMMER, DANSK).astype(np.int8),
        country=np.where(imm_mother, p.country[mom], 0).astype(np.int16),
        arrival=np.zeros(m, dtype=np.int16),
        r=r,
        edu_target=education_target(r, byear, rng),
        foreign=np.zeros(m, dtype=bool),
        acquire_age=np.full(m, np.inf, dtype=np.float32),
        hh=p.hh[mom].copy(),
        child=np.ones(m, dtype=bool),
        working=np.zeros(m, dtype=bool),
        **_latent(rng, np.zeros(m), r),
    )

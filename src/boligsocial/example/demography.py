"""One simulated year: deaths, moves out, moves within, moves in, births, then register values.

Everything is vectorised over persons and households; the only loops run over housing types
and matching rounds. Each person moves at most once a year, so moves.csv and persons.csv agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from boligsocial.example.addresses import ALMEN, EJER, PRIVAT
from boligsocial.example.attributes import evolve, register_year
from boligsocial.example.households import Profile, make_households, newborns
from boligsocial.example.identifiers import CprRegistry
from boligsocial.example.market import Market, Seekers, allocate, preferred_type
from boligsocial.example.people import People

_VACANCY = 0.025  # share of available dwellings left empty at the end of a year


@dataclass
class World:
    """The simulation state between years."""

    people: People
    hh_addr: np.ndarray  # dwelling of each household number (-1: gone)
    occ: np.ndarray  # household number living in each dwelling (-1: vacant)
    next_hh: int
    cpr: CprRegistry

    def new_households(self, n: int) -> np.ndarray:
        """Reserve `n` household numbers, growing the lookup table as needed."""
        nums = np.arange(self.next_hh, self.next_hh + n, dtype=np.int64)
        self.next_hh += n
        if self.next_hh > len(self.hh_addr):
            grow = np.full(max(self.next_hh, 2 * len(self.hh_addr)), -1, dtype=np.int32)
            grow[: len(self.hh_addr)] = self.hh_addr
            self.hh_addr = grow
        return nums


@dataclass
class _Households:
    """Per-household aggregates of the current residents (index = position in `ids`)."""

    ids: np.ndarray
    inv: np.ndarray  # household position of each person
    n_adult: np.ndarray
    size: np.ndarray
    r: np.ndarray
    working: np.ndarray
    head_age: np.ndarray
    nonwestern: np.ndarray
    recent: np.ndarray
    addr: np.ndarray
    htype: np.ndarray

    @classmethod
    def of(cls, p: People, world: World, market: Market, year: int) -> _Households:
        ids, inv = np.unique(p.hh, return_inverse=True)
        adult = ~p.child
        age = (year - p.byear).astype(np.float64)
        n_adult = np.bincount(inv, weights=adult)
        head_age = np.zeros(len(ids))
        np.maximum.at(head_age, inv[adult], age[adult])
        addr = world.hh_addr[ids]
        return cls(
            ids=ids,
            inv=inv,
            n_adult=n_adult,
            size=np.bincount(inv).astype(np.float64),
            r=np.bincount(inv, weights=p.r * adult) / np.maximum(n_adult, 1),
            working=np.bincount(inv, weights=p.working & adult) >= np.maximum(n_adult, 1),
            head_age=head_age,
            nonwestern=np.bincount(inv, weights=p.nonwestern() & adult) > 0,
            recent=np.bincount(inv, weights=(p.arrival >= year - 4) & adult) > 0,
            addr=addr,
            htype=market.dw.htype[addr],
        )


class _Moves:
    """Collects the year's move events (person, date, from and to dwelling; -1 = outside)."""

    def __init__(self, year: int, rng: np.random.Generator) -> None:
        self.rng = rng
        self.frames: list[pl.DataFrame] = []
        self.start = int(np.datetime64(f"{year}-01-01").astype(int))
        self.days = int((np.datetime64(f"{year + 1}-01-01") - np.datetime64(f"{year}-01-01")).astype(int))

    def add(self, p: People, idx: np.ndarray, src: np.ndarray, dst: np.ndarray) -> None:
        real = src != dst  # taking over the parents' flat as they move out is not a move
        idx, src, dst = idx[real], src[real], dst[real]
        day = self.start + self.rng.integers(0, self.days, len(idx))
        self.frames.append(
            pl.DataFrame(
                {
                    "birth": p.birth[idx],
                    "serial": p.serial[idx],
                    "move_day": day.astype(np.int32),
                    "src": src.astype(np.int64),
                    "dst": dst.astype(np.int64),
                }
            )
        )

    def frame(self) -> pl.DataFrame:
        return pl.concat(self.frames)


def populate(market: Market, year: int, rng: np.random.Generator, cpr: CprRegistry) -> World:
    """The starting population: one household in most available dwellings."""
    dw = market.dw
    avail = np.flatnonzero(dw.available <= year)
    filled = np.sort(rng.choice(avail, round(len(avail) * (1 - _VACANCY)), replace=False))
    mean_r, p_nw = market.profile(year)
    prof = Profile(dw.htype[filled], dw.rooms[filled], mean_r[filled], p_nw[filled], np.zeros(len(filled)))
    people, _ = make_households(prof, year, rng, cpr, 0, initial=True)
    world = World(people, np.full(0, -1, dtype=np.int32), np.full(len(dw.htype), -1, dtype=np.int64), 0, cpr)
    nums = world.new_households(len(filled))
    world.hh_addr[nums] = filled
    world.occ[filled] = nums
    return world


def step(
    world: World, market: Market, year: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Simulate `year`; returns (persons-year rows without ids, move events)."""
    moves = _Moves(year, rng)
    p = _deaths(world, year, rng)
    hh = _Households.of(p, world, market, year)
    gone = _moves_out(world, p, hh, year, rng, moves)
    p, evicted = _moves_within(world, market, p, hh, gone, year, rng, moves)
    n_old = len(p)
    p = _moves_in(world, market, p, year, rng, moves)
    p = p.append(newborns(p, year, rng, world.cpr))
    evicted = np.r_[evicted, np.zeros(len(p) - len(evicted), dtype=bool)]

    evolve(p, rng)
    world.people = p
    addr = world.hh_addr[p.hh]
    shift = market.labour_shift(year)[market.dw.area[addr]]
    reg = register_year(p, year, shift, evicted, rng)
    rows = pl.DataFrame(
        {
            "birth": p.birth,
            "serial": p.serial,
            "addr": addr.astype(np.int64),
            "hh": p.hh,
            "male": p.male,
            "origin": p.origin,
            "country": p.country,
            "new": np.arange(len(p)) >= n_old,
        }
    ).hstack(reg)
    return rows, moves.frame()


def _deaths(world: World, year: int, rng: np.random.Generator) -> People:
    """Remove those who die during the year (Gompertz mortality, lower with more resources)."""
    p = world.people
    age = (year - p.byear).astype(np.float64)
    q = np.minimum(np.exp(-10.3 + 0.094 * age - 0.25 * p.r) + 0.003 * (age <= 1), 0.6)
    p = p.take(rng.uniform(size=len(p)) >= q)
    world.occ[~np.isin(world.occ, p.hh)] = -1
    return p


def _moves_out(
    world: World, p: People, hh: _Households, year: int, rng: np.random.Generator, moves: _Moves
) -> np.ndarray:
    """Whole households, and young adults leaving home, who leave the municipality (mask)."""
    renter = (hh.htype == ALMEN) | (hh.htype == PRIVAT)
    p_out = np.interp(hh.head_age, [18, 25, 35, 50, 67, 90], [0.16, 0.12, 0.06, 0.03, 0.015, 0.012])
    p_out *= np.where(renter, 1.25, 1.0) * np.where(hh.recent, 1.5, 1.0)
    out_hh = (hh.n_adult == 0) | (rng.uniform(size=len(hh.ids)) < p_out)
    age = year - p.byear
    p_leave = np.interp(age, [18, 20, 25], [0.06, 0.12, 0.1])
    gone = out_hh[hh.inv] | (p.child & (age >= 18) & (rng.uniform(size=len(p)) < p_leave))
    idx = np.flatnonzero(gone)
    moves.add(p, idx, world.hh_addr[p.hh[idx]], np.full(len(idx), -1))
    world.occ[hh.addr[out_hh]] = -1
    world.hh_addr[hh.ids[out_hh]] = -1
    return gone


def _moves_within(
    world: World,
    market: Market,
    p: People,
    hh: _Households,
    gone: np.ndarray,
    year: int,
    rng: np.random.Generator,
    moves: _Moves,
) -> tuple[People, np.ndarray]:
    """Evictions, voluntary moves and young adults leaving home; returns residents and evicted."""
    n_hh = len(hh.ids)
    staying = world.hh_addr[hh.ids] >= 0  # not moved out as a whole
    renter = (hh.htype == ALMEN) | (hh.htype == PRIVAT)
    evict_hh = staying & renter & (rng.uniform(size=n_hh) < 0.004 * np.exp(-0.9 * hh.r))
    p_move = np.interp(hh.head_age, [18, 25, 30, 40, 55, 67, 85], [0.3, 0.28, 0.19, 0.1, 0.06, 0.04, 0.05])
    p_move *= np.where((hh.htype == ALMEN) & hh.working, 2.0, 1.0)  # the employed move on
    p_move *= np.where(hh.htype == EJER, 0.55, 1.0)
    p_move *= np.where(hh.size > market.dw.rooms[hh.addr] + 1, 1.5, 1.0)  # crowded
    vol_hh = staying & ~evict_hh & (rng.uniform(size=n_hh) < p_move)
    age = (year - p.byear).astype(np.float64)
    p_leave = np.interp(age, [18, 20, 25], [0.05, 0.14, 0.25])
    lv = np.flatnonzero(p.child & (age >= 18) & ~gone & (rng.uniform(size=len(p)) < p_leave))

    hs = np.flatnonzero(evict_hh | vol_hh)
    nw = np.r_[hh.nonwestern[hs], p.nonwestern()[lv]]
    r = np.r_[hh.r[hs], p.r[lv]]
    pref = preferred_type(
        r,
        np.r_[hh.head_age[hs], age[lv]],
        np.r_[hh.size[hs], np.ones(len(lv))],
        nw,
        np.r_[(hh.n_adult[hs] == 1) & (hh.size[hs] > 1), np.zeros(len(lv), dtype=bool)],
        np.r_[hh.working[hs], p.working[lv]],
        rng,
    )
    seekers = Seekers(
        score=r + rng.normal(0, 0.3, len(r)),
        pref=pref,
        nonwestern=nw,
        forced=np.r_[evict_hh[hs], np.ones(len(lv), dtype=bool)],
        home=np.r_[hh.addr[hs], np.full(len(lv), -1)],
    )
    target = allocate(market, world.occ, seekers, year, rng)

    # Young adults who found a home start their own household (before their parents move).
    found = target[len(hs) :] >= 0
    lv, lv_dst = lv[found], target[len(hs) :][found]
    moves.add(p, lv, world.hh_addr[p.hh[lv]], lv_dst)
    nums = world.new_households(len(lv))
    p.hh[lv] = nums
    p.child[lv] = False
    world.hh_addr[nums] = lv_dst
    world.occ[lv_dst] = nums
    # Households that found a dwelling move; evicted ones that found none leave the municipality.
    ok = target[: len(hs)] >= 0
    moved = hh.ids[hs[ok]]
    world.hh_addr[moved] = target[: len(hs)][ok]
    world.occ[target[: len(hs)][ok]] = moved
    left = hh.ids[hs[~ok & evict_hh[hs]]]
    world.occ[world.hh_addr[left]] = -1
    world.hh_addr[left] = -1
    mv = np.flatnonzero(np.isin(p.hh, moved) & ~gone)
    moves.add(p, mv, hh.addr[hh.inv[mv]], world.hh_addr[p.hh[mv]])
    out = np.isin(p.hh, left) & ~gone
    idx = np.flatnonzero(out)
    moves.add(p, idx, hh.addr[hh.inv[idx]], np.full(len(idx), -1))
    keep = ~(gone | out)
    evicted = evict_hh[hh.inv] & ~p.child & ~out
    return p.take(keep), evicted[keep]


def _moves_in(
    world: World, market: Market, p: People, year: int, rng: np.random.Generator, moves: _Moves
) -> People:
    """Fill vacancies down to the target vacancy rate with the newcomers each area receives."""
    dw = market.dw
    pool = np.flatnonzero((world.occ == -1) & (dw.available <= year))
    n_fill = max(0, len(pool) - round(_VACANCY * int((dw.available <= year).sum())))
    fill = np.sort(rng.choice(pool, n_fill, replace=False))
    mean_r, p_nw = market.profile(year)
    abroad = 0.5 if 2014 <= year <= 2016 else 0.3  # the refugee years
    prof = Profile(dw.htype[fill], dw.rooms[fill], mean_r[fill], p_nw[fill], np.full(n_fill, abroad))
    nums = world.new_households(n_fill)
    first = int(nums[0]) if n_fill else 0
    newp, hh_idx = make_households(prof, year, rng, world.cpr, first, initial=False)
    world.hh_addr[nums] = fill
    world.occ[fill] = nums
    moves.add(newp, np.arange(len(newp)), np.full(len(newp), -1), fill[hh_idx])
    return p.append(newp)

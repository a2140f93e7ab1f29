"""Fake but well-shaped identifiers: CPR-shaped person ids, UUID-shaped address ids, household ids.

CPR numbers are generated as `ddmmyy-ssss` matching the birth date (7th digit by century, last
digit odd for men), unique per person; they are fake and are pseudonymised on load anyway.
"""

from __future__ import annotations

import numpy as np
import polars as pl

_DAY0 = np.datetime64("1900-01-01")
_N_DAYS = int((np.datetime64("2031-01-01") - _DAY0).astype(int))
_OFFSET0 = int((np.datetime64("1970-01-01") - _DAY0).astype(int))
_Y2000 = int((np.datetime64("2000-01-01") - np.datetime64("1970-01-01")).astype(int))
_SLOTS = 500  # serials per (day, sex, 7th digit)


class CprRegistry:
    """Hands out CPR serials so that (birth date, serial) never repeats."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._count = np.zeros((_N_DAYS, 2), dtype=np.int32)
        self._offset = rng.integers(0, _SLOTS, _N_DAYS).astype(np.int64)
        self._shift = rng.integers(0, 12, _N_DAYS).astype(np.int64)

    def assign(self, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Serials (0–9999) for people born on `birth` (days since 1970-01-01)."""
        day = birth.astype(np.int64) + _OFFSET0
        sex = (~male).astype(np.int64)
        key = day * 2 + sex
        order = np.argsort(key, kind="stable")
        sk = key[order]
        start = np.r_[0, np.flatnonzero(sk[1:] != sk[:-1]) + 1]
        group_start = np.repeat(start, np.diff(np.r_[start, len(sk)]))
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key)) - group_start
        c = self._count[day, sex].astype(np.int64) + rank
        np.add.at(self._count, (day, sex), 1)
        v = (173 * c + self._offset[day]) % _SLOTS
        modern = birth >= _Y2000
        n_digits = np.where(modern, 6, 4)
        first = (c // _SLOTS + self._shift[day]) % n_digits + np.where(modern, 4, 0)
        if np.any(c // _SLOTS >= n_digits):
            raise RuntimeError("more than 2000 people share a birth date and sex")
        last = 2 * (v % 5) + male.astype(np.int64)
        return (first * 1000 + (v // 5) * 10 + last).astype(np.int16)


def cpr_expr(birth: str, serial: str) -> pl.Expr:
    """Polars expression building `ddmmyy-ssss` from a date column and a serial column."""
    return pl.format(
        "{}-{}",
        pl.col(birth).dt.strftime("%d%m%y"),
        pl.col(serial).cast(pl.String).str.zfill(4),
    )


def uuids(rng: np.random.Generator, n: int) -> pl.Series:
    """Random version-4 UUID strings, deterministic from `rng`."""
    b = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    hexes = np.array([f"{i:02x}" for i in range(256)])[b]
    flat = pl.Series(np.ascontiguousarray(hexes).view("<U32").reshape(n))
    return pl.select(
        pl.format(
            "{}-{}-{}-{}-{}",
            flat.str.slice(0, 8),
            flat.str.slice(8, 4),
            flat.str.slice(12, 4),
            flat.str.slice(16, 4),
            flat.str.slice(20, 12),
        )
    ).to_series()


def household_expr(col: str) -> pl.Expr:
    """Household ids like `hh-0001234` from an integer column."""
    return pl.format("hh-{}", pl.col(col).cast(pl.String).str.zfill(7))

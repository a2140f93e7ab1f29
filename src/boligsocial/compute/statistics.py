"""The statistics every published figure is made of, and the differences between them an
attacker can form.

A *statistic* is a count of persons (those meeting a condition) or a sum of a value over persons:
the numerator and the denominator of every indicator, every building block of the list criteria,
and the residents of each housing type. A published figure is a statistic over an area. Two kinds
of subtraction can isolate a few persons: between areas (handled on atoms, `boligsocial.geo.atoms`) and
between statistics over the same area, e.g. residents aged 17-29 minus residents aged 18-29 is the
residents aged 17. `derivations` finds the second kind from the data: every set of persons that
can be written as a sum and difference of up to `MAX_SUPPORT` published counts, with the counts it
needs. The disclosure step then treats each such set like a published count (docs/access.md).

Pure: definitions and person-level patterns in, statistic tables out; the SQL runs in a private
in-memory DuckDB over the frames given.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from boligsocial.compute.catalogue import Indicator
from boligsocial.compute.indicators import ALL_HOUSING, placed_sql
from boligsocial.compute.measures import Ages, definitions
from boligsocial.contract import HOUSING_TYPES

#: Derivations through more published counts than this are not searched (docs/access.md).
MAX_SUPPORT = 5
#: Count statistics are kinds of persons; sums add a value over persons.
COUNT, SUM = "count", "sum"


@dataclass(frozen=True)
class Statistic:
    """One statistic: `population` (SQL condition on a placed resident) and, for a sum, `value`."""

    id: str
    kind: str
    population: str
    value: str | None = None


def indicator_statistics(indicator: Indicator, zero_one: bool) -> tuple[Statistic, Statistic]:
    """The numerator and denominator of an indicator. The numerator is a count when the value is
    0 or 1 for everybody (a yes/no trait), else a sum (full-time equivalents, kroner, age)."""
    pop, val = indicator.population.sql, indicator.value.sql
    known = f"({pop}) AND ({val}) IS NOT NULL"
    den = Statistic(f"ind:{indicator.id}:den", COUNT, known)
    if zero_one:
        num = Statistic(f"ind:{indicator.id}:num", COUNT, f"({pop}) AND CAST({val} AS DOUBLE) = 1")
    else:
        num = Statistic(f"ind:{indicator.id}:num", SUM, known, f"CAST({val} AS DOUBLE)")
    return num, den


def criteria_statistics(ages: Ages) -> list[Statistic]:
    """The building blocks of the list criteria for one age-band setting."""
    key = ages_key(ages)
    return [
        Statistic(f"crit:{key}:{name}", COUNT if b.value is None else SUM, b.population, b.value)
        for name, b in definitions(ages).items()
    ]


def housing_statistics() -> list[Statistic]:
    """Residents of each housing type (the housing breakdown of an area)."""
    return [Statistic(f"res:{h}", COUNT, f"housing_type = '{h}'") for h in sorted(HOUSING_TYPES)]


def ages_key(ages: Ages) -> str:
    """The age-band setting as it is stored (`criteria_inputs.ages`)."""
    return json.dumps(ages)


def _connect(residents: pl.DataFrame, addresses: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.register("residents", residents)
    con.register("addresses", addresses.select("address_id", "housing_type"))
    empty = {"layer": pl.String, "address_id": pl.String, "area_id": pl.String}
    con.register("assignment", pl.DataFrame(schema=empty | {"year_from": pl.Int32, "year_to": pl.Int32}))
    return con


def zero_one_values(
    residents: pl.DataFrame, addresses: pl.DataFrame, catalogue: list[Indicator], code: str
) -> dict[str, bool]:
    """Per indicator: is its value 0 or 1 for every person in its population?"""
    if not catalogue:
        return {}
    checks = ", ".join(
        f"coalesce(bool_and(CAST({i.value.sql} AS DOUBLE) IN (0, 1)) "
        f"FILTER (WHERE ({i.population.sql}) AND ({i.value.sql}) IS NOT NULL), true) AS c{n}"
        for n, i in enumerate(catalogue)
    )
    con = _connect(residents, addresses)
    try:
        row = con.execute(f"WITH placed AS ({placed_sql(code)}) SELECT {checks} FROM placed").fetchall()[0]
    finally:
        con.close()
    return {i.id: bool(row[n]) for n, i in enumerate(catalogue)}


def patterns(
    residents: pl.DataFrame, addresses: pl.DataFrame, counts: list[Statistic], code: str
) -> list[frozenset[str]]:
    """The distinct combinations of count statistics a person-year belongs to (each combination
    is one kind of person as far as the published counts can tell)."""
    if not counts:
        return []
    cols = ", ".join(f"coalesce({s.population}, false) AS c{n}" for n, s in enumerate(counts))
    con = _connect(residents, addresses)
    try:
        rows = con.execute(
            f"WITH placed AS ({placed_sql(code)}) SELECT DISTINCT {cols} FROM placed ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()
    return [frozenset(s.id for s, member in zip(counts, row, strict=True) if member) for row in rows]


@dataclass(frozen=True)
class Derivation:
    """A set of persons an attacker can count by adding and subtracting published counts:
    `coefficients` (statistic → +1/-1) over a support of statistics."""

    coefficients: tuple[tuple[str, int], ...]

    @property
    def support(self) -> frozenset[str]:
        return frozenset(s for s, _ in self.coefficients)


#: Which name a statistic keeps when several hold the same persons: an indicator's first.
_PREFERENCE = ("ind:", "res:", "crit:")


def _preferred(stat: str) -> tuple[int, bool, str]:
    rank = next((n for n, p in enumerate(_PREFERENCE) if stat.startswith(p)), len(_PREFERENCE))
    return rank, stat.endswith(":den"), stat


def canonical(kinds: list[frozenset[str]], counts: Iterable[str]) -> dict[str, str]:
    """Count statistics that hold exactly the same persons are one statistic: id → its canonical
    id (an indicator's numerator, then its denominator, then a breakdown's, then a criterion
    block's; then sorted)."""
    members: dict[frozenset[int], list[str]] = {}
    for s in sorted(counts, key=_preferred):
        key = frozenset(n for n, kind in enumerate(kinds) if s in kind)
        members.setdefault(key, []).append(s)
    return {s: group[0] for group in members.values() for s in group}


def canonical_sums(values: pl.DataFrame, sums: Iterable[str]) -> dict[str, str]:
    """Sum statistics with the same value on every atom in every year are one statistic."""
    wanted = sorted(set(sums))
    if not wanted:
        return {}
    signatures = (
        values.filter(pl.col("statistic").is_in(wanted))
        .sort("year", "atom_id")
        .group_by("statistic")
        .agg(
            pl.concat_str(pl.col("year"), pl.col("atom_id"), pl.col("value").round(6), separator="|")
            .str.join(";")
            .alias("sig")
        )
    )
    first: dict[str, str] = {}
    out = {}
    for s, sig in sorted(signatures.iter_rows(), key=lambda r: _preferred(r[0])):
        out[s] = first.setdefault(sig, s)
    return out | {s: s for s in wanted if s not in out}


def derivations(kinds: list[frozenset[str]], counts: Iterable[str]) -> list[Derivation]:
    """Sets of persons that are a difference of published counts, through at most `MAX_SUPPORT`
    statistics, with their smallest supports (which statistics, added or subtracted).

    The closure of the published counts under "a superset minus a subset" and "the union of two
    disjoint sets that lie inside a third" (the only unions that can be subtracted from something
    other than the whole population), where each set is a bit set of the person kinds in `kinds`;
    then everybody (the residents) minus each set and minus each union of two disjoint sets.
    Unions are steps, not results: a union of two safe counts is safe, only differences can
    isolate a small group. Each new set is compared with all known sets at once on packed bits,
    and old pairs are not compared again."""
    ids = sorted(set(counts))
    width = max(1, (len(kinds) + 63) // 64)
    rows: list[np.ndarray] = []  # packed bits of each known set
    index: dict[bytes, int] = {}
    supports: list[dict[frozenset[str], dict[str, int]]] = []
    emitted: set[tuple[int, frozenset[str]]] = set()

    def pack(member: np.ndarray) -> np.ndarray:
        words = np.zeros(width * 64, dtype=bool)
        words[: len(member)] = member
        return np.packbits(words).view(np.uint64)

    def add(
        bits: np.ndarray, support: frozenset[str], coeffs: dict[str, int], difference: bool
    ) -> int | None:
        """Record a set with a support; the set's number when it (or this support) is new."""
        if not bits.any():
            return None
        key = bits.tobytes()
        n = index.get(key)
        if n is None:
            n = index[key] = len(rows)
            rows.append(bits)
            supports.append({})
        known = supports[n]
        if any(k <= support for k in known):
            return None
        for k in [k for k in known if support <= k]:
            del known[k]
            emitted.discard((n, k))
        known[support] = coeffs
        if difference:
            emitted.add((n, support))
        return n

    def combine(x: int, y: int, sign: int, found: list[int]) -> None:
        """x minus y (sign -1) or x plus y (sign +1), for every pair of their supports."""
        for sx, cx in list(supports[x].items()):
            for sy, cy in list(supports[y].items()):
                if len(sx | sy) > MAX_SUPPORT:
                    continue
                coeffs = dict(cx)
                for stat, c in cy.items():
                    coeffs[stat] = coeffs.get(stat, 0) + sign * c
                coeffs = {stat: c for stat, c in coeffs.items() if c}
                bits = rows[x] & ~rows[y] if sign < 0 else rows[x] | rows[y]
                n = add(bits, frozenset(coeffs), coeffs, sign < 0)
                if n is not None and n not in found:
                    found.append(n)

    everybody = pack(np.ones(len(kinds), dtype=bool))
    fresh: list[int] = []
    base = {s: pack(np.array([s in kind for kind in kinds], dtype=bool)) for s in ids}
    for s in ids:
        n = add(base[s], frozenset([s]), {s: 1}, False)
        if n is not None and n not in fresh:
            fresh.append(n)
    whole = index.get(everybody.tobytes())
    while fresh:
        matrix = np.vstack(rows)
        sizes = np.bitwise_count(matrix).sum(axis=1)
        inside: dict[int, np.ndarray] = {}  # set → which known sets (not everybody) contain it
        new: list[int] = []
        for i in fresh:
            if i == whole:
                continue
            inter = np.bitwise_count(matrix & rows[i]).sum(axis=1)
            others = np.arange(len(matrix)) != i
            if whole is not None:
                others[whole] = False
            for j in np.flatnonzero(others & (inter == sizes) & (sizes < sizes[i])):
                combine(i, int(j), -1, new)  # i minus a set inside it
            for j in np.flatnonzero(others & (inter == sizes[i]) & (sizes > sizes[i])):
                combine(int(j), i, -1, new)  # a set around i minus i
            for j in np.flatnonzero(others & (inter == 0)):
                if (
                    _within(i, matrix, sizes, whole, inside) & _within(int(j), matrix, sizes, whole, inside)
                ).any():
                    combine(i, int(j), 1, new)
        fresh = new
    if whole is not None:
        known = [n for n in range(len(rows)) if n != whole]
        for n in known:
            combine(whole, n, -1, [])
        matrix = np.vstack([rows[n] for n in known])
        for a, n in enumerate(known):
            disjoint = np.bitwise_count(matrix[a + 1 :] & rows[n]).sum(axis=1) == 0
            for b in np.flatnonzero(disjoint):
                union: list[int] = []
                combine(n, known[a + 1 + int(b)], 1, union)
                for u in union:
                    combine(whole, u, -1, [])
    out = []
    for cover in _covers(ids, base):
        parent, children = cover
        if len(children) + 1 > MAX_SUPPORT:  # beyond the closure: each child is the parent minus the rest
            for child in children:
                coeffs = {parent: 1} | {c: -1 for c in children if c != child}
                out.append(Derivation(tuple(sorted(coeffs.items()))))
    for n, support in sorted(emitted, key=lambda e: (rows[e[0]].tobytes(), sorted(e[1]))):
        found = supports[n].get(support)
        if found is not None and len(found) > 1 and min(found.values()) < 0:  # a pure sum is safe
            out.append(Derivation(tuple(sorted(found.items()))))
    return out


def _covers(ids: list[str], bits: dict[str, np.ndarray]) -> list[tuple[str, tuple[str, ...]]]:
    """Statistics that split another exactly into disjoint parts (the housing types of all residents,
    the age groups): (parent, parts). Found greedily from each part, largest parts first."""
    bits = {s: b for s, b in bits.items() if b.any()}
    size = {s: int(np.bitwise_count(b).sum()) for s, b in bits.items()}
    found: set[tuple[str, tuple[str, ...]]] = set()
    for parent in ids:
        if parent not in bits:
            continue
        p = bits[parent]
        inside = sorted(
            (s for s in bits if s != parent and not (bits[s] & ~p).any() and size[s] < size[parent]),
            key=lambda s: (-size[s], s),
        )
        for seed in inside:
            picked, union = [seed], bits[seed].copy()
            for s in inside:
                if s != seed and not (bits[s] & union).any():
                    picked.append(s)
                    union |= bits[s]
            if np.array_equal(union, p) and len(picked) > 1:
                found.add((parent, tuple(sorted(picked))))
    return sorted(found)


def _within(
    n: int, matrix: np.ndarray, sizes: np.ndarray, whole: int | None, cache: dict[int, np.ndarray]
) -> np.ndarray:
    """Which known sets (other than everybody) contain set `n`, remembered per round."""
    if n not in cache:
        holds = np.bitwise_count(matrix & matrix[n]).sum(axis=1) == sizes[n]
        holds[n] = False
        if whole is not None:
            holds[whole] = False
        cache[n] = holds
    return cache[n]


def statistic_values(atom_values: pl.DataFrame, atom_measures: dict[Ages, pl.DataFrame]) -> pl.DataFrame:
    """Every statistic per atom and year (year, atom_id, statistic, value), from the figures per
    atom that the indicators and the criteria blocks computed."""
    totals = atom_values.filter(pl.col("housing_type") == ALL_HOUSING)
    parts = [
        totals.select(
            "year",
            pl.col("area_id").alias("atom_id"),
            pl.concat_str(pl.lit("ind:"), "indicator", pl.lit(f":{name}")).alias("statistic"),
            pl.col(column).cast(pl.Float64).alias("value"),
        )
        for name, column in (("num", "numerator"), ("den", "denominator"))
    ]
    parts.append(
        atom_values.filter(
            (pl.col("indicator") == "residents") & (pl.col("housing_type") != ALL_HOUSING)
        ).select(
            "year",
            pl.col("area_id").alias("atom_id"),
            pl.concat_str(pl.lit("res:"), "housing_type").alias("statistic"),
            pl.col("numerator").cast(pl.Float64).alias("value"),
        )
    )
    for ages, frame in atom_measures.items():
        key = ages_key(ages)
        blocks = list(definitions(ages))
        parts.append(
            frame.unpivot(
                index=["area_id", "year"], on=blocks, variable_name="block", value_name="value"
            ).select(
                "year",
                pl.col("area_id").alias("atom_id"),
                pl.concat_str(pl.lit(f"crit:{key}:"), "block").alias("statistic"),
                pl.col("value").cast(pl.Float64),
            )
        )
    return pl.concat([p.with_columns(pl.col("year").cast(pl.Int32)) for p in parts]).sort(
        "year", "atom_id", "statistic"
    )

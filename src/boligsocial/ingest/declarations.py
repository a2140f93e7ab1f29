"""What a delivery has beyond the contract's typed columns, and what the mapping file may declare
about it: extra columns with a declared type, columns to pseudonymise, and any column holding CPR
numbers that nothing pseudonymises (refused, named by column, never by value)."""

from __future__ import annotations

import polars as pl

from boligsocial.common.problems import Problem
from boligsocial.contract import EXTRA_TYPES, Column, Table
from boligsocial.ingest import cpr
from boligsocial.ingest.mapping import TableMapping
from boligsocial.ingest.sources import ROW


def delivered_extras(raw: pl.DataFrame, table: Table, tm: TableMapping) -> list[Column]:
    """The extra columns of this delivery with a type, in the delivery's order: the contract's known
    extras it delivers and the ones the mapping file declares (`[persons.extra]`)."""
    if not table.declared_extras:
        return []
    typed = {c.name: c for c in table.extras} | {
        name: Column(name, EXTRA_TYPES[dtype], required=False, nullable=True)
        for name, dtype in tm.extra.items()
        if table.known(name) is None
    }
    return [typed[name] for name in raw.columns if name in typed]


def declaration_problems(table: Table, file: str, tm: TableMapping) -> list[Problem]:
    """Mapping declarations the contract does not allow: an `extra` type for a contract column, or
    `pseudonymise` on a typed, coded or linked column (its type or joins would break)."""
    problems = []
    for name in tm.extra:
        if table.known(name) is not None:
            problems.append(
                Problem(
                    "bad-config",
                    f"the mapping file declares '{name}' in its {table.name}.extra section, "
                    "but it is a column of the contract with a fixed type",
                    file=file,
                    column=name,
                    allowed="columns outside the contract (a contract column has its type)",
                )
            )
    for name in tm.pseudonymise:
        col = table.known(name)
        if col is not None and not may_pseudonymise(table, name):
            problems.append(
                Problem(
                    "bad-config",
                    f"the mapping file declares '{name}' to be pseudonymised, but it is a "
                    + ("key or reference other tables join on" if col.linked else "typed or coded column"),
                    file=file,
                    column=name,
                    allowed="free-text columns and columns outside the contract",
                )
            )
    return problems


def may_pseudonymise(table: Table, name: str) -> bool:
    """Whether a mapping file may declare the column to be pseudonymised: a column outside the
    contract, a free-text contract column, or one the contract pseudonymises anyway."""
    col = table.known(name)
    return col is None or col.free_text or name in table.pseudonymised


def cpr_problems(raw: pl.DataFrame, table: Table, file: str, tm: TableMapping) -> list[Problem]:
    """One `cpr-in-column` error per column holding CPR numbers (as text or as numbers) that neither
    the contract nor the mapping file pseudonymises. Names the column and counts rows, never a value.

    Cheap passes first, each over all remaining columns at once: columns whose longest value is too
    short to hold a CPR number (codes, booleans, small numbers) drop out; then a test without dates
    finds the few columns (and rows) that may hold one; only those get the exact test.
    """
    allowed = {*table.pseudonymised, *(n for n in tm.pseudonymise if may_pseudonymise(table, n))}
    names = [n for n in raw.columns if not n.startswith("__") and n not in allowed]
    if not names:
        return []
    longest = raw.select(pl.col(n).str.len_bytes().max() for n in names).row(0)
    names = [n for n, length in zip(names, longest, strict=True) if (length or 0) >= cpr.SHORTEST]
    if not names:
        return []
    suspect = raw.select(cpr.may_hold_cpr(pl.col(n)).any().alias(n) for n in names).row(0)
    problems = []
    for name in [n for n, hit in zip(names, suspect, strict=True) if hit]:
        rows = raw.filter(cpr.may_hold_cpr(pl.col(name))).filter(cpr.holds_cpr(pl.col(name))).get_column(ROW)
        if rows.len():  # rows keep the file's order: the first is the smallest
            problems.append(_cpr_problem(table, file, name, rows.len(), int(rows[0]), tm))
    return problems


def _cpr_problem(table: Table, file: str, name: str, n: int, first: int, tm: TableMapping) -> Problem:
    own = tm.columns.get(name)
    where = f"column '{name}'" + (f" (the delivery's '{own}')" if own else "")
    if may_pseudonymise(table, name):
        fix = (
            f'declare it in the mapping file (pseudonymise = ["{name}"] in its {table.name} section) to '
            "store it only as pseudonyms, or leave it out of the delivery"
        )
    else:
        fix = "take the CPR numbers out of it"
    rows = f"{n} row{'s' if n != 1 else ''}"
    return Problem(
        "cpr-in-column",
        f"{file}: {where} holds CPR numbers in {rows} (the first is row {first}); {fix}",
        file=file,
        column=name,
        allowed="no CPR numbers, or the column named in the mapping's pseudonymise",
        count=n,
    )

"""Validation of raw delivery tables against the contract: types, codes, ranges, keys, references.

Pure functions from text tables to typed tables plus problems. Every check is vectorised and finds
all failing rows; `emit` lists the first `MAX_EXAMPLES` and counts the rest in one summary problem.
What the mapping declares beyond the contract is checked in `declarations`, the rules across
columns and tables (persons, references) in `rules`.
"""

from __future__ import annotations

import polars as pl

from boligsocial.common.problems import MAX_EXAMPLES, Problem
from boligsocial.contract import (
    COUNTRY_ALIASES,
    FALSE_WORDS,
    TRUE_WORDS,
    Column,
    Table,
)
from boligsocial.ingest.declarations import cpr_problems, declaration_problems, delivered_extras
from boligsocial.ingest.mapping import TableMapping
from boligsocial.ingest.sources import ROW

VALUE = "__value"


def emit(
    bad: pl.DataFrame,
    code: str,
    file: str,
    column: str | None,
    message: str,
    allowed: str | None = None,
) -> list[Problem]:
    """Problems for the failing rows in `bad` (columns `__row`, `__value`): examples plus a tally."""
    n = bad.height
    if n == 0:
        return []
    rows = bad.head(MAX_EXAMPLES)
    values = rows.get_column(VALUE).cast(pl.String) if VALUE in rows.columns else None
    out = [
        Problem(
            code,
            message,
            file=file,
            row=int(r),
            column=column,
            value=None if values is None else values[i],
            allowed=allowed,
        )
        for i, r in enumerate(rows.get_column(ROW).to_list())
    ]
    if n > MAX_EXAMPLES:
        out.append(
            Problem(
                code,
                f"{message} — and {n - MAX_EXAMPLES} more rows like this",
                file=file,
                column=column,
                allowed=allowed,
                count=n - MAX_EXAMPLES,
            )
        )
    return out


def failing(frame: pl.DataFrame, mask: pl.Expr, value: pl.Expr) -> pl.DataFrame:
    return frame.filter(mask).select(pl.col(ROW), value.cast(pl.String).alias(VALUE))


def _bool_expr(name: str) -> pl.Expr:
    low = pl.col(name).str.to_lowercase()
    return (
        pl.when(low.is_in(list(TRUE_WORDS)))
        .then(True)
        .when(low.is_in(list(FALSE_WORDS)))
        .then(False)
        .otherwise(None)
    )


def _parse_expr(col: Column, fmt: str | None) -> pl.Expr:
    """The expression that turns the text column into its contract type (null where it fails)."""
    c = pl.col(col.name)
    match col.dtype:
        case "int":
            f = c.cast(pl.Float64, strict=False)
            return pl.when(f == f.floor()).then(f).otherwise(None).cast(pl.Int32)
        case "float":
            return c.cast(pl.Float64, strict=False)
        case "bool":
            return _bool_expr(col.name)
        case "date":
            return c.str.to_date(fmt or "%Y-%m-%d", strict=False)
        case _:
            return c


_TYPE_WORDS = {
    "int": "a whole number",
    "float": "a number (decimal point)",
    "bool": "true/false (also 1/0, ja/nej)",
    "date": "a date YYYY-MM-DD (or the mapping's format)",
}


def validate_table(
    raw: pl.DataFrame, table: Table, file: str, tm: TableMapping
) -> tuple[pl.DataFrame | None, list[Problem]]:
    """Check and type one table; `None` when required columns are missing and nothing can be typed.

    Every column, the contract's and any other, is first searched for CPR numbers (`cpr_problems`).
    Extra columns are kept only in a table with `declared_extras` and only when the contract or the
    mapping file gives their type (or declares them to be pseudonymised: kept as text, hashed later).
    """
    problems = declaration_problems(table, file, tm)
    refused = cpr_problems(raw, table, file, tm)
    problems += refused
    missing = [c for c in table.columns if c.required and c.name not in raw.columns]
    for c in missing:
        src = tm.columns.get(c.name)
        hint = f" (the mapping names it '{src}')" if src else ""
        problems.append(
            Problem(
                "missing-column",
                f"{file} has no column '{c.name}'{hint}",
                file=file,
                column=c.name,
                allowed=f"columns {', '.join(x.name for x in table.columns if x.required)}",
            )
        )
    if missing:
        return None, problems

    frame = raw
    for c in table.columns:
        if c.name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c.name))
    if "origin_country" in frame.columns:
        frame = frame.with_columns(pl.col("origin_country").str.to_uppercase().replace(COUNTRY_ALIASES))

    typed: list[pl.Expr] = [pl.col(ROW)]
    extras = delivered_extras(raw, table, tm)
    for c in (*table.columns, *extras):
        parsed = _parse_expr(c, tm.formats.get(c.name))
        frame = frame.with_columns(parsed.alias(f"__t_{c.name}"))
        text, value = pl.col(c.name), pl.col(f"__t_{c.name}")
        if not c.nullable:
            problems += emit(
                failing(frame, text.is_null(), text),
                "missing-value",
                file,
                c.name,
                f"'{c.name}' is empty",
                "a value in every row",
            )
        if c.dtype != "str":
            problems += emit(
                failing(frame, text.is_not_null() & value.is_null(), text),
                "bad-type",
                file,
                c.name,
                f"'{c.name}' is not {_TYPE_WORDS[c.dtype]}",
                _TYPE_WORDS[c.dtype],
            )
        if c.codes is not None:
            allowed = ", ".join(sorted(c.codes)) if len(c.codes) < 20 else "ISO 3166 alpha-2"
            problems += emit(
                failing(frame, value.is_not_null() & ~value.is_in(list(c.codes)), text),
                "unknown-code",
                file,
                c.name,
                f"'{c.name}' has an unknown code",
                allowed,
            )
        if c.minimum is not None or c.maximum is not None:
            lo = c.minimum if c.minimum is not None else float("-inf")
            hi = c.maximum if c.maximum is not None else float("inf")
            problems += emit(
                failing(frame, (value < lo) | (value > hi), text),
                "out-of-range",
                file,
                c.name,
                f"'{c.name}' is out of range",
                f"{lo:g} to {hi:g}",
            )
        if c.default is not None:
            value = value.fill_null(c.default)
        typed.append(value.alias(c.name))

    if table.declared_extras:
        typed_extras = {c.name for c in extras}
        for name in _other_columns(raw, table):
            if name in tm.pseudonymise:
                typed.append(pl.col(name))  # text until pseudonymised, like person_id
            elif name not in typed_extras and not any(p.column == name for p in refused):
                problems.append(_undeclared(name, file, table))

    out = frame.select(typed)
    if table.key:
        dup = out.filter(pl.struct(table.key).is_duplicated())
        keyval = pl.concat_str([pl.col(k).cast(pl.String) for k in table.key], separator=", ")
        problems += emit(
            dup.select(pl.col(ROW), keyval.alias(VALUE)),
            "duplicate-key",
            file,
            ", ".join(table.key),
            f"({', '.join(table.key)}) appears more than once",
            "each key once",
        )
    return out, problems


def _other_columns(raw: pl.DataFrame, table: Table) -> list[str]:
    """The delivered columns that are not contract columns (nor internal ones such as `__row`)."""
    return [n for n in raw.columns if table.known(n) is None and not n.startswith("__")]


def _undeclared(name: str, file: str, table: Table) -> Problem:
    return Problem(
        "extra-column-ignored",
        f"extra column '{name}' is not declared in the mapping file; it is not stored",
        file=file,
        column=name,
        allowed=f'{name} = "bool" or "number" in the mapping file\'s {table.name}.extra section',
    )

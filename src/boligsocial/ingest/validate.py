"""Validation of raw delivery tables against the contract: types, codes, ranges, keys, references.

Pure functions from text tables to typed tables plus problems. Every check is vectorised and finds
all failing rows; `emit` lists the first `MAX_EXAMPLES` and counts the rest in one summary problem.
"""

from __future__ import annotations

import polars as pl

from boligsocial.common.problems import MAX_EXAMPLES, Problem
from boligsocial.contract import (
    COUNTRY_ALIASES,
    EXTRA_TYPES,
    FALSE_WORDS,
    TRUE_WORDS,
    WESTERN_COUNTRIES,
    Column,
    Table,
)
from boligsocial.ingest import cpr
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


def _failing(frame: pl.DataFrame, mask: pl.Expr, value: pl.Expr) -> pl.DataFrame:
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
                _failing(frame, text.is_null(), text),
                "missing-value",
                file,
                c.name,
                f"'{c.name}' is empty",
                "a value in every row",
            )
        if c.dtype != "str":
            problems += emit(
                _failing(frame, text.is_not_null() & value.is_null(), text),
                "bad-type",
                file,
                c.name,
                f"'{c.name}' is not {_TYPE_WORDS[c.dtype]}",
                _TYPE_WORDS[c.dtype],
            )
        if c.codes is not None:
            allowed = ", ".join(sorted(c.codes)) if len(c.codes) < 20 else "ISO 3166 alpha-2"
            problems += emit(
                _failing(frame, value.is_not_null() & ~value.is_in(list(c.codes)), text),
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
                _failing(frame, (value < lo) | (value > hi), text),
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


def _undeclared(name: str, file: str, table: Table) -> Problem:
    return Problem(
        "extra-column-ignored",
        f"extra column '{name}' is not declared in the mapping file; it is not stored",
        file=file,
        column=name,
        allowed=f'{name} = "bool" or "number" in the mapping file\'s {table.name}.extra section',
    )


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


def check_persons(
    persons: pl.DataFrame, file: str, address_ids: pl.Series
) -> tuple[pl.DataFrame, list[Problem]]:
    """Person rules beyond types: birth before year end, plausible age, western/non-western, address."""
    problems: list[Problem] = []
    year_end = pl.date(pl.col("year"), 12, 31)
    age = (pl.col("year") - pl.col("birth_date").dt.year()).cast(
        pl.Int32
    )  # at 31 Dec of Y the birthday has passed
    frame = persons.with_columns(age.alias("age"))
    problems += emit(
        _failing(frame, pl.col("birth_date") > year_end, pl.col("birth_date")),
        "unborn",
        file,
        "birth_date",
        "born after the end of the data year",
        "a birth date on or before 31 Dec of year",
    )
    problems += emit(
        _failing(frame, pl.col("age") > 110, pl.col("age")),
        "implausible-age",
        file,
        "birth_date",
        "older than 110 at the end of the year",
        "ages up to 110",
    )
    problems += emit(
        _failing(frame, pl.col("gross_income") < 0, pl.col("gross_income")),
        "negative-income",
        file,
        "gross_income",
        "negative gross income (loaded as it is)",
        ">= 0",
    )
    problems += check_reference(frame, "address_id", address_ids, file, "addresses")

    immigrant = pl.col("origin") != "dansk"
    from_country = (
        pl.when(pl.col("origin_country").is_null())
        .then(None)
        .otherwise(~pl.col("origin_country").is_in(list(WESTERN_COUNTRIES)))
    )
    frame = frame.with_columns(from_country.alias("__nw_country"))
    problems += emit(
        _failing(
            frame,
            immigrant & pl.col("__nw_country").is_null() & pl.col("nonwestern").is_null(),
            pl.col("origin"),
        ),
        "nonwestern-undecidable",
        file,
        "origin_country",
        "immigrant/descendant without origin_country or nonwestern",
        "origin_country (ISO alpha-2) or nonwestern true/false",
    )
    problems += emit(
        _failing(
            frame,
            immigrant & (pl.col("__nw_country") != pl.col("nonwestern")),
            pl.col("origin_country"),
        ),
        "nonwestern-conflict",
        file,
        "nonwestern",
        "nonwestern disagrees with origin_country; origin_country decides",
        "nonwestern consistent with DST's country list",
    )
    nonwestern = pl.when(~immigrant).then(False).otherwise(pl.coalesce("__nw_country", "nonwestern"))
    frame = frame.with_columns(nonwestern.alias("nonwestern")).drop("__nw_country")
    return frame, problems


def check_reference(
    frame: pl.DataFrame, column: str, ids: pl.Series, file: str, target: str
) -> list[Problem]:
    """Rows whose non-empty `column` is not among `ids` (the keys of the `target` table)."""
    value = pl.col(column)
    return emit(
        _failing(frame, value.is_not_null() & ~value.is_in(ids.implode()), value),
        "unknown-reference",
        file,
        column,
        f"{column} is not in {target}",
        f"a key of {target} (or empty)",
    )

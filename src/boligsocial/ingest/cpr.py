"""CPR numbers: what one looks like, as text or as a number, in vectorised polars expressions.

A CPR number is ten digits, `ddmmyy-xxxx` or `ddmmyyxxxx`, whose first six digits are a date. The
century is not in the number, so 29 February is a date whenever `yy` is divisible by 4. A register
extract or a spreadsheet often turns one into a number (`101801111` for 010180-1111, `1012801111.0`
from Excel), so a whole number written with all its digits (nine at least: `SHORTEST`) reads as one
when its zero-padded ten digits are CPR-shaped. In text a CPR number counts as a word of its own:
glued to letters (inside a UUID such as `ab010180-1111-4abc-…`) the digits are taken for part of an
id, not for a CPR number.

Every function takes and returns expressions over text columns, so a whole column is checked at
once; nothing here loops over rows.
"""

from __future__ import annotations

import polars as pl

#: A CPR-shaped word in text (six digits, an optional dash, four digits); dates are checked after.
WORD = r"\b\d{6}-?\d{4}\b"
#: A value that is wholly CPR-shaped as text: the spellings a person id is normalised from.
WHOLE = r"^\d{6}-?\d{4}$"
#: The fewest characters a CPR number is written in: nine digits, a number that lost its zero.
SHORTEST = 9
#: Whole numbers from 10^8 (0100000000 zero-padded) below 10^10 have the ten digits of a CPR number.
_SMALLEST, _BEYOND = 1e8, 1e10
_THIRTY_DAYS = (4, 6, 9, 11)


def is_cpr_digits(digits: pl.Expr) -> pl.Expr:
    """True where ten digits (text) start with a date ddmmyy; null where `digits` is null."""
    day = digits.str.slice(0, 2).cast(pl.Int32, strict=False)
    month = digits.str.slice(2, 2).cast(pl.Int32, strict=False)
    year = digits.str.slice(4, 2).cast(pl.Int32, strict=False)
    last_day = (
        pl.when(month == 2)
        .then(pl.when(year % 4 == 0).then(29).otherwise(28))
        .when(month.is_in(_THIRTY_DAYS))
        .then(30)
        .otherwise(31)
    )
    shaped = digits.str.contains(r"^[0-9]{10}$")
    return shaped & month.is_between(1, 12) & day.is_between(1, last_day)


def _number(text: pl.Expr) -> pl.Expr:
    """The number written in `text` when it is at least `SHORTEST` characters long (else null): a
    shorter text such as `1.1e8` rounds a number off and is no identifier."""
    return pl.when(text.str.len_bytes() >= SHORTEST).then(text.cast(pl.Float64, strict=False))


def number_digits(text: pl.Expr) -> pl.Expr:
    """The ten zero-padded digits of a whole number of CPR size written in `text` (`101801111`,
    `1012801111.0`, `1.012801111e9`); null for anything else, including numbers with a fraction."""
    n = _number(text)
    whole = n.is_between(_SMALLEST, _BEYOND, closed="left") & (n == n.floor())
    return pl.when(whole).then(n.cast(pl.Int64, strict=False).cast(pl.String).str.zfill(10))


def may_hold_cpr(text: pl.Expr) -> pl.Expr:
    """A cheap first pass that every value holding a CPR number passes (no date check): a CPR-shaped
    word, or a number of CPR size. `holds_cpr` then decides on the few values that pass."""
    return text.str.contains(WORD) | _number(text).is_between(_SMALLEST, _BEYOND, closed="left")


def holds_cpr(text: pl.Expr) -> pl.Expr:
    """True where the value holds a CPR number: a CPR-shaped word with a valid date anywhere in the
    text, or the whole value a CPR-shaped number. Never null."""
    words = (
        text.str.extract_all(WORD)
        .list.eval(is_cpr_digits(pl.element().str.replace("-", "", literal=True)))
        .list.any()
    )
    return words.fill_null(False) | is_cpr_digits(number_digits(text)).fill_null(False)


def normalised(ids: pl.Expr) -> pl.Expr:
    """Ids with every spelling of one CPR number made the same ten digits (`010180-1111`,
    `0101801111` and the number `101801111`); other values unchanged. Used before hashing, so one
    person gets one pseudonym however the extract wrote the number."""
    as_number = number_digits(ids)
    return (
        pl.when(ids.str.contains(WHOLE))
        .then(ids.str.replace("-", "", literal=True))
        .when(is_cpr_digits(as_number))
        .then(as_number)
        .otherwise(ids)
    )

"""Exact numbers: the legal thresholds and the figures compared with them are fractions, so no
floating-point error can decide a threshold case."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any


def exact(value: Any) -> Fraction:
    """A number as an exact fraction; floats go through their shortest decimal repr (0.1 → 1/10)."""
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    return Fraction(value)

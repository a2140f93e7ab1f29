"""The indicator catalogue: indicators defined as data (`*.toml`, the shipped ones and a
municipality's own), their expressions (`expressions`) and how they are read (`loader`)."""

from boligsocial.compute.catalogue.loader import (
    UNITS,
    Indicator,
    builtin,
    load_catalogue,
    parse_catalogue,
)

__all__ = [
    "UNITS",
    "Indicator",
    "builtin",
    "load_catalogue",
    "parse_catalogue",
]

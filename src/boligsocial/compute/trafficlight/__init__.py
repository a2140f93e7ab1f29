"""Traffic lights per area and year from configurable models (`models.toml`), coloured by
`colours`."""

from boligsocial.compute.trafficlight.colours import (
    COLOUR_SCHEMA,
    EPS,
    KINDS,
    Model,
    colours,
    criteria_colours,
    inputs,
    load_models,
    parse_models,
    points_colours,
    with_changes,
)

__all__ = [
    "COLOUR_SCHEMA",
    "EPS",
    "KINDS",
    "Model",
    "colours",
    "criteria_colours",
    "inputs",
    "load_models",
    "parse_models",
    "points_colours",
    "with_changes",
]

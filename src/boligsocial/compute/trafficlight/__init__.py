"""Traffic lights per area and year from configurable models (`models.toml`), coloured by
`colours`; each colour's reason is data, worded per language by `reason`."""

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
from boligsocial.compute.trafficlight.reason import parse_reason, reason_text

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
    "parse_reason",
    "points_colours",
    "reason_text",
    "with_changes",
]

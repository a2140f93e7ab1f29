"""A delivery's way into the database: read and checked whole (`delivery`, `bsm check`), then
computed (`write`) and committed (`load`, `bsm load`); and the lists from a file of area
figures (`classify`, `bsm classify`)."""

from boligsocial.pipeline.classify import classify_file
from boligsocial.pipeline.load import LoadSummary, load

__all__ = ["LoadSummary", "classify_file", "load"]

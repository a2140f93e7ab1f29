"""Publishing to PostgreSQL/PostGIS for QGIS, Power BI and SQL: the published tables (`tables`,
from a `Publication`, already through the disclosure step) written into a fresh schema and
swapped in for the previous publication in one transaction (`postgres`; docs/publish.md)."""

from boligsocial.publish.postgres import MARKER, check_schema_name, masked, publish, scrub
from boligsocial.publish.tables import Table, tables

__all__ = ["MARKER", "Table", "check_schema_name", "masked", "publish", "scrub", "tables"]

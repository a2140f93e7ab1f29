"""Publishing to PostgreSQL/PostGIS for QGIS, Power BI and SQL: the published tables (`tables`,
from a `Publication`, already through the disclosure step) written into a fresh schema and
swapped in for the previous publication in one transaction (`write`; docs/publish.md)."""

from boligsocial.outputs.postgis.tables import Table, tables
from boligsocial.outputs.postgis.write import MARKER, check_schema_name, masked, publish, scrub

__all__ = ["MARKER", "Table", "check_schema_name", "masked", "publish", "scrub", "tables"]

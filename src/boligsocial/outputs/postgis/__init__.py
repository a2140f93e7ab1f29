"""Publishing to PostgreSQL/PostGIS for QGIS, Power BI and SQL: the published tables (`tables`,
from a `Publication`, already through the disclosure step) written into a fresh schema and
swapped in for the previous publication in one transaction (`write`; docs/publish.md): each
table written by COPY (`copying`), the checks before (`checks`), the grants carried over and the
old tables locked (`swap`), and no password in what is said (`urls`)."""

from boligsocial.outputs.postgis.checks import MARKER, check_schema_name
from boligsocial.outputs.postgis.tables import Table, tables
from boligsocial.outputs.postgis.urls import masked, scrub
from boligsocial.outputs.postgis.write import publish

__all__ = ["MARKER", "Table", "check_schema_name", "masked", "publish", "scrub", "tables"]

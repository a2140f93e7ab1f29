"""Exports of the published figures: GeoPackage, GeoJSON, Excel, CSV and PDF reports.

Every export is made from a `Publication` (the service's answers for one explicit audience), so it
passes the same disclosure step as the dashboard, says which audience it was made for and carries
its provenance, with labels and disclosure note from that audience's policy (`notes`).
"""

from boligsocial.outputs.export.audience import AudienceRefused, audience_for, viewer_of
from boligsocial.outputs.export.formats import DEFAULT_AUDIENCE, FORMATS, MEDIA_TYPES, export, publication
from boligsocial.outputs.export.notes import at_least_as_strict
from boligsocial.outputs.export.published import Publication
from boligsocial.publish.service import Viewer

__all__ = [
    "DEFAULT_AUDIENCE",
    "FORMATS",
    "MEDIA_TYPES",
    "AudienceRefused",
    "Publication",
    "Viewer",
    "at_least_as_strict",
    "audience_for",
    "export",
    "publication",
    "viewer_of",
]

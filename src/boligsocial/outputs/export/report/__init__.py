"""The PDF reports: an *områdeprofil* for one area (`profile`) and an *årsstatus* for the whole
municipality (`status`), each a Jinja template (`templates/`) inside the page both share
(`templates/base.html`, `report.css`), rendered by WeasyPrint (`document`) to a tagged PDF, with
figures written by `figures`, charts (`charts`) and maps (`maps`) as SVG, and what they show in
`style`; `profile_html` and `status_html` give the HTML a PDF is printed from. Words are in the
`report.…` message catalogues (common/locale/*/report.po)."""

from boligsocial.outputs.export.report.profile import area_profile, profile_html
from boligsocial.outputs.export.report.status import annual_status, status_html

__all__ = ["annual_status", "area_profile", "profile_html", "status_html"]

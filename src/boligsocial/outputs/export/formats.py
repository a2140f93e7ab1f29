"""The formats an export writes (GeoPackage, GeoJSON, Excel, CSV, PDF) and the one way to write
any of them: `export` from a `Publication` made by `publication` for an audience."""

from __future__ import annotations

from pathlib import Path

from boligsocial.common.errors import InvalidParameter
from boligsocial.common.files import private_files, restrict
from boligsocial.common.words import LANGUAGES
from boligsocial.outputs.export.audience import viewer_of
from boligsocial.outputs.export.published import Publication
from boligsocial.publish.disclosure import Policy, load_policies
from boligsocial.publish.service import Service

#: The export formats and the media type each is served as.
MEDIA_TYPES = {
    "gpkg": "application/geopackage+sqlite3",
    "geojson": "application/geo+json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
}
FORMATS = tuple(MEDIA_TYPES)
#: Who a file made on the command line is published for when no audience is named: the operator
#: holds the database itself, but the file leaves the system.
DEFAULT_AUDIENCE = "staff"


def publication(db: Path, role: str | None, policies: dict[str, Policy] | None = None) -> Publication:
    """The published tables of `db` for a role (staff, the default policy, when None), with the
    installation's `policies` (the shipped ones when None)."""
    policies = policies if policies is not None else load_policies()
    return Publication.of(Service(db, policies=policies), viewer_of(role or DEFAULT_AUDIENCE, policies))


def export(
    pub: Publication,
    fmt: str,
    out: Path,
    *,
    year: int | None = None,
    layer: str = "omraade",
    area: str | None = None,
    lang: str = "da",
) -> list[Path]:
    """Write one export in `lang` (da, the default, or en: the words of the workbook, the field
    descriptions and the report; column ids and numbers are the same in both); the files written,
    with the tool's file mode (0600 unless BSM_FILE_MODE says otherwise). PDF: an områdeprofil with
    `area`, else an årsstatus."""
    with private_files():
        written = _export(pub, fmt, out, year=year, layer=layer, area=area, lang=lang)
    for path in written:
        restrict(path)  # a file that existed before keeps its old mode otherwise
    return written


def _export(
    pub: Publication,
    fmt: str,
    out: Path,
    *,
    year: int | None,
    layer: str,
    area: str | None,
    lang: str = "da",
) -> list[Path]:
    if fmt not in FORMATS:
        raise InvalidParameter(
            "unknown-format", f"format '{fmt}'?", {"allowed": list(FORMATS)}, params={"format": fmt}
        )
    if lang not in LANGUAGES:
        raise InvalidParameter(
            "unknown-language", f"language '{lang}'?", {"allowed": list(LANGUAGES)}, params={"lang": lang}
        )
    svc = pub.service
    svc.valid_layer(layer)
    years = [svc.valid_year(year, pub.data_years)] if year is not None else pub.data_years
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "gpkg":
        from boligsocial.outputs.export.gis import write_gpkg

        write_gpkg(pub, layer, years, out, lang)
    elif fmt == "geojson":
        from boligsocial.outputs.export.gis import write_geojson

        return write_geojson(pub, layer, years, out, lang)
    elif fmt == "csv":
        from boligsocial.outputs.export.gis import csv_text

        out.write_text(csv_text(pub, layer, years), encoding="utf-8")
    elif fmt == "xlsx":
        from boligsocial.outputs.export.excel import write_xlsx

        write_xlsx(pub, layer, years, out, lang)
    else:
        from boligsocial.outputs.export.report import annual_status, area_profile

        last = years[-1]
        if area is not None:
            area_profile(pub, layer, area, last, out, lang)
        else:
            annual_status(pub, layer, last, out, lang)
    return [out]

"""Exports opened with independent readers: GeoPackage (pyogrio), GeoJSON (json), Excel (openpyxl),
CSV (polars) and PDF (pypdf); content, CRS, provenance, and that no hidden figure leaks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pyogrio
import pytest
import shapely
from pypdf import PdfReader

from boligsocial.export import export, publication
from boligsocial.export.published import Publication
from conftest import client_for

HIDDEN = ("small", "suppressed")


@pytest.fixture(scope="module")
def staff(example_db: Path) -> Publication:
    return publication(example_db, "staff")


@pytest.fixture(scope="module")
def gpkg(staff: Publication, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gpkg") / "omraader.gpkg"
    export(staff, "gpkg", out)
    return out


def _indicator_ids(pub: Publication) -> list[str]:
    return [i["id"] for i in pub.indicators]


def test_geopackage_has_areas_per_year_in_25832_with_field_docs_and_provenance(
    gpkg: Path, staff: Publication
) -> None:
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert layers == {"omraade", "indikatorer", "provenance"}
    info = pyogrio.read_info(gpkg, layer="omraade")
    assert info["crs"] == "EPSG:25832" and info["geometry_type"] == "MultiPolygon"
    areas = staff.service.snap.area_names.filter(pl.col("layer") == "omraade").height
    # every area of every year (boundary versions: the same count each year in the example)
    assert info["features"] == areas * len(staff.data_years)
    meta, _, geometry, _ = pyogrio.raw.read(gpkg, layer="omraade")
    names = list(meta["fields"])
    assert {"area_id", "name", "year", "category", "light_kriterier", *_indicator_ids(staff)} <= set(names)
    assert shapely.is_valid(shapely.from_wkb(geometry)).all()
    docs = dict(zip(*pyogrio.raw.read(gpkg, layer="indikatorer")[3], strict=True))
    assert docs["outside_labour_18_64"].startswith("Uden for arbejdsmarked")
    with sqlite3.connect(gpkg) as db:  # Danish field aliases for QGIS (GeoPackage schema extension)
        aliases = dict(
            db.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'omraade'")
        )
        assert db.execute(
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_schema'"
        ).fetchone()
    db.close()
    assert aliases["outside_labour_18_64"] == docs["outside_labour_18_64"] and aliases["year"].startswith(
        "Dataår"
    )
    prov = dict(zip(*pyogrio.raw.read(gpkg, layer="provenance")[3], strict=True))
    assert prov["delivery_fingerprint"] == staff.service.snap.meta["last_fingerprint"]
    assert prov["audience"] == "staff" and "rates on fewer than 20" in prov["disclosure_policy"]
    assert prov["tool"].startswith("boligsocial ") and prov["rule_sets"]


def test_geopackage_values_are_the_published_ones_and_hidden_cells_are_empty(
    gpkg: Path, staff: Publication
) -> None:
    meta, _, _, fields = pyogrio.raw.read(gpkg, layer="omraade")
    table = dict(zip(meta["fields"], fields, strict=True))
    last = staff.data_years[-1]
    published = staff.service.values("omraade", "outside_labour_18_64", last, staff.viewer)
    by_area = {a["area_id"]: a for a in published["areas"]}
    checked = hidden = 0
    for i, area_id in enumerate(table["area_id"]):
        for ind in _indicator_ids(staff):
            if table[f"{ind}_state"][i] in HIDDEN:
                value = table[ind][i]
                assert value is None or np.isnan(value), (area_id, ind)  # no hidden figure leaks
                hidden += 1
        if table["year"][i] == last:
            expect = by_area[area_id]
            got = table["outside_labour_18_64"][i]
            if expect["value"] is None:
                assert np.isnan(got)
            else:
                assert got == pytest.approx(100 * expect["value"])  # shares in percent
            checked += 1
    assert checked == len(by_area) and hidden > 0  # the small example has hidden cells to check


def test_geojson_in_25832_and_wgs84_with_provenance(staff: Publication, tmp_path: Path) -> None:
    last = staff.data_years[-1]
    native, wgs84 = export(staff, "geojson", tmp_path / "omraader.geojson", year=last)
    assert wgs84.name == "omraader.wgs84.geojson"
    a, b = json.loads(native.read_text()), json.loads(wgs84.read_text())
    assert a["crs"]["properties"]["name"].endswith("25832") and "crs" not in b
    assert a["provenance"]["data_years"] and b["provenance"] == a["provenance"]
    assert len(a["features"]) == len(b["features"]) > 0
    x, y = shapely.geometry.shape(a["features"][0]["geometry"]).representative_point().coords[0]
    lon, lat = shapely.geometry.shape(b["features"][0]["geometry"]).representative_point().coords[0]
    assert 300_000 < x < 900_000 and 6_000_000 < y < 6_500_000  # UTM 32N metres in Denmark
    assert 7 < lon < 16 and 54 < lat < 58  # degrees
    for f in a["features"]:
        p = f["properties"]
        assert p["year"] == last
        for ind in _indicator_ids(staff):
            if p[f"{ind}_state"] in HIDDEN:
                assert p[ind] is None


def test_excel_workbook_sheets_headers_formats_and_documentation(staff: Publication, tmp_path: Path) -> None:
    out = tmp_path / "omraader.xlsx"
    export(staff, "xlsx", out)
    wb = openpyxl.load_workbook(out)
    assert {"Arbejdsmarked", "Demografi", "Lister", "Trafiklys", "Flytninger", "Dokumentation"} <= set(
        wb.sheetnames
    )
    ws = wb["Arbejdsmarked"]
    assert ws.freeze_panes == "D4"
    assert ws["A2"].value == "Område" and ws["C2"].value == "Dataår"
    assert ws["D2"].value.startswith("Uden for arbejdsmarked") and ws["D3"].value == "procent"
    assert "dataår" in ws["A1"].value
    numbers = [r[3] for r in ws.iter_rows(min_row=4, values_only=False) if isinstance(r[3].value, float)]
    assert numbers and all(c.number_format == "0.0%" and 0 <= c.value <= 1 for c in numbers)
    texts = {r[3].value for r in ws.iter_rows(min_row=4) if isinstance(r[3].value, str)}
    assert texts <= {"<5", "ikke vist", ""}
    # the same figure as the API publishes for this audience
    last = staff.data_years[-1]
    published = staff.service.values("omraade", "outside_labour_18_64", last, staff.viewer)
    name_of = {a["area_id"]: a["name"] for a in published["areas"]}
    shown = {(r[0].value, r[2].value): r[3].value for r in ws.iter_rows(min_row=4)}
    for a in published["areas"]:
        cell = shown[(name_of[a["area_id"]], last)]
        if a["value"] is None:
            assert isinstance(cell, str)
        else:
            assert cell == pytest.approx(a["value"])
    docs = [c.value for c in wb["Dokumentation"]["A"]]
    assert set(_indicator_ids(staff)) <= set(docs)
    assert "Diskretionsregler" in docs and "delivery_fingerprint" in docs


def test_csv_carries_provenance_lines_and_reads_with_a_comment_prefix(
    staff: Publication, tmp_path: Path
) -> None:
    out = tmp_path / "omraader.csv"
    export(staff, "csv", out, year=staff.data_years[-1])
    head = out.read_text().splitlines()[:3]
    assert head[0].startswith("# tool: boligsocial")
    table = pl.read_csv(out, comment_prefix="#", infer_schema_length=None)
    assert table.height > 0 and "geometry" not in table.columns
    assert set(table.get_column("year").to_list()) == {staff.data_years[-1]}


def _pdf_pages(path: Path) -> list[str]:
    return [p.extract_text() for p in PdfReader(path).pages]


def test_area_profile_pdf(staff: Publication, tmp_path: Path) -> None:
    out = tmp_path / "profil.pdf"
    export(staff, "pdf", out, area="fjordby-engparken")
    pages = _pdf_pages(out)
    assert len(pages) == 4
    last = staff.data_years[-1]
    for n, text in enumerate(pages, start=1):
        assert f"Side {n} af 4" in text and f"dataår {last}" in text and "Områdeprofil: Engparken" in text
        assert "målgruppe staff" in text
    assert "Nøgletal" in pages[0] and "Kommunen" in pages[0]
    assert "Kriterium" in pages[1] and "Margin" in pages[1] and "Prognose" in pages[1]
    assert "Beboere" in pages[2]
    assert "Til- og fraflytning" in pages[3] and "Udskiftning" in pages[3]


def test_annual_status_pdf_lists_every_almen_area(staff: Publication, tmp_path: Path) -> None:
    out = tmp_path / "status.pdf"
    export(staff, "pdf", out)
    pages = _pdf_pages(out)
    text = "\n".join(pages)
    almen = staff.service.snap.area_names.filter((pl.col("layer") == "omraade") & (pl.col("kind") == "almen"))
    for name in almen.get_column("name").to_list():
        assert name in text
    fingerprint = staff.provenance()["delivery_fingerprint"][:16]
    assert "Metode og datagrundlag" in pages[-1] and fingerprint in pages[-1]
    assert all(f"Side {n} af {len(pages)}" in p for n, p in enumerate(pages, start=1))


def test_a_stricter_audience_hides_more_and_never_shows_a_hidden_cell(
    example_db: Path, tmp_path: Path
) -> None:
    counts = {}
    for role in ("analyst", "public"):
        pub = publication(example_db, "anonymous" if role == "public" else role)
        out = tmp_path / f"{role}.gpkg"
        export(pub, "gpkg", out, year=pub.data_years[-1])
        meta, _, _, fields = pyogrio.raw.read(out, layer="omraade")
        table = dict(zip(meta["fields"], fields, strict=True))
        hidden = 0
        for ind in _indicator_ids(pub):
            states, values = table[f"{ind}_state"], table[ind]
            for s, v in zip(states, values, strict=True):
                if s in HIDDEN:
                    hidden += 1
                    assert v is None or np.isnan(v)
        counts[role] = hidden
    assert counts["public"] > counts["analyst"]


def test_bsm_export_command(example_db: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from boligsocial.cli import app

    runner = CliRunner()
    out = tmp_path / "x.xlsx"
    ok = runner.invoke(app, ["export", "--db", str(example_db), "--format", "xlsx", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert out.is_file() and "målgruppe staff" in ok.output
    bad = runner.invoke(app, ["export", "--db", str(example_db), "--format", "docx", "--out", str(out)])
    assert bad.exit_code == 1 and "format 'docx'" in bad.output
    who = runner.invoke(
        app, ["export", "--db", str(example_db), "--format", "csv", "--out", str(out), "--audience", "king"]
    )
    assert who.exit_code == 1 and "unknown audience 'king'" in who.output
    pdf = str(tmp_path / "p.pdf")
    area = runner.invoke(
        app, ["export", "--db", str(example_db), "--format", "pdf", "--area", "nowhere", "--out", pdf]
    )
    assert area.exit_code == 1 and "nowhere" in area.output


def test_dashboard_downloads_for_roles_that_may_export(web) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for(web, "analyst")
    r = analyst.get("/api/v1/export/xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="boligsocial_omraade.xlsx"' in r.headers["content-disposition"]
    pdf = analyst.get("/api/v1/export/pdf?area=fjordby-engparken")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    geo = analyst.get("/api/v1/export/geojson?crs=wgs84&year=2025")
    assert geo.status_code == 200 and "crs" not in geo.json()
    assert client_for(web, "staff").get("/api/v1/export/gpkg").status_code == 403
    assert client_for(web, "politician").get("/api/v1/export/pdf").status_code == 403
    bad = analyst.get("/api/v1/export/docx")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "unknown-format"
    app, _ = web
    events = [e["target"] for e in app.state.access.audit(event="export")]
    assert any(str(t).startswith("xlsx omraade") for t in events)

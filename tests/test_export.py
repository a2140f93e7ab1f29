"""Exports opened with independent readers: GeoPackage (pyogrio), GeoJSON (json), Excel (openpyxl),
CSV (polars) and PDF (pypdf); content, CRS, provenance, and that no hidden figure leaks; that every
file is published for an explicit audience, never a laxer one than the requester's, with the labels
and the disclosure note of that audience's policy, and that an analyst file says it is confidential."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from dataclasses import fields, replace
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import polars as pl
import pyogrio
import pytest
import shapely
from pypdf import PdfReader

from boligsocial.common.errors import InvalidParameter
from boligsocial.common.words import catalogue_entries, words
from boligsocial.outputs.export import AudienceRefused, at_least_as_strict, audience_for, export, publication
from boligsocial.outputs.export.notes import (
    EXACT_WARNING,
    LIMITS,
    WEAKER_WARNING,
    disclosure_note,
    note_text,
    warning,
)
from boligsocial.outputs.export.published import Publication
from boligsocial.outputs.export.report import profile_html, status_html
from boligsocial.outputs.export.report.charts import Line, line_chart
from boligsocial.outputs.export.report.style import OWN
from boligsocial.publish.disclosure import Policy, load_policies, shipped_policies
from boligsocial.publish.service import Service, Viewer
from boligsocial.publish.service.narrative import list_sentences
from conftest import client_for

#: The tests on the example database (files of every format, the dashboard's downloads, the
#: protections of a stricter policy) are slow; the rules of audiences, policies, notes and charts
#: run in the quick round too.
ON_THE_EXAMPLE = pytest.mark.slow

HIDDEN = ("small", "suppressed")
WARNING = EXACT_WARNING["da"]
LABEL = re.compile(r"<\d+")
#: A small area of the example (7 residents in its last data year): a count of 1–9.
TINY = "fjordby-vester-nebel"


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


@ON_THE_EXAMPLE
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
    assert prov["audience"] == "staff" and "rate or mean on fewer than 20" in prov["disclosure_policy"]
    assert "warning" not in prov and "'<5'" in prov["disclosure_policy_da"]
    assert prov["tool"].startswith("boligsocial ") and prov["rule_sets"]


@ON_THE_EXAMPLE
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


@ON_THE_EXAMPLE
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


@ON_THE_EXAMPLE
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
    assert wb.sheetnames[0] == "Demografi" and "målgruppe staff" in wb["Demografi"]["A1"].value
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


@ON_THE_EXAMPLE
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


@ON_THE_EXAMPLE
def test_area_profile_pdf(staff: Publication, tmp_path: Path) -> None:
    out = tmp_path / "profil.pdf"
    export(staff, "pdf", out, area="fjordby-engparken")
    pages = _pdf_pages(out)
    assert len(pages) == 4
    last = staff.data_years[-1]
    for n, text in enumerate(pages, start=1):
        assert f"Side {n} af 4" in text and f"dataår {last}" in text and "Områdeprofil: Engparken" in text
        assert f"målgruppe {words('da')('role.staff')}" in text  # the audience by name, not id
    assert "Nøgletal" in pages[0] and "Kommunen" in pages[0]
    assert "Kriterium" in pages[1] and "Margin" in pages[1] and "Prognose" in pages[1]
    assert "Beboere" in pages[2]
    assert "Til- og fraflytning" in pages[3] and "Udskiftning" in pages[3]


@ON_THE_EXAMPLE
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


def _roles(node: Any, found: dict[str, int], alts: list[str]) -> None:
    """The structure types of a tagged PDF's tree (with how often each occurs) and the
    alternative texts of its figures."""
    node = node.get_object()
    if isinstance(node, list):
        for child in node:
            _roles(child, found, alts)
        return
    if not hasattr(node, "get"):
        return  # a marked-content id: a leaf
    role = node.get("/S")
    if role is not None:
        found[str(role)] = found.get(str(role), 0) + 1
        if role == "/Figure":
            alts.append(str(node.get("/Alt", "")))
    if "/K" in node:
        _roles(node["/K"], found, alts)


def _images(resources: Any) -> int:
    """Raster images among a page's resources, forms drawn on it included."""
    count = 0
    for ref in (resources or {}).get("/XObject", {}).values():
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Image":
            count += 1
        elif xobject.get("/Subtype") == "/Form":
            count += _images(xobject.get("/Resources"))
    return count


@ON_THE_EXAMPLE
@pytest.mark.parametrize(("name", "area", "title"), [
    ("profil", "fjordby-engparken", "Områdeprofil: Engparken"),
    ("status", None, "Årsstatus 20"),
])  # fmt: skip
def test_a_report_is_a_tagged_pdf_with_its_charts_and_maps_as_vectors(
    staff: Publication, tmp_path: Path, name: str, area: str | None, title: str
) -> None:
    out = tmp_path / f"{name}.pdf"
    export(staff, "pdf", out, area=area)
    reader = PdfReader(out)
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and root["/Lang"] == "da"  # tagged, in Danish
    roles: dict[str, int] = {}
    alts: list[str] = []
    _roles(root["/StructTreeRoot"], roles, alts)
    assert {"/H1", "/H2", "/Table", "/TH", "/TD", "/Figure", "/P"} <= set(roles), roles
    assert roles["/H1"] == 1 and roles["/H2"] >= len(reader.pages)  # a heading for every page
    assert alts and all(alt.strip() for alt in alts)  # every chart and map says what it shows
    assert sum(_images(page.get("/Resources")) for page in reader.pages) == 0  # vectors, no raster
    assert str(reader.metadata.title).startswith(title) and reader.metadata.creator.startswith("boligsocial")
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()  # PDF/UA-1


def _danish_only(also_english: list[str]) -> list[str]:
    """The Danish words of the catalogues a report speaks from that no English text says (their
    English messages, and `also_english`): each message split at its parameters, pieces of three
    letters or more."""
    rooms = ("report.po", "vocabulary.po", "narrative.po")
    da = {k: t for k, t, source in catalogue_entries("da") if source in rooms}
    en = {k: t for k, t, source in catalogue_entries("en") if source in rooms}
    english = " ".join([*en.values(), *also_english])
    pieces = {
        piece.strip(" ·:;,.()'–-")
        for key, text in da.items()
        if text != en[key]
        for piece in re.split(r"\{\w+\}", text)
    }
    return sorted(p for p in pieces if len(p) >= 3 and not _has(english, p))


def _has(text: str, piece: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", text) is not None


@ON_THE_EXAMPLE
def test_an_english_report_has_no_danish_words_from_the_catalogue(staff: Publication, tmp_path: Path) -> None:
    # the indicators' English names may name the Danish term: "Share living in social housing (almen)"
    danish = _danish_only([i["label_en"] for i in staff.indicators])
    assert len(danish) > 100 and "Metode og datagrundlag" in danish
    for name, area in (("profile", "fjordby-engparken"), ("status", None)):
        out = tmp_path / f"{name}.en.pdf"
        export(staff, "pdf", out, area=area, lang="en")
        pages = _pdf_pages(out)
        text = _flat(" ".join(pages))
        assert [p for p in danish if _has(text, p)] == []
        assert all(f"Page {n} of {len(pages)}" in p for n, p in enumerate(pages, start=1))
        assert (
            f"audience {words('en')('role.staff')}" in text
            and PdfReader(out).trailer["/Root"]["/Lang"] == "en"
        )
    assert "Methods and data" in text and "Counts of 1–4 persons are shown as '<5'" in text


def _svg_texts(html: str) -> list[str]:
    """Every text of every SVG (chart and map) in a report's HTML: its labels and its title."""
    svgs = re.findall(r"<svg\b.*?</svg>", html, re.S)
    return [unescape(t) for svg in svgs for _, t in re.findall(r"<(text|title)\b[^>]*>(.*?)</\1>", svg, re.S)]


def test_a_chart_writes_round_ticks_and_years_never_the_values_it_draws() -> None:
    say = words("da")
    points = [(2020, 37.3), (2021, 41.9), (2022, 12345.6)]
    svg = line_chart([Line("Engparken", OWN, points)], title="Beboere", unit="antal", number=say.number)
    assert svg is not None
    texts = _svg_texts(svg)
    assert {"2020", "2022", "antal", "Beboere"} <= set(texts) and "12.500" in texts
    assert not {say.number(v, d) for _, v in points for d in (0, 1)} & set(texts)
    assert line_chart([Line("Engparken", OWN, [])], title="x", unit="", number=say.number) is None


@ON_THE_EXAMPLE
def test_no_hidden_figure_is_drawn_or_written_in_a_chart_or_map(
    nine: Publication, analyst: Publication
) -> None:
    last = nine.data_years[-1]
    hidden = profile_html(nine, "omraade", TINY, last)
    shown = profile_html(analyst, "omraade", TINY, last)
    line = f'stroke="{OWN}"'  # the area's own line in its series
    assert line in shown and line not in hidden  # every figure of the small area is hidden from staff
    exact = analyst.service.series("omraade", TINY, "residents", analyst.viewer)["area_series"]
    counts = {words("da").number(p["value"]) for p in exact if p.get("value") is not None}
    texts = _svg_texts(hidden)
    assert counts and not counts & set(texts) and _labels(texts) <= {"<10"}
    status = _svg_texts(status_html(nine, "omraade", last))
    assert status and _labels(status) <= {"<10"}  # a map carries only its title


@ON_THE_EXAMPLE
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


@ON_THE_EXAMPLE
def test_bsm_export_command(example_db: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from boligsocial.outputs.cli import app

    runner = CliRunner()
    out = tmp_path / "x.xlsx"
    ok = runner.invoke(app, ["export", "--db", str(example_db), "--format", "xlsx", "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    assert out.is_file() and f"målgruppe {words('da')('role.staff')}" in ok.output  # by name
    bad = runner.invoke(app, ["export", "--db", str(example_db), "--format", "docx", "--out", str(out)])
    assert bad.exit_code == 1 and "format 'docx'" in bad.output
    who = runner.invoke(
        app, ["export", "--db", str(example_db), "--format", "csv", "--out", str(out), "--audience", "king"]
    )
    assert who.exit_code == 1 and words("da")("error.unknown-audience", role="king") in who.output
    pdf = str(tmp_path / "p.pdf")
    area = runner.invoke(
        app, ["export", "--db", str(example_db), "--format", "pdf", "--area", "nowhere", "--out", pdf]
    )
    assert area.exit_code == 1 and "nowhere" in area.output


@ON_THE_EXAMPLE
def test_dashboard_downloads_for_roles_that_may_export(web) -> None:  # type: ignore[no-untyped-def]
    analyst = client_for(web, "analyst")
    r = analyst.get("/api/v1/export/xlsx")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="boligsocial_omraade_analyst.xlsx"' in r.headers["content-disposition"]
    # the file in the language of the page that asked for it
    sheets = {
        lang: openpyxl.load_workbook(
            io.BytesIO(analyst.get(f"/api/v1/export/xlsx?lang={lang}").content)
        ).sheetnames
        for lang in ("da", "en")
    }
    assert sheets["da"] == openpyxl.load_workbook(io.BytesIO(r.content)).sheetnames  # Danish by default
    english = {text for _, text, _ in catalogue_entries("en")}
    danish_only = {text for _, text, _ in catalogue_entries("da")} - english
    assert set(sheets["en"]) & english and not set(sheets["en"]) & danish_only
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
    assert any(str(t).startswith("xlsx omraade") and str(t).endswith("for analyst") for t in events)


# --- the audience and its policy -----------------------------------------------------------------


@pytest.fixture(scope="module")
def nine_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An installation's policy that hides counts of 1–9 (label "<10") for everyone but analysts."""
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text("[default]\nsmall_count_max = 9\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nine(example_db: Path, nine_file: Path) -> Publication:
    """The staff publication of the example under the policy hiding 1–9."""
    policies = load_policies(nine_file)
    return Publication.of(Service(example_db, policies=policies), Viewer("staff", policies["default"]))


@pytest.fixture(scope="module")
def analyst(example_db: Path) -> Publication:
    return publication(example_db, "analyst")


def _labels(texts: list[str]) -> set[str]:
    return {label for text in texts for label in LABEL.findall(text)}


def _strings(path: Path) -> list[str]:
    wb = openpyxl.load_workbook(path)
    return [
        v for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str)
    ]


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_stricter_means_every_limit_at_least_as_high_and_differencing_kept() -> None:
    shipped = shipped_policies()
    default, analyst, public = shipped["default"], shipped["analyst"], shipped["public"]
    assert at_least_as_strict(public, default) and at_least_as_strict(default, analyst)
    assert at_least_as_strict(default, default) and at_least_as_strict(public, analyst)
    assert not at_least_as_strict(analyst, default) and not at_least_as_strict(default, public)
    for limit in LIMITS:  # one limit lower is laxer, one higher is stricter
        assert not at_least_as_strict(replace(default, **{limit: getattr(default, limit) - 1}), default)
        assert at_least_as_strict(replace(default, **{limit: getattr(default, limit) + 1}), default)
    assert not at_least_as_strict(replace(default, complementary=False), default)
    assert at_least_as_strict(replace(analyst, complementary=True), analyst)
    assert at_least_as_strict(replace(default, small_count_display="round"), default)  # how, not whether
    # which files carry a warning: exact counts, or any setting laxer than the default policy
    assert warning(analyst, default) == WARNING and warning(default, default) is None
    assert warning(public, default) is None and warning(analyst, default, "en").startswith("CONFIDENTIAL")
    assert warning(replace(default, complementary=False), default) == WEAKER_WARNING["da"]
    # every whole-number setting is a limit the definition weighs
    assert {f.name for f in fields(Policy) if f.type in (int, "int")} == set(LIMITS)


def test_a_file_is_for_the_requesters_own_audience_or_a_stricter_one() -> None:
    policies = shipped_policies()
    admin = Viewer("admin", policies["default"], "admin")
    analyst = Viewer("analyst", policies["analyst"], "analytiker")
    assert audience_for(admin, None, policies) is admin and audience_for(analyst, None, policies) is analyst
    for role, policy in (("staff", "default"), ("politician", "default"), ("anonymous", "public")):
        made = audience_for(admin, role, policies)
        assert made.role == role and made.policy == policies[policy] and made.username == "admin"
    for role in ("analyst", "staff", "politician", "housing_association", "anonymous"):
        assert audience_for(analyst, role, policies).role == role
    with pytest.raises(AudienceRefused) as refused:
        audience_for(admin, "analyst", policies)
    assert refused.value.status == 403 and refused.value.code == "audience-not-allowed"
    allowed = refused.value.detail["allowed"]
    assert isinstance(allowed, list) and "analyst" not in allowed and "anonymous" in allowed
    public = Viewer("anonymous", policies["public"])
    with pytest.raises(AudienceRefused):
        audience_for(public, "staff", policies)
    with pytest.raises(InvalidParameter, match="unknown audience 'king'"):
        audience_for(admin, "king", policies)


def test_the_disclosure_note_describes_the_policy_truthfully() -> None:
    shipped = shipped_policies()
    exact = note_text(shipped["analyst"])
    assert "1–0" not in exact and "under 0 beboere" not in exact and "eksakt" in exact
    assert "ingen mindstestørrelse" in exact and "trække offentliggjorte tal fra hinanden" not in exact
    english = note_text(shipped["analyst"], "en")
    assert "1–0" not in english and "under 0 residents" not in english and "no minimum area size" in english
    default = note_text(shipped["default"])
    assert "Antal på 1–4 personer vises som '<5'" in default and "Områder under 100 beboere" in default
    assert "trække offentliggjorte tal fra hinanden" in default
    rounded = note_text(replace(shipped["default"], small_count_max=9, small_count_display="round"))
    assert "afrundet op til 10" in rounded and "<" not in rounded
    one = replace(shipped["default"], small_count_max=1)
    assert disclosure_note(one)[0] == ("Små antal", "Antal på 1 person vises som '<2'.")


@ON_THE_EXAMPLE
def test_a_policy_hiding_1_to_9_labels_every_small_count_in_excel_and_pdf_as_under_10(
    nine: Publication, tmp_path: Path
) -> None:
    book = tmp_path / "nine.xlsx"
    export(nine, "xlsx", book, year=nine.data_years[-1])
    strings = _strings(book)
    assert _labels(strings) == {"<10"}  # the topic sheets, Lister, Flytninger and the documentation
    assert "'<10' = lille antal; 'ikke vist' = skjult af diskretionshensyn; tom = ingen data." in strings
    assert not any("FORTROLIGT" in text for text in strings)  # a staff file may be passed on
    profile = tmp_path / "tiny.pdf"
    export(nine, "pdf", profile, area=TINY)
    pages = _pdf_pages(profile)
    assert "Beboere <10" in pages[0] and _labels(pages) == {"<10"}
    status = tmp_path / "status.pdf"
    export(nine, "pdf", status)
    text = "\n".join(_pdf_pages(status))
    assert _labels([text]) <= {"<10"} and "'<10'" in _flat(text) and "1–9 personer" in _flat(text)
    gpkg = tmp_path / "nine.gpkg"
    export(nine, "gpkg", gpkg, year=nine.data_years[-1])
    docs = dict(zip(*pyogrio.raw.read(gpkg, layer="indikatorer")[3], strict=True))
    assert "vises som <10" in docs["residents_state"] and _labels(list(docs.values())) == {"<10"}


@ON_THE_EXAMPLE
def test_the_narrative_of_a_small_area_says_the_policys_label(nine: Publication) -> None:
    sentences = nine.service.profile("omraade", TINY, "da", nine.viewer)["sentences"]
    assert sentences[0] == "Området har under 10 beboere; af hensyn til diskretion vises kun beboertallet."
    assert not any("under 5" in s for s in sentences)
    english = nine.service.profile("omraade", TINY, "en", nine.viewer)["sentences"]
    assert english[0].startswith("The area has fewer than 10 residents")
    # a hidden count with no label (it could be pinned) is not described by a number at all
    row = {"state": "suppressed", "residents": None, "residents_label": None}
    assert list_sentences(row, "da", nine.policy) == [
        "Området er for lille (under 100 beboere) til at vise dets tal; af hensyn til diskretion vises de "
        "ikke."
    ]
    assert list_sentences({**row, "residents": 57})[0].startswith("Området har 57 beboere")


@ON_THE_EXAMPLE
def test_an_analyst_file_starts_with_the_warning_and_its_note_has_no_empty_limits(
    analyst: Publication, tmp_path: Path
) -> None:
    last = analyst.data_years[-1]
    csv = tmp_path / "a.csv"
    export(analyst, "csv", csv, year=last)
    first = csv.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith(f"# {WARNING}") and "CONFIDENTIAL" in first
    assert pl.read_csv(csv, comment_prefix="#", infer_schema_length=None).height > 0  # still reads
    book = tmp_path / "a.xlsx"
    export(analyst, "xlsx", book, year=last)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[0] == "FORTROLIGT" and wb.worksheets[0]["A1"].value == WARNING
    assert all(str(ws["A1"].value).startswith("FORTROLIGT") for ws in wb.worksheets)
    note = " ".join(_strings(book))
    assert "1–0" not in note and "under 0 beboere" not in note and "Antal vises eksakt" in note
    assert "ingen mindstestørrelse" in note and "hinanden" not in note  # no protection against differencing
    pdf = tmp_path / "a.pdf"
    export(analyst, "pdf", pdf, area="fjordby-engparken")
    pages = _pdf_pages(pdf)
    assert pages[0].startswith(WARNING) and all(WARNING in _flat(p) for p in pages)
    status = tmp_path / "status.pdf"
    export(analyst, "pdf", status)
    methods = _flat(_pdf_pages(status)[-1])
    assert "1–0" not in methods and "under 0 beboere" not in methods and "Antal vises eksakt" in methods
    native, _ = export(analyst, "geojson", tmp_path / "a.geojson", year=last)
    provenance = json.loads(native.read_text(encoding="utf-8"))["provenance"]
    assert next(iter(provenance)) == "warning" and provenance["warning"].startswith(WARNING)
    assert provenance["audience"] == "analyst" and "1–0" not in provenance["disclosure_policy"]
    gpkg = tmp_path / "a.gpkg"
    export(analyst, "gpkg", gpkg, year=last)
    keys, values = pyogrio.raw.read(gpkg, layer="provenance")[3]
    assert keys[0] == "warning" and values[0].startswith(WARNING)
    assert pyogrio.read_info(gpkg, layer="omraade")["layer_metadata"]["DESCRIPTION"].startswith(WARNING)


@ON_THE_EXAMPLE
def test_a_staff_file_carries_no_warning(staff: Publication, gpkg: Path, tmp_path: Path) -> None:
    csv = tmp_path / "s.csv"
    export(staff, "csv", csv, year=staff.data_years[-1])
    assert "FORTROLIGT" not in csv.read_text(encoding="utf-8")
    keys, _ = pyogrio.raw.read(gpkg, layer="provenance")[3]
    assert "warning" not in list(keys)
    pdf = tmp_path / "s.pdf"
    export(staff, "pdf", pdf, area="fjordby-engparken")
    assert not any("FORTROLIGT" in p for p in _pdf_pages(pdf))


@ON_THE_EXAMPLE
def test_the_download_is_for_the_callers_role_and_never_a_laxer_audience(web) -> None:  # type: ignore[no-untyped-def]
    analyst, admin = client_for(web, "analyst"), client_for(web, "admin")
    own = analyst.get("/api/v1/export/csv?year=2025")
    assert own.status_code == 200 and own.text.startswith(f"# {WARNING}")
    assert "# audience: analyst" in own.text and "_analyst.csv" in own.headers["content-disposition"]
    shared = analyst.get("/api/v1/export/geojson?year=2025&audience=staff")
    assert shared.status_code == 200 and shared.json()["provenance"]["audience"] == "staff"
    assert "warning" not in shared.json()["provenance"]
    mine = admin.get("/api/v1/export/csv?year=2025")
    assert mine.status_code == 200 and "# audience: admin" in mine.text and "FORTROLIGT" not in mine.text
    public = admin.get("/api/v1/export/geojson?year=2025&audience=anonymous")
    assert public.status_code == 200 and public.json()["provenance"]["audience"] == "anonymous"
    refused = admin.get("/api/v1/export/xlsx?audience=analyst")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "audience-not-allowed" and "analyst" not in error["detail"]["allowed"]
    unknown = analyst.get("/api/v1/export/csv?audience=king")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown-audience"
    assert client_for(web, "staff").get("/api/v1/export/csv?audience=anonymous").status_code == 403
    app, _ = web
    events = [str(e["target"]) for e in app.state.access.audit(event="export")]
    assert any(t.endswith("for anonymous") for t in events) and any(t.endswith("for admin") for t in events)


@ON_THE_EXAMPLE
def test_the_installations_policy_labels_the_downloads(
    example_db: Path, nine_file: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from boligsocial.outputs.web import create_app
    from boligsocial.outputs.web.settings import WebSettings

    app = create_app(example_db, WebSettings(access_db=tmp_path / "access.sqlite", policy_file=nine_file))
    app.state.access.add_user("admin", "admin", "password-admin", weak_password_ok=True)
    token = app.state.access.new_token("admin", "tests")
    client = TestClient(app, base_url="https://testserver", headers={"Authorization": f"Bearer {token}"})
    r = client.get("/api/v1/export/xlsx?year=2025")
    assert r.status_code == 200
    book = tmp_path / "download.xlsx"
    book.write_bytes(r.content)
    assert _labels(_strings(book)) == {"<10"}


@ON_THE_EXAMPLE
def test_bsm_export_for_the_analyst_audience_and_the_installations_policy(
    example_db: Path, nine_file: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from boligsocial.outputs.cli import app

    runner = CliRunner()
    out = tmp_path / "a.csv"
    args = ["export", "--db", str(example_db), "--format", "csv", "--year", "2025", "--out", str(out)]
    done = runner.invoke(app, [*args, "--audience", "analyst"])
    assert done.exit_code == 0, done.output
    assert f"målgruppe {words('da')('role.analyst')}" in done.output and "FORTROLIGT" in done.output
    assert out.read_text(encoding="utf-8").startswith(f"# {WARNING}")
    staff = runner.invoke(app, [*args, "--policy", str(nine_file)])
    assert staff.exit_code == 0, staff.output
    text = out.read_text(encoding="utf-8")
    assert "# audience: staff" in text and "'<10'" in text and "FORTROLIGT" not in staff.output
    # Rich wraps a long temporary path in its message
    missing = runner.invoke(app, [*args, "--policy", str(tmp_path / "none.toml")])
    assert missing.exit_code == 1 and "none.toml" in missing.output.replace(
        "\n", ""
    )  # Rich wraps a long path

"""The exports in Danish and English: every word of the workbook and of the GIS field descriptions
comes from the catalogues (export.po, vocabulary.po, the indicators' and models' own names), an
English file has none of the Danish words and shows no id of a concept, a Danish file has the
headers it always had, and the column ids programs read are the same in both languages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pyogrio
import pytest

from boligsocial.common.errors import InvalidParameter
from boligsocial.common.words import catalogue_entries, words
from boligsocial.compute.trafficlight import load_models
from boligsocial.outputs.export import export, publication
from boligsocial.outputs.export.order import Order, Progress, make
from boligsocial.outputs.export.published import Publication

BSM = Path(sys.executable).parent / "bsm"
#: The concepts whose names a workbook shows (vocabulary.po); their ids must never show.
CONCEPTS = ("topic", "layer", "kind", "list", "colour")
#: A staff workbook has the moves' sheet: making one builds the moves' protection (minutes).
WORKBOOK = pytest.mark.slow


@pytest.fixture(scope="module")
def staff(example_db: Path) -> Publication:
    return publication(example_db, "staff")


@pytest.fixture(scope="module")
def books(staff: Publication, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The workbook of the last data year in each language."""
    folder = tmp_path_factory.mktemp("books")
    out = {}
    for lang in ("da", "en"):
        (out[lang],) = export(staff, "xlsx", folder / f"{lang}.xlsx", year=staff.data_years[-1], lang=lang)
    return out


def _topics(pub: Publication) -> dict[str, list[dict[str, Any]]]:
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for ind in pub.indicators:
        by_topic.setdefault(ind["topic"], []).append(ind)
    return by_topic


def _expected_heads(pub: Publication, lang: str) -> dict[str, tuple[list[str], list[str]]]:
    """Sheet name → (header row, unit row) as the catalogues of `lang` say them."""
    say = words(lang)

    def unit(u: str) -> str:
        return say(f"export.unit.{u}")

    out = {}
    for topic, inds in _topics(pub).items():
        out[say(f"topic.{topic}")] = (
            [say("export.head.area"), say("export.head.kind"), say("export.head.data_year")]
            + [i[f"label_{lang}"] for i in inds],
            ["", "", ""] + [unit(i["unit"]) for i in inds],
        )
    nonwestern = say("criterion.nonwestern")
    lists = ["area", "list_year", "data_years", "category", "residents", "labour_share", "crime_ratio"]
    out[say("export.sheet.lists")] = (
        [say(f"export.head.{h}") for h in lists]
        + [say("export.head.education_share"), say("export.head.income_ratio")]
        + [nonwestern[0].upper() + nonwestern[1:], say("export.head.criteria_met")],
        ["", "", "", ""] + [unit(u) for u in ("count", "share", "ratio", "share", "ratio", "share", "count")],
    )
    lights = ["area", "model", "year", "year_kind", "colour", "reason"]
    out[say("export.sheet.lights")] = ([say(f"export.head.{h}") for h in lights], [""] * 6)
    moves = ["from", "to", "move_year", "movers"]
    out[say("export.sheet.moves")] = ([say(f"export.head.{h}") for h in moves], ["", "", "", unit("count")])
    docs = ["indicator", "name", "topic", "unit", "population", "description"]
    out[say("export.sheet.documentation")] = ([say(f"export.head.{h}") for h in docs], [""] * 6)
    return out


def _row(ws: Any, n: int) -> list[str]:
    return [c.value or "" for c in ws[n]]


@WORKBOOK
@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_sheets_and_headers_are_the_catalogues(
    books: dict[str, Path], staff: Publication, lang: str
) -> None:
    wb = openpyxl.load_workbook(books[lang])
    expected = _expected_heads(staff, lang)
    assert wb.sheetnames == list(expected)
    for name, (heads, units) in expected.items():
        ws = wb[name]
        assert _row(ws, 2) == heads, name
        assert _row(ws, 3) == units, name
    say = words(lang)
    first = wb.worksheets[0]
    topic = say(f"topic.{staff.indicators[0]['topic']}")
    assert first["A1"].value == say(
        "export.title.topic",
        topic=topic,
        municipality=staff.provenance()["municipality"],
        layer=say("layer.omraade"),
        period=str(staff.data_years[-1]),
        audience="staff",
    )


@WORKBOOK
def test_the_danish_workbook_keeps_its_headers(books: dict[str, Path]) -> None:
    """The Danish words are those the workbook wrote before they moved to the catalogues."""
    wb = openpyxl.load_workbook(books["da"])
    assert {"Demografi", "Børn og unge", "Lister", "Trafiklys", "Flytninger", "Dokumentation"} <= set(
        wb.sheetnames
    )
    assert _row(wb["Lister"], 2)[:4] == ["Område", "Listeår", "Dataår", "Kategori"]
    assert _row(wb["Lister"], 2)[-2:] == ["Ikke-vestlig baggrund", "Opfyldte kriterier"]
    assert _row(wb["Trafiklys"], 2) == ["Område", "Model", "År", "Årstype", "Farve", "Begrundelse"]
    assert _row(wb["Flytninger"], 2) == ["Fra", "Til", "Flytteår", "Flyttere"]
    assert wb["Indkomst"]["D3"].value == "kr." and wb["Demografi"]["E3"].value == "procent"


def _danish_words() -> set[str]:
    """The Danish words a workbook writes: the export catalogue's and the names of the concepts it
    shows, each where English says something else (a message with parameters by its fixed parts)."""
    english = words("en")
    out = set()
    for key, text, source in catalogue_entries("da"):
        if source == "export.po" or key.split(".")[0] in CONCEPTS:
            if text == english(key) or key.startswith("export.format."):
                continue
            out |= {part.strip(" '—,.()") for part in re.split(r"\{\w+\}", text)}
    return {w for w in out if len(w) > 1}


def _ids() -> set[str]:
    """The ids of the concepts a workbook names, and of the traffic-light models."""
    ids = {key.split(".", 1)[1] for key, _, _ in catalogue_entries("da") if key.split(".")[0] in CONCEPTS}
    return ids | {m.id for m in load_models()}


@WORKBOOK
def test_the_english_workbook_has_no_danish_word_and_no_id(
    books: dict[str, Path], staff: Publication
) -> None:
    wb = openpyxl.load_workbook(books["en"])
    danish, ids = _danish_words(), _ids()
    assert {
        "Børn og unge",
        "Områdetype",
        "Uden for kommunen",
        "ikke vist",
        "Ingen liste",
        "Blandet",
    } <= danish
    data = set(staff.names("omraade").values())  # the areas' own names are data, not words
    checked = 0
    for ws in wb.worksheets:  # the traffic lights' reasons too: worded in the workbook's language
        for row in ws.iter_rows():
            key = row[0].value
            for cell in row:
                text = cell.value
                if not isinstance(text, str) or text in data:
                    continue
                if key in ("disclosure_policy_da", "warning") and cell.column == 2:
                    continue  # the provenance holds the Danish note (and warning) by design
                checked += 1
                found = [w for w in danish if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
                assert not found, (ws.title, cell.coordinate, text, found)
                assert text not in ids, (ws.title, cell.coordinate, text)
        title = str(ws["A1"].value)
        assert not set(re.findall(r"\w+", title)) & ids, title
    assert checked > 1000
    # the kinds of area and list categories by their English names
    kinds = {c.value for c in wb.worksheets[0]["B"][3:] if c.value}
    assert kinds and kinds <= {words("en")(f"kind.{k}") for k in ("almen", "by", "land", "blandet")}


@WORKBOOK
def test_numbers_stay_numbers_with_the_languages_format(books: dict[str, Path]) -> None:
    values = {}
    for lang in ("da", "en"):
        ws = openpyxl.load_workbook(books[lang])[words(lang)("topic.indkomst")]
        cells = [r[3] for r in ws.iter_rows(min_row=4) if isinstance(r[3].value, float)]
        assert cells and all(c.number_format == words(lang)("export.format.dkk") for c in cells)
        values[lang] = [c.value for c in cells]
    assert values["da"] == values["en"]


def test_the_gis_files_describe_their_fields_in_the_language_and_keep_the_ids(
    staff: Publication, tmp_path: Path
) -> None:
    last = staff.data_years[-1]
    fields, docs = {}, {}
    for lang in ("da", "en"):
        gpkg = tmp_path / f"{lang}.gpkg"
        export(staff, "gpkg", gpkg, year=last, lang=lang)
        fields[lang] = list(pyogrio.read_info(gpkg, layer="omraade")["fields"])
        docs[lang] = dict(zip(*pyogrio.raw.read(gpkg, layer="indikatorer")[3], strict=True))
        description = pyogrio.read_info(gpkg, layer="omraade")["layer_metadata"]["DESCRIPTION"]
        assert words(lang)("layer.omraade") in description
    assert fields["da"] == fields["en"] and list(docs["da"]) == list(docs["en"])
    en = words("en")
    assert docs["en"]["year"] == en("export.field.year")
    assert docs["en"]["residents"] == f"Residents ({en('export.unit.count')})"
    assert en("export.state.suppressed") in docs["en"]["residents_state"]
    assert docs["en"]["light_kriterier"] == en("export.field.light", model=load_models()[0].label_en)
    assert docs["da"]["year"] == words("da")("export.field.year") == "Dataår (bopæl ved årets udgang)"
    native, _ = export(staff, "geojson", tmp_path / "en.geojson", year=last, lang="en")
    geojson = json.loads(native.read_text(encoding="utf-8"))
    assert all(geojson["fields"][field] == text for field, text in docs["en"].items())
    assert set(geojson["features"][0]["properties"]) >= set(fields["en"])


def test_an_unknown_language_is_refused(staff: Publication, tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter) as refused:
        export(staff, "xlsx", tmp_path / "x.xlsx", lang="de")
    assert refused.value.code == "unknown-language"


@WORKBOOK
def test_the_export_pools_order_carries_the_language(example_db: Path, tmp_path: Path) -> None:
    pub = publication(example_db, "staff")
    policies = tuple(sorted(pub.service.policies.items()))  # the installation's, as the server orders
    order = Order(
        example_db,
        policies,
        pub.viewer,
        "xlsx",
        "omraade",
        pub.data_years[-1],
        None,
        False,
        ".xlsx",
        lang="en",
    )
    path = make(order, tmp_path, Progress(tmp_path / "progress"))
    assert openpyxl.load_workbook(path).sheetnames[-1] == words("en")("export.sheet.documentation")


def _bsm(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """The real command line, in a process of its own."""
    return subprocess.run([str(BSM), *map(str, args)], capture_output=True, text=True, timeout=300)


@WORKBOOK
def test_bsm_export_lang_en_writes_the_english_workbook(example_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "areas.xlsx"
    run = _bsm(
        "export", "--db", example_db, "--format", "xlsx", "--year", "2025", "--lang", "en", "--out", out
    )
    assert run.returncode == 0, run.stderr
    wb = openpyxl.load_workbook(out)
    en = words("en")
    assert wb.sheetnames[0] == en("topic.demografi") and en("export.sheet.lists") in wb.sheetnames
    assert wb.worksheets[0]["A2"].value == en("export.head.area")
    default = tmp_path / "omraader.xlsx"
    dansk = _bsm("export", "--db", example_db, "--format", "xlsx", "--year", "2025", "--out", default)
    assert dansk.returncode == 0, dansk.stderr
    assert openpyxl.load_workbook(default).sheetnames[0] == words("da")("topic.demografi")
    bad = _bsm("export", "--db", example_db, "--format", "xlsx", "--lang", "de", "--out", out)
    refused = words("da")("error.unknown-language", lang="de")  # in the command line's language
    assert bad.returncode == 1 and refused in bad.stdout + bad.stderr

"""The Excel workbook: one sheet per topic, the lists, traffic lights and moves, and sheets that
document every indicator, the disclosure rules and where the figures come from.

Every sheet's title names the audience; a small count is written with the label of the audience's
policy, any other hidden figure as 'ikke vist'. A workbook that must not leave the analysis
function opens on a sheet that says so, and every title starts with FORTROLIGT."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from boligsocial.outputs.export.notes import HIDDEN_TEXT, disclosure_note, marking
from boligsocial.outputs.export.published import LIGHT_NAME, LIST_NAME, UNIT_TEXT, Publication

TOPICS = {
    "demografi": "Demografi",
    "boern_unge": "Børn og unge",
    "herkomst": "Herkomst",
    "bolig": "Bolig",
    "arbejdsmarked": "Arbejdsmarked",
    "kriminalitet": "Kriminalitet",
    "uddannelse": "Uddannelse",
    "indkomst": "Indkomst",
    "sundhed": "Sundhed",
}
CATEGORY = {**LIST_NAME, "none": "Ingen"}


class _Book:
    """A workbook with the house formats."""

    def __init__(self, path: Path, marker: str = "") -> None:
        self.wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False})
        self.marker = marker  # what every sheet's title starts with (FORTROLIGT — for an analyst file)
        self.title = self.wb.add_format({"bold": True, "font_size": 13})
        self.warning = self.wb.add_format(
            {"bold": True, "font_size": 14, "font_color": "#B00020", "text_wrap": True, "valign": "top"}
        )
        self.head = self.wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        self.unit = self.wb.add_format({"italic": True, "font_color": "#555555", "bottom": 1})
        self.hidden = self.wb.add_format({"font_color": "#888888", "align": "right"})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.formats = {
            "share": self.wb.add_format({"num_format": "0.0%"}),
            "pct": self.wb.add_format({"num_format": '0.0" %"'}),
            "dkk": self.wb.add_format({"num_format": '#,##0" kr."'}),
            "count": self.wb.add_format({"num_format": "#,##0"}),
            "mean": self.wb.add_format({"num_format": "0.0"}),
            "ratio": self.wb.add_format({"num_format": "0.00"}),
        }

    def sheet(self, name: str, title: str, headers: list[str], units: list[str]) -> Any:
        """A sheet with a title row, header and unit rows, frozen below them."""
        ws = self.wb.add_worksheet(name[:31])
        ws.write(0, 0, self.marker + title, self.title)
        for c, (h, u) in enumerate(zip(headers, units, strict=True)):
            ws.write(1, c, h, self.head)
            ws.write(2, c, u, self.unit)
        ws.set_row(1, 45)
        ws.freeze_panes(3, min(3, len(headers)))
        ws.set_column(0, 0, 24)
        ws.set_column(1, len(headers), 14)
        return ws


def write_xlsx(pub: Publication, layer: str, years: list[int], out: Path) -> None:
    """The workbook for a layer and years, every figure as published for the audience; first a
    sheet with the warning when the workbook must not leave the analysis function."""
    prov = pub.provenance()
    period = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    warning = pub.warning()
    book = _Book(out, "FORTROLIGT — " if warning else "")
    if warning:
        _warning_sheet(book, pub, warning, prov)
    audience = f"målgruppe {prov['audience']}"
    names = pub.service.area_names(layer)
    long = pub.values_long(layer, years).join(names, on="area_id", how="left")
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for ind in pub.indicators:
        by_topic.setdefault(ind["topic"], []).append(ind)
    for topic, inds in by_topic.items():
        label = TOPICS.get(topic, topic)
        ws = book.sheet(
            label,
            f"{label} — {prov['municipality']}, lag {layer}, dataår {period}, {audience}",
            ["Område", "Områdetype", "Dataår", *[i["label_da"] for i in inds]],
            ["", "", "", *[UNIT_TEXT.get(i["unit"], i["unit"]) for i in inds]],
        )
        cells = {
            (r["area_id"], r["year"], r["indicator"]): r
            for r in long.filter(pl.col("indicator").is_in([i["id"] for i in inds])).iter_rows(named=True)
        }
        rows = long.select("area_id", "name", "kind", "year").unique().sort("year", "name")
        for n, r in enumerate(rows.iter_rows(named=True), start=3):
            ws.write(n, 0, r["name"])
            ws.write(n, 1, r["kind"] or "")
            ws.write_number(n, 2, r["year"])
            for c, ind in enumerate(inds, start=3):
                cell = cells.get((r["area_id"], r["year"], ind["id"]))
                if cell is None or cell["value"] is None:
                    text = pub.hidden_text(cell["state"], cell["label"]) if cell else ""
                    ws.write_string(n, c, text, book.hidden)
                    continue
                value = cell["value"] / 100 if ind["unit"] == "share" else cell["value"]
                ws.write_number(n, c, value, book.formats.get(ind["unit"], book.formats["mean"]))
        ws.autofilter(2, 0, 2 + rows.height, 2 + len(inds))
    _lists_sheet(book, pub, layer, prov)
    _lights_sheet(book, pub, layer, prov)
    _flows_sheet(book, pub, layer, prov)
    _documentation_sheet(book, pub, prov)
    book.wb.close()


def _warning_sheet(book: _Book, pub: Publication, warning: str, prov: dict[str, str]) -> None:
    """The first sheet of a workbook that must not leave the analysis function: the warning, the
    audience and the rules its figures were published with."""
    ws = book.wb.add_worksheet("FORTROLIGT")
    ws.set_column(0, 0, 110)
    ws.set_row(0, 40)
    ws.write(0, 0, warning, book.warning)
    ws.write(
        2,
        0,
        f"Målgruppe '{prov['audience']}' (politik '{pub.policy.name}'), {prov['municipality']}, "
        f"dannet {prov['generated']}.",
        book.wrap,
    )
    for n, (_, sentence) in enumerate(disclosure_note(pub.policy), start=4):
        ws.write(n, 0, sentence, book.wrap)


def _lists_sheet(book: _Book, pub: Publication, layer: str, prov: dict[str, str]) -> None:
    lists = pub.lists(layer)
    columns = [
        ("name", "Område", "", None),
        ("list_year", "Listeår", "", None),
        ("data_years", "Dataår", "", None),
        ("category", "Kategori", "", None),
        ("residents", "Beboere", "antal", "count"),
        ("labour_share", "Uden for arbejdsmarked (18-64)", "procent", "share"),
        ("crime_ratio", "Dømte i forhold til landet", "forhold", "ratio"),
        ("education_share", "Højst grundskole (30-59)", "procent", "share"),
        ("income_ratio", "Indkomst i forhold til regionen", "forhold", "ratio"),
        ("nonwestern_share", "Ikke-vestlig baggrund", "procent", "share"),
        ("criteria_met", "Opfyldte kriterier", "antal", "count"),
    ]
    ws = book.sheet(
        "Lister",
        f"Beregnede lister — {prov['municipality']}, lag {layer} (regelsæt {prov['rule_sets']}), "
        f"målgruppe {prov['audience']}",
        [c[1] for c in columns],
        [c[2] for c in columns],
    )
    for n, r in enumerate(lists.sort("list_year", "name").iter_rows(named=True), start=3):
        for c, (key, _, _, unit) in enumerate(columns):
            value = r.get(key)
            if key == "category":
                ws.write(n, c, CATEGORY.get(value or "none", value))
            elif unit is None:
                ws.write(n, c, value if value is not None else "")
            elif value is None:
                label = r.get("residents_label") if key == "residents" else None
                ws.write_string(n, c, label or HIDDEN_TEXT, book.hidden)
            else:
                ws.write_number(n, c, float(value), book.formats[unit])
    ws.autofilter(2, 0, 2 + lists.height, len(columns) - 1)


def _lights_sheet(book: _Book, pub: Publication, layer: str, prov: dict[str, str]) -> None:
    lights = pub.traffic_lights(layer)
    names = pub.names(layer)
    ws = book.sheet(
        "Trafiklys",
        f"Trafiklys — {prov['municipality']}, lag {layer}, målgruppe {prov['audience']}",
        ["Område", "Model", "År", "Årstype", "Farve", "Begrundelse"],
        ["", "", "", "", "", ""],
    )
    for n, r in enumerate(lights.iter_rows(named=True), start=3):
        ws.write(n, 0, names.get(r["area_id"], r["area_id"]))
        ws.write(n, 1, r["model"])
        ws.write_number(n, 2, r["year"])
        ws.write(n, 3, "listeår" if r["year_kind"] == "list_year" else "dataår")
        ws.write(n, 4, LIGHT_NAME.get(r["colour"] or "", HIDDEN_TEXT))
        ws.write(n, 5, r.get("reason") or "")
    ws.set_column(5, 5, 60)


def _flows_sheet(book: _Book, pub: Publication, layer: str, prov: dict[str, str]) -> None:
    flows = pub.flows(layer)
    names = pub.names(layer)
    ws = book.sheet(
        "Flytninger",
        f"Flytninger mellem områder — {prov['municipality']}, lag {layer}, målgruppe {prov['audience']} "
        "(tom = uden for kommunen)",
        ["Fra", "Til", "Flytteår", "Flyttere"],
        ["", "", "", "antal"],
    )
    for n, r in enumerate(flows.iter_rows(named=True), start=3):
        ws.write(n, 0, names.get(r["from"], "Uden for kommunen" if r["from"] == "" else r["from"]))
        ws.write(n, 1, names.get(r["to"], "Uden for kommunen" if r["to"] == "" else r["to"]))
        ws.write_number(n, 2, r["year"])
        if r["movers"] is None:
            ws.write_string(n, 3, pub.hidden_text(r["state"], r.get("label")), book.hidden)
        else:
            ws.write_number(n, 3, r["movers"], book.formats["count"])
    ws.autofilter(2, 0, 2 + flows.height, 3)


def _documentation_sheet(book: _Book, pub: Publication, prov: dict[str, str]) -> None:
    ws = book.sheet(
        "Dokumentation",
        f"Indikatorer, diskretion og datagrundlag — målgruppe {prov['audience']}",
        ["Indikator", "Navn", "Emne", "Enhed", "Population", "Beskrivelse"],
        ["", "", "", "", "", ""],
    )
    ws.set_column(1, 1, 50)
    ws.set_column(5, 5, 80)
    n = 3
    for ind in pub.indicators:
        row = [
            ind["id"],
            ind["label_da"],
            TOPICS.get(ind["topic"], ind["topic"]),
            UNIT_TEXT.get(ind["unit"], ind["unit"]),
            ind["population"],
            ind.get("description_da") or "",
        ]
        for c, value in enumerate(row):
            ws.write(n, c, value, book.wrap)
        n += 1
    policy = pub.policy
    rules = [
        (
            "Diskretion",
            f"Tallene er offentliggjort for målgruppen '{prov['audience']}' (politik '{policy.name}').",
        ),
        *disclosure_note(policy),
        ("Markering", marking(policy)),
        ("Andele i regnearket", "Andele er gemt som brøker med procentformat (0,523 vises som 52,3 %)."),
    ]
    n += 1
    ws.write(n, 0, "Diskretionsregler", book.title)
    n += 1
    for key, text in rules:
        ws.write(n, 0, key)
        ws.write(n, 1, text, book.wrap)
        n += 1
    n += 1
    ws.write(n, 0, "Om data", book.title)
    n += 1
    for key, value in prov.items():
        ws.write(n, 0, key)
        ws.write(n, 1, value, book.wrap)
        n += 1

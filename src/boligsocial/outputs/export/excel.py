"""The Excel workbook: one sheet per topic, the lists, traffic lights and moves, and sheets that
document every indicator, the disclosure rules and where the figures come from.

Every word is the catalogues' in the workbook's language (Danish by default, or English): sheet
names, titles, headers and units from `export.po`, the names of topics, layers, kinds of area,
lists and colours from `vocabulary.po`, the indicators' and traffic-light models' names from their
own `label_da`/`label_en`. Numbers stay numbers, with a number format. Every sheet's title names
the audience; a small count is written with the label of the audience's policy, any other hidden
figure as 'ikke vist' ('not shown'). A workbook that must not leave the analysis function opens on
a sheet that says so, and every title starts with FORTROLIGT (CONFIDENTIAL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter

from boligsocial.common.words import Words, language, words
from boligsocial.outputs.export.notes import disclosure_note, hidden_word, marking
from boligsocial.outputs.export.published import Publication, name_of, unit_text


class _Book:
    """A workbook with the house formats, in one language."""

    def __init__(self, path: Path, say: Words, confidential: bool = False) -> None:
        self.wb = xlsxwriter.Workbook(str(path), {"nan_inf_to_errors": False})
        self.say = say
        self.lang = say.lang
        self.confidential = confidential  # every sheet's title starts with FORTROLIGT — (an analyst file)
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
            "pct": self.wb.add_format({"num_format": say("export.format.pct")}),
            "dkk": self.wb.add_format({"num_format": say("export.format.dkk")}),
            "count": self.wb.add_format({"num_format": "#,##0"}),
            "mean": self.wb.add_format({"num_format": "0.0"}),
            "ratio": self.wb.add_format({"num_format": "0.00"}),
        }

    def sheet(self, name: str, title: str, headers: list[str], units: list[str]) -> Any:
        """A sheet with a title row, header and unit rows, frozen below them."""
        ws = self.wb.add_worksheet(name[:31])
        if self.confidential:
            title = self.say("export.confidential_title", title=title)
        ws.write(0, 0, title, self.title)
        for c, (h, u) in enumerate(zip(headers, units, strict=True)):
            ws.write(1, c, h, self.head)
            ws.write(2, c, u, self.unit)
        ws.set_row(1, 45)
        ws.freeze_panes(3, min(3, len(headers)))
        ws.set_column(0, 0, 24)
        ws.set_column(1, len(headers), 14)
        return ws


def _label(ind: dict[str, Any], key: str, lang: str) -> str:
    """An indicator's own `label`/`description` in `lang` (its Danish one when it has none)."""
    return str(ind.get(f"{key}_{lang}") or ind.get(f"{key}_da") or "")


def write_xlsx(pub: Publication, layer: str, years: list[int], out: Path, lang: str = "da") -> None:
    """The workbook for a layer and years in `lang` (da, en), every figure as published for the
    audience; first a sheet with the warning when the workbook must not leave the analysis
    function."""
    say = words(language(lang))
    prov = pub.provenance()
    period = f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])
    warning = pub.warning(say.lang)
    book = _Book(out, say, confidential=warning is not None)
    if warning:
        _warning_sheet(book, pub, warning, prov)
    where = {
        "municipality": prov["municipality"],
        "layer": name_of(say, "layer", layer),
        "audience": prov["audience"],
    }
    names = pub.service.area_names(layer)
    long = pub.values_long(layer, years).join(names, on="area_id", how="left")
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for ind in pub.indicators:
        by_topic.setdefault(ind["topic"], []).append(ind)
    for topic, inds in by_topic.items():
        label = name_of(say, "topic", topic)
        ws = book.sheet(
            label,
            say("export.title.topic", topic=label, period=period, **where),
            [
                say("export.head.area"),
                say("export.head.kind"),
                say("export.head.data_year"),
                *[_label(i, "label", say.lang) for i in inds],
            ],
            ["", "", "", *[unit_text(i["unit"], say.lang) for i in inds]],
        )
        cells = {
            (r["area_id"], r["year"], r["indicator"]): r
            for r in long.filter(pl.col("indicator").is_in([i["id"] for i in inds])).iter_rows(named=True)
        }
        rows = long.select("area_id", "name", "kind", "year").unique().sort("year", "name")
        for n, r in enumerate(rows.iter_rows(named=True), start=3):
            ws.write(n, 0, r["name"])
            ws.write(n, 1, name_of(say, "kind", r["kind"]) if r["kind"] else "")
            ws.write_number(n, 2, r["year"])
            for c, ind in enumerate(inds, start=3):
                cell = cells.get((r["area_id"], r["year"], ind["id"]))
                if cell is None or cell["value"] is None:
                    text = pub.hidden_text(cell["state"], cell["label"], lang=say.lang) if cell else ""
                    ws.write_string(n, c, text, book.hidden)
                    continue
                value = cell["value"] / 100 if ind["unit"] == "share" else cell["value"]
                ws.write_number(n, c, value, book.formats.get(ind["unit"], book.formats["mean"]))
        ws.autofilter(2, 0, 2 + rows.height, 2 + len(inds))
    _lists_sheet(book, pub, layer, prov, where)
    _lights_sheet(book, pub, layer, where)
    _flows_sheet(book, pub, layer, where)
    _documentation_sheet(book, pub, prov)
    book.wb.close()


def _warning_sheet(book: _Book, pub: Publication, warning: str, prov: dict[str, str]) -> None:
    """The first sheet of a workbook that must not leave the analysis function: the warning, the
    audience and the rules its figures were published with."""
    say = book.say
    ws = book.wb.add_worksheet(say("export.confidential"))
    ws.set_column(0, 0, 110)
    ws.set_row(0, 40)
    ws.write(0, 0, warning, book.warning)
    ws.write(
        2,
        0,
        say(
            "export.confidential_audience",
            audience=prov["audience"],
            policy=pub.policy.name,
            municipality=prov["municipality"],
            generated=prov["generated"],
        ),
        book.wrap,
    )
    for n, (_, sentence) in enumerate(disclosure_note(pub.policy, book.lang), start=4):
        ws.write(n, 0, sentence, book.wrap)


def _lists_sheet(
    book: _Book, pub: Publication, layer: str, prov: dict[str, str], where: dict[str, str]
) -> None:
    say = book.say
    nonwestern = say("criterion.nonwestern")
    lists = pub.lists(layer)
    columns = [
        ("name", say("export.head.area"), None),
        ("list_year", say("export.head.list_year"), None),
        ("data_years", say("export.head.data_years"), None),
        ("category", say("export.head.category"), None),
        ("residents", say("export.head.residents"), "count"),
        ("labour_share", say("export.head.labour_share"), "share"),
        ("crime_ratio", say("export.head.crime_ratio"), "ratio"),
        ("education_share", say("export.head.education_share"), "share"),
        ("income_ratio", say("export.head.income_ratio"), "ratio"),
        ("nonwestern_share", nonwestern[:1].upper() + nonwestern[1:], "share"),
        ("criteria_met", say("export.head.criteria_met"), "count"),
    ]
    ws = book.sheet(
        say("export.sheet.lists"),
        say("export.title.lists", rule_sets=prov["rule_sets"], **where),
        [c[1] for c in columns],
        [unit_text(c[2], book.lang) if c[2] else "" for c in columns],
    )
    for n, r in enumerate(lists.sort("list_year", "name").iter_rows(named=True), start=3):
        for c, (key, _, unit) in enumerate(columns):
            value = r.get(key)
            if key == "category":
                ws.write(n, c, name_of(say, "list", value or "none"))
            elif unit is None:
                ws.write(n, c, value if value is not None else "")
            elif value is None:
                label = r.get("residents_label") if key == "residents" else None
                ws.write_string(n, c, label or hidden_word(book.lang), book.hidden)
            else:
                ws.write_number(n, c, float(value), book.formats[unit])
    ws.autofilter(2, 0, 2 + lists.height, len(columns) - 1)


def _lights_sheet(book: _Book, pub: Publication, layer: str, where: dict[str, str]) -> None:
    say = book.say
    lights = pub.traffic_lights(layer, book.lang)  # the reasons in the workbook's language
    names = pub.names(layer)
    heads = ("area", "model", "year", "year_kind", "colour", "reason")
    ws = book.sheet(
        say("export.sheet.lights"),
        say("export.title.lights", **where),
        [say(f"export.head.{h}") for h in heads],
        ["" for _ in heads],
    )
    for n, r in enumerate(lights.iter_rows(named=True), start=3):
        ws.write(n, 0, names.get(r["area_id"], r["area_id"]))
        ws.write(n, 1, pub.model_name(r["model"], book.lang))
        ws.write_number(n, 2, r["year"])
        ws.write(
            n,
            3,
            say(
                "export.year_kind.list_year"
                if r["year_kind"] == "list_year"
                else "export.year_kind.data_year"
            ),
        )
        ws.write(n, 4, name_of(say, "colour", r["colour"]) if r["colour"] else hidden_word(book.lang))
        ws.write(n, 5, r.get("reason") or "")
    ws.set_column(5, 5, 60)


def _flows_sheet(book: _Book, pub: Publication, layer: str, where: dict[str, str]) -> None:
    say = book.say
    flows = pub.flows(layer)
    names = pub.names(layer)
    outside = say("export.outside")
    ws = book.sheet(
        say("export.sheet.moves"),
        say("export.title.moves", **where),
        [
            say("export.head.from"),
            say("export.head.to"),
            say("export.head.move_year"),
            say("export.head.movers"),
        ],
        ["", "", "", unit_text("count", book.lang)],
    )
    for n, r in enumerate(flows.iter_rows(named=True), start=3):
        ws.write(n, 0, names.get(r["from"], outside if r["from"] == "" else r["from"]))
        ws.write(n, 1, names.get(r["to"], outside if r["to"] == "" else r["to"]))
        ws.write_number(n, 2, r["year"])
        if r["movers"] is None:
            ws.write_string(n, 3, pub.hidden_text(r["state"], r.get("label"), lang=book.lang), book.hidden)
        else:
            ws.write_number(n, 3, r["movers"], book.formats["count"])
    ws.autofilter(2, 0, 2 + flows.height, 3)


def _documentation_sheet(book: _Book, pub: Publication, prov: dict[str, str]) -> None:
    say, lang = book.say, book.lang
    heads = ("indicator", "name", "topic", "unit", "population", "description")
    ws = book.sheet(
        say("export.sheet.documentation"),
        say("export.title.documentation", audience=prov["audience"]),
        [say(f"export.head.{h}") for h in heads],
        ["" for _ in heads],
    )
    ws.set_column(1, 1, 50)
    ws.set_column(5, 5, 80)
    n = 3
    for ind in pub.indicators:
        row = [
            ind["id"],  # the column id of the GeoPackage, GeoJSON and CSV
            _label(ind, "label", lang),
            name_of(say, "topic", ind["topic"]),
            unit_text(ind["unit"], lang),
            ind["population"],  # a formula over the contract's columns
            _label(ind, "description", lang),
        ]
        for c, value in enumerate(row):
            ws.write(n, c, value, book.wrap)
        n += 1
    policy = pub.policy
    rules = [
        (
            say("export.doc.disclosure"),
            say("export.doc.published_for", audience=prov["audience"], policy=policy.name),
        ),
        *disclosure_note(policy, lang),
        (say("export.doc.marking"), marking(policy, lang)),
        (
            say("export.doc.shares"),
            say("export.doc.shares_text", fraction=say.number(0.523, 3), percent=say.percent(0.523)),
        ),
    ]
    n += 1
    ws.write(n, 0, say("export.doc.rules"), book.title)
    n += 1
    for key, text in rules:
        ws.write(n, 0, key)
        ws.write(n, 1, text, book.wrap)
        n += 1
    n += 1
    ws.write(n, 0, say("export.doc.about"), book.title)
    n += 1
    for key, value in prov.items():
        ws.write(n, 0, key)  # the key of the provenance in the other formats
        ws.write(n, 1, value, book.wrap)
        meaning = f"export.provenance.{key}"
        ws.write(n, 2, say(meaning) if say.has(meaning) else "")
        n += 1

"""The *årsstatus*: the whole municipality in one list year (templates/status.html).

1. Two maps: the computed list category and the criteria model's traffic light.
2. Every almene area: residents, category, criteria met, the five criteria and the traffic light
   (one table, its header repeated on every page it runs over).
3. What changed since the list year before, and the areas close to the lists.
4. Methods and data: data, lists, traffic lights, forecast, disclosure, coordinates, generation.

Every figure is the audience's, from its `Publication`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from boligsocial.common.words import words
from boligsocial.compute.trafficlight import load_models
from boligsocial.outputs.export.notes import note_text
from boligsocial.outputs.export.published import Publication
from boligsocial.outputs.export.report import maps
from boligsocial.outputs.export.report.document import Cell, Document, Key, Table
from boligsocial.outputs.export.report.figures import NONE
from boligsocial.outputs.export.report.style import CRITERIA, LIGHT_COLOUR, LISTS

#: The criteria model, whose colours the årsstatus shows.
MODEL = "kriterier"


TEMPLATE = "status.html"


def annual_status(pub: Publication, layer: str, year: int, out: Path, lang: str = "da") -> None:
    """Write the årsstatus of data year `year` (the list year it leads to) to `out` as PDF, in
    `lang`."""
    doc, pages = _pages(pub, layer, year, lang)
    doc.write(TEMPLATE, out, **pages)


def status_html(pub: Publication, layer: str, year: int, lang: str = "da") -> str:
    """The årsstatus as the HTML the PDF is printed from (see `profile.profile_html`)."""
    doc, pages = _pages(pub, layer, year, lang)
    return doc.html(TEMPLATE, **pages)


def _pages(pub: Publication, layer: str, year: int, lang: str) -> tuple[Document, dict[str, Any]]:
    """The document and what each of its pages shows, from the audience's publication."""
    list_year = year + 1 if year + 1 in pub.service.list_years() else year
    doc = Document(pub, lang, words(lang)("report.status.title", list_year=list_year), year)
    return doc, {
        "maps": _maps(doc, layer, list_year),
        "almen": _almen(doc, layer, list_year),
        "changes": _changes(doc, layer, list_year),
        "methods": _methods(doc),
    }


def _maps(doc: Document, layer: str, list_year: int) -> dict[str, Any]:
    """Page 1: the list category and the traffic light of every area on a map."""
    say, fig = doc.say, doc.figures
    table = doc.pub.area_table(layer, [doc.year])
    geoms = table.get_column("geometry").to_list()
    categories = [LISTS.get(c or "none", LISTS["none"]) for c in table.get_column("category").to_list()]
    column = f"light_{MODEL}"
    lights = table.get_column(column).to_list() if column in table.columns else []
    category_title = say("report.status.category_map", list_year=list_year)
    light_title = say("report.status.light_map")
    return {
        "heading": say("report.status.maps", list_year=list_year),
        "category": maps.area_map(
            geoms, categories, title=category_title, width=680, height=390, stroke="#888888", stroke_width=0.3
        ),
        "category_title": category_title,
        "category_legend": [Key(fig.category(k), colour) for k, colour in LISTS.items()],
        "light": maps.area_map(
            geoms,
            [LIGHT_COLOUR.get(c or "", "#ffffff") for c in lights] or categories,
            title=light_title,
            width=680,
            height=390,
            stroke="#888888",
            stroke_width=0.3,
        ),
        "light_title": light_title,
        "light_legend": [Key(fig.light(k), colour) for k, colour in LIGHT_COLOUR.items()],
    }


def _almen(doc: Document, layer: str, list_year: int) -> dict[str, Any]:
    """Page 2 on: every almene area in the list year."""
    pub, say, fig = doc.pub, doc.say, doc.figures
    lists = pub.lists(layer).filter((pl.col("list_year") == list_year) & pl.col("eligible"))
    lights = {
        r["area_id"]: r["colour"]
        for r in pub.traffic_lights(layer).filter(pl.col("model") == MODEL).iter_rows(named=True)
        if r["year"] == list_year
    }
    rows: list[list[str | Cell]] = []
    for r in lists.sort("name").to_dicts():
        colour = lights.get(r["area_id"]) or ""
        category = r.get("category") or "none"
        rows.append(
            [
                r["name"],
                fig.value(r["residents"], "count")
                if r.get("residents") is not None
                else r.get("residents_label") or fig.hidden_text,
                Cell(fig.category(category), LISTS.get(category, "")),
                NONE if r.get("criteria_met") is None else str(r["criteria_met"]),
                *[fig.or_none(r.get(c), unit) for c, _, unit, _ in CRITERIA],
                Cell(fig.light(colour, NONE), LIGHT_COLOUR.get(colour, "")),
            ]
        )
    header = [
        say(f"report.almen.{c}")
        for c in ("area", "residents", "category", "met", "labour", "crime", "education", "income")
    ]
    header += [say("report.almen.nonwestern"), say("report.almen.light")]
    return {
        "heading": say("report.status.almen", list_year=list_year),
        "table": Table.of(
            header, rows, numeric={1, 3, 4, 5, 6, 7, 8}, widths=(17, 8, 17, 5, 9, 8, 9, 8, 9, 10)
        ),
    }


def _changes(doc: Document, layer: str, list_year: int) -> dict[str, Any]:
    """Page 3: what changed since the list year before, and which areas are close to the lists."""
    pub, say, fig = doc.pub, doc.say, doc.figures
    changed = pub.service.changes(layer, list_year, pub.viewer)
    rows: list[list[str | Cell]] = [
        [
            r["name"],
            fig.category(r.get("category_before")),
            fig.category(r.get("category")),
            say(
                "report.changes.from_to",
                before=fig.light(r.get("previous"), NONE),
                now=fig.light(r.get("colour"), NONE),
            ),
        ]
        for r in changed[:20]
    ]
    watch = [r for r in pub.service.watchlist(layer, list_year, pub.viewer) if r["category"] == "none"][:15]
    near: list[list[str | Cell]] = [
        [
            r["name"],
            fig.hidden_text if r.get("criteria_met") is None else str(r["criteria_met"]),
            Cell(fig.light(r.get("colour")), LIGHT_COLOUR.get(r.get("colour") or "", "")),
            fig.value(r.get("residents"), "count"),
        ]
        for r in watch
    ]
    return {
        "heading": say("report.status.changes", before=list_year - 1, list_year=list_year),
        "changed_heading": say("report.changes.heading", count=len(changed)),
        "changed": Table.of(
            [say(f"report.changes.{c}") for c in ("area", "before", "now", "light")],
            rows,
            widths=(30, 25, 25, 20),
        )
        if rows
        else None,
        "near": Table.of(
            [say(f"report.near.{c}") for c in ("area", "met", "light", "residents")],
            near,
            numeric={1, 3},
            widths=(40, 20, 20, 20),
        )
        if near
        else None,
    }


def _methods(doc: Document) -> dict[str, Any]:
    """Page 4: how the figures were made and protected, as (topic, text)."""
    pub, say, lang = doc.pub, doc.say, doc.lang
    prov = doc.provenance
    models = {m.id: m for m in load_models()}
    light = (
        (getattr(models[MODEL], f"description_{lang}") or "").replace("\n", " ") if MODEL in models else ""
    )
    policy = pub.policy
    return {
        "heading": say("report.status.methods"),
        "topics": [
            (
                say("report.methods.data"),
                say(
                    "report.methods.data_text",
                    municipality=prov["municipality"],
                    data_years=prov["data_years"],
                    fingerprint=prov["delivery_fingerprint"][:16],
                ),
            ),
            (say("report.methods.lists"), say("report.methods.lists_text", rule_sets=prov["rule_sets"])),
            (say("report.methods.lights"), light or say("report.methods.lights_text")),
            (say("report.methods.forecast"), say("report.methods.forecast_text")),
            (
                say("report.methods.disclosure"),
                say(
                    "report.methods.disclosure_text",
                    audience=doc.audience,
                    policy=policy.name,
                    note=note_text(policy, lang),
                    hidden=doc.figures.hidden_text,
                ),
            ),
            (say("report.methods.crs"), say("report.methods.crs_text")),
            (
                say("report.methods.generated"),
                say("report.methods.generated_text", generated=prov["generated"], tool=prov["tool"]),
            ),
        ],
    }

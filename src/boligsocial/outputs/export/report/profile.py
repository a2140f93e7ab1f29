"""The *områdeprofil*: one area on four pages (templates/profile.html).

1. The area in its municipality (a map and a close-up), its facts, the sentences of the area page
   and its key figures beside the municipality's.
2. The list criteria of the latest list year with margins, the area's list history and the
   forecast.
3. Six yearly series: the area, the municipality and the other almene areas.
4. Moves in and out, and what they did to the labour criterion.

Every figure is the audience's, from its `Publication`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from boligsocial.common.errors import NotFound
from boligsocial.common.words import words
from boligsocial.compute.rulesets import load_rulebook
from boligsocial.outputs.export.published import Publication
from boligsocial.outputs.export.report import charts, maps
from boligsocial.outputs.export.report.document import Cell, Document, Key, Table
from boligsocial.outputs.export.report.figures import NONE
from boligsocial.outputs.export.report.style import (
    CRITERIA,
    KEY_FIGURES,
    LIGHT_COLOUR,
    LISTS,
    MOVE_PARTS,
    OWN,
    SERIES,
)

TEMPLATE = "profile.html"


def area_profile(pub: Publication, layer: str, area_id: str, year: int, out: Path, lang: str = "da") -> None:
    """Write the områdeprofil of `area_id` for data year `year` to `out` as PDF, in `lang`."""
    doc, pages = _pages(pub, layer, area_id, year, lang)
    doc.write(TEMPLATE, out, **pages)


def profile_html(pub: Publication, layer: str, area_id: str, year: int, lang: str = "da") -> str:
    """The områdeprofil as the HTML the PDF is printed from (to look at a template's change in a
    browser, and for the tests to read its SVG)."""
    doc, pages = _pages(pub, layer, area_id, year, lang)
    return doc.html(TEMPLATE, **pages)


def _pages(
    pub: Publication, layer: str, area_id: str, year: int, lang: str
) -> tuple[Document, dict[str, Any]]:
    """The document and what each of its pages shows, from the audience's publication."""
    svc, v = pub.service, pub.viewer
    if not svc.may_see_profile(v, layer, area_id):
        raise NotFound(
            "unknown-area",
            f"no area '{area_id}' in layer '{layer}' for this audience",
            params={"area": area_id, "layer": layer},
        )
    profile = svc.profile(layer, area_id, lang, v)
    table = pub.area_table(layer, [year])
    mine = table.filter(pl.col("area_id") == area_id)
    if mine.is_empty():
        raise NotFound(
            "no-area-year",
            f"area '{area_id}' has no boundary in {year}",
            params={"area": area_id, "year": year},
        )
    area = profile["area"]
    doc = Document(pub, lang, words(lang)("report.profile.title", area=area["name"]), year)
    row = mine.row(0, named=True)
    return doc, {
        "overview": _overview(doc, layer, area, row, table, profile),
        "criteria": _criteria(doc, profile),
        "series": _series(doc, layer, area_id, area["name"]),
        "moves": _moves(doc, layer, area_id),
    }


def _overview(
    doc: Document,
    layer: str,
    area: dict[str, Any],
    row: dict[str, Any],
    table: pl.DataFrame,
    profile: dict[str, Any],
) -> dict[str, Any]:
    """Page 1: maps, facts, sentences and key figures."""
    pub, say, fig, year = doc.pub, doc.say, doc.figures, doc.year
    geoms = table.get_column("geometry").to_list()
    fills = [OWN if a == area["area_id"] else "#dddddd" for a in table.get_column("area_id").to_list()]
    kind = area["kind"] or ""
    facts = [
        (say("report.fact.layer"), say.name("layer", layer)),
        (say("report.fact.kind"), say.name("kind", kind) if kind else NONE),
        (
            say("report.fact.residents", year=year),
            fig.shown(row["residents"], "count", row.get("residents_state")),
        ),
        (say("report.fact.category", list_year=year + 1), fig.category(row.get("category"))),
    ]
    for column in sorted(c for c in row if c.startswith("light_")):  # one per traffic-light model
        name = doc.pub.model_name(column.removeprefix("light_"), doc.lang)
        facts.append((say("report.fact.light", model=name), fig.light(row[column])))
    units = {i["id"]: i["unit"] for i in pub.indicators}
    labels = {i["id"]: i[f"label_{doc.lang}"] for i in pub.indicators}
    rows = []
    for k in (k for k in KEY_FIGURES if k in units):
        value, unit = row.get(k), units[k]
        muni = pub.service.values(layer, k, year, pub.viewer)["municipality"]
        if value is not None and unit == "share":
            value /= 100  # the area table holds shares in percent
        rows.append(
            [
                labels[k],
                fig.shown(value, unit, row.get(f"{k}_state")),
                fig.value(muni.get("value"), unit) if muni else NONE,
            ]
        )
    municipality = doc.provenance["municipality"]
    return {
        "heading": say("report.profile.overview", year=year),
        "map": maps.area_map(
            geoms,
            fills,
            title=say("report.profile.map", area=area["name"], municipality=municipality),
            width=400,
            height=330,
        ),
        "map_caption": say("report.profile.map", area=area["name"], municipality=municipality),
        "close_up": maps.area_map(
            geoms,
            fills,
            title=say("report.profile.close_up"),
            width=230,
            height=170,
            stroke="#888888",
            focus=maps.close_up(row["geometry"]),
        ),
        "close_up_caption": say("report.profile.close_up"),
        "facts": facts,
        "sentences": profile["sentences"][:6],
        "key_figures": Table.of(
            [say("report.profile.key_figure"), area["name"], say("report.municipality")],
            rows,
            numeric={1, 2},
            widths=(60, 20, 20),
        ),
    }


def _criteria(doc: Document, profile: dict[str, Any]) -> dict[str, Any]:
    """Page 2: the latest list year's criteria, the list history and the forecast."""
    say, fig = doc.say, doc.figures
    latest = profile["latest"]
    out: dict[str, Any] = {"heading": say("report.profile.criteria"), "latest": None}
    if latest is not None:
        rules = load_rulebook().of_row(latest.get("rule_set"), int(latest["list_year"]))
        rows: list[list[str | Cell]] = []
        for column, key, unit, test in CRITERIA:
            name = rules.criterion_name(key, say) if rules else say(f"criterion.{key}")
            met = latest.get(f"{test}_met")
            persons = latest.get(f"{test}_margin_persons")
            kroner = latest.get(f"{test}_margin_dkk")
            rows.append(
                [
                    name[:1].upper() + name[1:],
                    fig.value(latest.get(column), unit),
                    fig.or_none(latest.get(f"{test}_threshold"), "share" if unit == "share" else "ratio"),
                    Cell(fig.yes_no(met), "" if met is None else LIGHT_COLOUR["roed" if met else "groen"]),
                    fig.points(latest.get(f"{test}_margin_pp")),
                    fig.or_none(persons, "count") if kroner is None else fig.value(kroner, "dkk"),
                ]
            )
        met = latest.get("criteria_met")
        out["latest"] = {
            "summary": say(
                "report.profile.summary",
                list_year=latest["list_year"],
                data_years=latest.get("data_years") or "",
                rule_set=latest["rule_set"],
                category=fig.category(latest.get("category")),
                met=fig.hidden_text if met is None else met,
            ),
            "table": Table.of(
                [
                    say(f"report.criteria.{c}")
                    for c in ("criterion", "value", "threshold", "met", "margin", "persons")
                ],
                rows,
                numeric={1, 2, 4, 5},
                widths=(40, 12, 11, 10, 13, 14),
            ),
        }
    history: list[list[str | Cell]] = [
        [
            str(r["list_year"]),
            str(r.get("rule_set") or NONE),
            Cell(fig.category(r.get("category")), LISTS.get(r.get("category") or "", "")),
            fig.hidden_text if r.get("criteria_met") is None else str(r["criteria_met"]),
        ]
        for r in profile["lists"]
    ]
    out["history"] = Table.of(
        [say(f"report.history.{c}") for c in ("list_year", "rule_set", "category", "met")],
        history,
        numeric={3},
        widths=(15, 15, 40, 30),
    )
    forecast = []
    for f in profile["forecast"]:
        low, high = f.get("labour_low"), f.get("labour_high")
        forecast.append(
            [
                str(f["list_year"]),
                *[
                    fig.value(f.get(f"p_{lst}"), "share", 0)
                    for lst in ("forebyggelse", "udsat", "parallelsamfund", "omdannelse")
                ],
                fig.value(f.get("labour_point"), "share"),
                fig.hidden_text
                if low is None or high is None
                else f"{fig.value(low, 'share')}–{fig.value(high, 'share')}",
            ]
        )
    out["forecast"] = (
        Table.of(
            [
                say(f"report.forecast.{c}")
                for c in (
                    "list_year",
                    "p_forebyggelse",
                    "p_udsat",
                    "p_parallelsamfund",
                    "p_omdannelse",
                    "labour",
                    "interval",
                )
            ],
            forecast,
            numeric={1, 2, 3, 4, 5, 6},
            widths=(10, 14, 12, 13, 14, 13, 24),
        )
        if forecast
        else None
    )
    return out


def _series(doc: Document, layer: str, area_id: str, name: str) -> dict[str, Any]:
    """Page 3: the yearly series of residents and the criteria's indicators."""
    pub, say = doc.pub, doc.say
    units = {i["id"]: i["unit"] for i in pub.indicators}
    lines = (
        ("area_series", name, OWN, False),
        ("municipality", say("report.municipality"), "#3b528b", False),
        ("almen", say("report.series.almen"), "#999999", True),
    )
    figures = []
    for indicator, key in SERIES:
        if indicator not in units:
            continue
        data = pub.service.series(layer, area_id, indicator, pub.viewer)
        scale = 100 if units[indicator] == "share" else 1
        unit = say(
            "report.unit.percent"
            if scale == 100
            else ("report.unit.kroner" if units[indicator] == "dkk" else "report.unit.count")
        )
        title = say(f"report.series.{key}")
        drawn = [
            charts.Line(
                label,
                colour,
                [(p["year"], scale * p["value"]) for p in data[k] if p.get("value") is not None],
                dashed,
            )
            for k, label, colour, dashed in lines
        ]
        chart = charts.line_chart(drawn, title=title, unit=unit, number=say.number)
        figures.append({"title": title, "svg": chart})
    return {
        "heading": say("report.profile.series"),
        "legend": [Key(label, colour, "dash" if dashed else "line") for _, label, colour, dashed in lines],
        "charts": figures,
    }


def _moves(doc: Document, layer: str, area_id: str) -> dict[str, Any]:
    """Page 4: moves in and out per year, and the decomposition of the labour criterion's change."""
    pub, say, fig = doc.pub, doc.say, doc.figures
    m = pub.service.area_moves(layer, area_id, pub.viewer)
    rows = [
        [
            str(t["year"]),
            fig.value(t.get("in_total"), "count"),
            fig.value(t.get("out_total"), "count"),
            fig.value(t.get("net"), "count"),
            fig.value(t.get("turnover"), "share"),
        ]
        for t in m["tallies"][-8:]
    ]
    analyst_only = bool(m["decomposition"]) and all(
        d["state"] == "suppressed" and d.get("reason") == "differencing" for d in m["decomposition"]
    )
    dec = [d for d in m["decomposition"] if d["criterion"] == "labour" and not analyst_only]
    title = say("report.moves.chart")
    chart = charts.stacked_bars(
        [d["year"] for d in dec],
        [
            charts.Stack(say(f"report.moves.{key}"), colour, [100 * (d.get(key) or 0) for d in dec])
            for key, colour in MOVE_PARTS
        ],
        [(d["year"], 100 * d["change"]) for d in dec if d.get("change") is not None],
        title=title,
        unit=say("report.unit.points"),
        number=say.number,
    )
    if analyst_only:  # its terms would give counts away that nothing else publishes
        message = say("report.moves.analyst_only")
    elif not dec:
        message = say("report.moves.none_shown")
    else:
        message = ""
    return {
        "heading": say("report.profile.moves"),
        "tallies": Table.of(
            [say(f"report.moves.{c}") for c in ("year", "in", "out", "net", "turnover")],
            rows,
            numeric={1, 2, 3, 4},
        )
        if rows
        else None,
        "chart": None if message else chart,
        "chart_title": title,
        "message": message,
        "legend": [Key(say(f"report.moves.{key}"), colour) for key, colour in MOVE_PARTS]
        + [Key(say("report.moves.total"), "#000000", "diamond")],
    }

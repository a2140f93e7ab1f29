"""PDF reports drawn with matplotlib (no system libraries): an *områdeprofil* for one area and an
*årsstatus* for the whole municipality. Every figure comes from the audience's `Publication`;
every page carries the title, page number, data year, date, audience and provenance in its footer,
a small count the label of the audience's policy, and — in a report that must not leave the
analysis function — the warning above its title."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, never a screen

import matplotlib.pyplot as plt
import polars as pl
import shapely
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from boligsocial.common.errors import NotFound
from boligsocial.outputs.export.notes import HIDDEN_TEXT, note_text
from boligsocial.outputs.export.published import LIGHT_NAME, LIST_NAME, Publication

plt.rcParams.update({"pdf.fonttype": 42, "font.family": "DejaVu Sans", "font.size": 9})  # text stays text

A4 = (8.27, 11.69)
CATEGORY_COLOUR = {
    "omdannelse": "#D55E00",
    "parallelsamfund": "#E69F00",
    "udsat": "#F0E442",
    "forebyggelse": "#56B4E9",
    "none": "#eeeeee",
}
CATEGORY_NAME = {**LIST_NAME, "none": "Ingen liste"}
LIGHT_COLOUR = {"roed": "#D55E00", "gul": "#F0E442", "groen": "#009E73"}
HIDDEN = HIDDEN_TEXT
#: The criteria as the report names them: (list column, label, unit of the value, threshold column).
CRITERIA = (
    ("labour_share", "Uden for arbejdsmarked eller uddannelse (18-64 år)", "share", "labour"),
    ("crime_share", "Dømte (18+ år); grænsen er 3 gange landsgennemsnittet", "share", "crime"),
    ("education_share", "Højst grundskole (30-59 år)", "share", "education"),
    ("income_ratio", "Indkomst i forhold til regionen (15-64 år)", "ratio", "income"),
    ("nonwestern_share", "Indvandrere og efterkommere fra ikke-vestlige lande", "share", "nonwestern"),
)
SERIES = (
    ("residents", "Beboere"),
    ("outside_labour_18_64", "Uden for arbejdsmarked (18-64)"),
    ("convicted_18plus", "Dømte (18+)"),
    ("low_education_30_59", "Højst grundskole (30-59)"),
    ("mean_income_15_64", "Gennemsnitsindkomst (15-64)"),
    ("nonwestern_share", "Ikke-vestlig baggrund"),
)

Draw = Callable[[Figure], None]


def _num(value: float | None, unit: str, digits: int = 1) -> str:
    """A Danish number: 52,4 %, 1.234, 312.000 kr."""
    if value is None:
        return HIDDEN

    def dk(x: float, d: int) -> str:
        return f"{x:,.{d}f}".replace(",", "X").replace(".", ",").replace("X", ".")

    if unit == "share":
        return dk(100 * value, digits) + " %"
    if unit == "pct":
        return dk(value, digits) + " %"
    if unit == "dkk":
        return dk(value, 0) + " kr."
    if unit == "count":
        return dk(value, 0)
    if unit == "ratio":
        return dk(value, 2)
    return dk(value, digits)


class Report:
    """Pages drawn one by one into a PDF with a shared header and footer."""

    def __init__(self, pub: Publication, title: str, year: int) -> None:
        self.pub = pub
        self.title = title
        self.year = year
        self.pages: list[tuple[str, Draw]] = []

    def page(self, heading: str) -> Callable[[Draw], Draw]:
        def add(draw: Draw) -> Draw:
            self.pages.append((heading, draw))
            return draw

        return add

    def write(self, out: Path) -> None:
        prov = self.pub.provenance()
        generated = prov["generated"][:10]
        warning = self.pub.warning()
        with PdfPages(
            out, metadata={"Title": self.title, "Creator": prov["tool"], "Subject": prov["municipality"]}
        ) as pdf:
            for n, (heading, draw) in enumerate(self.pages, start=1):
                fig = plt.figure(figsize=A4)
                if warning:  # drawn first (below the axes' zorder), so a reader's text starts with it
                    fig.text(
                        0.06,
                        0.988,
                        warning,
                        fontsize=8.5,
                        weight="bold",
                        color="#B00020",
                        va="top",
                        zorder=-1,
                    )
                fig.text(0.06, 0.965, self.title, fontsize=15, weight="bold", va="top")
                fig.text(0.06, 0.935, heading, fontsize=11, color="#333333", va="top")
                fig.add_artist(plt.Line2D([0.06, 0.94], [0.925, 0.925], color="#999999", lw=0.6))
                draw(fig)
                footer = (
                    f"{prov['municipality']} · dataår {self.year} · dannet {generated} · {prov['tool']} · "
                    f"målgruppe {prov['audience']} · regelsæt {prov['rule_sets']}"
                )
                fig.text(0.06, 0.025, footer, fontsize=6.5, color="#555555")
                fig.text(0.94, 0.025, f"Side {n} af {len(self.pages)}", fontsize=8, ha="right")
                pdf.savefig(fig)
                plt.close(fig)


# --- drawing helpers ----------------------------------------------------------------------------


def _draw_areas(
    ax: Axes, geoms: list[bytes], colours: list[str], edge: str = "#ffffff", lw: float = 0.4
) -> None:
    """Polygons (WKB, metres) as patches with holes, equal aspect, no axes."""
    for wkb, colour in zip(geoms, colours, strict=True):
        g = shapely.from_wkb(wkb)
        for poly in getattr(g, "geoms", [g]):
            rings = [poly.exterior, *poly.interiors]
            vertices, codes = [], []
            for ring in rings:
                xy = list(ring.coords)
                vertices += xy
                codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(xy) - 2) + [MplPath.CLOSEPOLY]
            ax.add_patch(PathPatch(MplPath(vertices, codes), facecolor=colour, edgecolor=edge, lw=lw))
    bounds = shapely.total_bounds(shapely.from_wkb(geoms))
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    ax.set_aspect("equal")
    ax.axis("off")


def _table(
    fig: Figure,
    rect: tuple[float, float, float, float],
    header: list[str],
    rows: list[list[str]],
    widths: list[float],
    colours: list[list[str]] | None = None,
    size: float = 7.5,
) -> None:
    """A plain table: header row in bold, zebra rows, text only (so a PDF reader can extract it)."""
    ax = fig.add_axes(rect)
    ax.axis("off")
    n = len(rows) + 1
    step = 1 / max(n, 1)
    xs = [sum(widths[:i]) for i in range(len(widths))]
    for x, h in zip(xs, header, strict=True):
        ax.text(
            x + 0.005, 1 - step / 2, h, weight="bold", va="center", fontsize=size, ha="left", clip_on=False
        )
    for r, row in enumerate(rows, start=1):
        y = 1 - (r + 0.5) * step
        if r % 2 == 0:
            ax.add_patch(plt.Rectangle((0, 1 - (r + 1) * step), 1, step, color="#f2f2f2", lw=0))
        for c, (x, text) in enumerate(zip(xs, row, strict=True)):
            colour = colours[r - 1][c] if colours else ""
            if colour:
                ax.add_patch(
                    plt.Rectangle(
                        (x, 1 - (r + 1) * step + step * 0.15), 0.012, step * 0.7, color=colour, lw=0
                    )
                )
                x += 0.016
            ax.text(x + 0.005, y, text, va="center", fontsize=size, ha="left", clip_on=False)
    ax.plot([0, 1], [1 - step, 1 - step], color="#333333", lw=0.6)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


# --- områdeprofil -------------------------------------------------------------------------------


def area_profile(pub: Publication, layer: str, area_id: str, year: int, out: Path) -> None:
    """The områdeprofil of one area: map and key figures, criteria with margins and forecast,
    time series, and moves."""
    svc, v = pub.service, pub.viewer
    if not svc.may_see_profile(v, layer, area_id):
        raise NotFound("unknown-area", f"no area '{area_id}' in layer '{layer}' for this audience")
    profile = svc.profile(layer, area_id, "da", v)
    area = profile["area"]
    report = Report(pub, f"Områdeprofil: {area['name']}", year)
    table = pub.area_table(layer, [year])
    mine = table.filter(pl.col("area_id") == area_id)
    if mine.is_empty():
        raise NotFound("no-area-year", f"area '{area_id}' has no boundary in {year}")
    row = mine.row(0, named=True)
    municipality = {i["id"]: svc.values(layer, i["id"], year, v)["municipality"] for i in pub.indicators}
    units = {i["id"]: i["unit"] for i in pub.indicators}

    @report.page(f"Området i kommunen og nøgletal, dataår {year}")
    def overview(fig: Figure) -> None:
        ax = fig.add_axes((0.06, 0.56, 0.5, 0.35))
        geoms = table.get_column("geometry").to_list()
        colours = ["#D55E00" if a == area_id else "#dddddd" for a in table.get_column("area_id").to_list()]
        _draw_areas(ax, geoms, colours)
        ax.set_title(f"{area['name']} (rød) i {pub.provenance()['municipality']}", fontsize=8)
        zoom = fig.add_axes((0.62, 0.555, 0.3, 0.15))
        _draw_areas(zoom, geoms, colours, edge="#888888")
        own = shapely.from_wkb(row["geometry"])
        x0, y0, x1, y1 = own.buffer(
            max(own.bounds[2] - own.bounds[0], own.bounds[3] - own.bounds[1], 300)
        ).bounds
        zoom.set_xlim(x0, x1)
        zoom.set_ylim(y0, y1)
        zoom.set_title("Udsnit", fontsize=8)
        facts = [
            f"Lag: {layer}",
            f"Områdetype: {area['kind'] or '–'}",
            f"Beboere {year}: {_count(pub, row['residents'], row.get('residents_state'))}",
            f"Kategori for listeår {year + 1}: {CATEGORY_NAME.get(row.get('category') or 'none', '–')}",
        ]
        for column in sorted(c for c in row if c.startswith("light_")):  # one per traffic-light model
            facts.append(
                f"Trafiklys ({column.removeprefix('light_')}): {LIGHT_NAME.get(row[column] or '', HIDDEN)}"
            )
        fig.text(0.6, 0.89, "\n".join(_wrap(f, 42) for f in facts), va="top", fontsize=8.5, linespacing=1.6)
        sentences = "\n".join(_wrap(s, 110) for s in profile["sentences"][:6])
        fig.text(0.06, 0.535, sentences or "", va="top", fontsize=8, linespacing=1.45)
        keys = [
            "residents",
            "outside_labour_18_64",
            "convicted_18plus",
            "low_education_30_59",
            "mean_income_15_64",
            "nonwestern_share",
            "almen_housing_share",
            "children_0_17",
            "age_65_plus",
            "school_absence_6_16",
            "placement_0_17",
        ]
        labels = {i["id"]: i["label_da"] for i in pub.indicators}
        rows = []
        for k in [k for k in keys if k in units]:
            value = row.get(k)
            shown = (
                None if value is None else (value / 100 if units[k] == "share" else value)
            )  # the table holds percent
            muni = municipality[k]
            rows.append(
                [
                    _wrap(labels[k], 60),
                    _num(shown, units[k]) if value is not None else _state_text(pub, row.get(f"{k}_state")),
                    _num(muni.get("value"), units[k]) if muni else "–",
                ]
            )
        _table(fig, (0.06, 0.06, 0.88, 0.31), ["Nøgletal", area["name"], "Kommunen"], rows, [0.6, 0.2, 0.2])

    @report.page("Kriterierne for de statslige lister, margener og prognose")
    def criteria(fig: Figure) -> None:
        latest = profile["latest"]
        if latest is None:
            fig.text(0.06, 0.85, "Ingen listeberegning for området.", fontsize=10)
            return
        rows, colours = [], []
        for column, label, unit, test in CRITERIA:
            value = latest.get(column)
            threshold = latest.get(f"{test}_threshold")
            met = latest.get(f"{test}_met")
            margin = latest.get(f"{test}_margin_pp")
            persons = latest.get(f"{test}_margin_persons") or latest.get(f"{test}_margin_dkk")
            rows.append(
                [
                    _wrap(label, 42),
                    _num(value, unit) if value is not None else HIDDEN,
                    _num(threshold, "share" if unit == "share" else "ratio")
                    if threshold is not None
                    else "–",
                    "ja" if met else ("nej" if met is not None else HIDDEN),
                    (f"{_num(margin, 'mean', 1)} pp" if margin is not None else HIDDEN),
                    (_num(persons, "count") if persons is not None else "–"),
                ]
            )
            colours.append(["", "", "", "#D55E00" if met else ("#009E73" if met is not None else ""), "", ""])
        fig.text(
            0.06,
            0.9,
            f"Listeår {latest['list_year']} (data {latest.get('data_years') or ''}), regelsæt {latest['rule_set']}: "
            f"{CATEGORY_NAME.get(latest.get('category') or 'none', '')}, {latest.get('criteria_met')} af 4 kriterier opfyldt.",
            fontsize=9,
        )
        _table(
            fig,
            (0.06, 0.62, 0.88, 0.25),
            ["Kriterium", "Værdi", "Grænse", "Opfyldt", "Margin", "Personer/kr."],
            rows,
            [0.42, 0.12, 0.11, 0.1, 0.12, 0.13],
            colours,
        )
        fig.text(
            0.06,
            0.6,
            _wrap(
                "Margin: afstand til grænsen i procentpoint (positiv = over grænsen). Personer: hvor mange "
                "personer (eller kroner for indkomst) der skal til for at ændre udfaldet.",
                120,
            ),
            fontsize=7.5,
            color="#444444",
            va="top",
        )
        forecast = profile["forecast"]
        fig.text(0.06, 0.52, "Prognose", fontsize=11, weight="bold")
        if not forecast:
            fig.text(0.06, 0.49, "Ingen prognose.", fontsize=9)
            return
        frows = []
        for f in forecast:
            frows.append(
                [
                    str(f["list_year"]),
                    *[
                        _num(f.get(f"p_{lst}"), "share", 0) if f.get(f"p_{lst}") is not None else HIDDEN
                        for lst in ("forebyggelse", "udsat", "parallelsamfund", "omdannelse")
                    ],
                    _num(f.get("labour_point"), "share") if f.get("labour_point") is not None else HIDDEN,
                    (
                        f"{_num(f.get('labour_low'), 'share')}–{_num(f.get('labour_high'), 'share')}"
                        if f.get("labour_low") is not None
                        else HIDDEN
                    ),
                ]
            )
        _table(
            fig,
            (0.06, 0.3, 0.88, 0.2),
            [
                "Listeår",
                "P(forebyggelse)",
                "P(udsat)",
                "P(parallel.)",
                "P(omdannelse)",
                "Uden for arb.",
                "80 %-interval",
            ],
            frows,
            [0.1, 0.14, 0.12, 0.13, 0.14, 0.13, 0.24],
        )
        fig.text(
            0.06,
            0.27,
            _wrap(
                "Sandsynligheder fra 2.000 simulationer af en dæmpet 5-års trend med usikkerhed; intervallet "
                "dækker 80 % af simulationerne. En prognose er ikke en afgørelse: listerne offentliggøres af "
                "ministeriet 1. december.",
                120,
            ),
            fontsize=7.5,
            color="#444444",
            va="top",
        )

    @report.page("Udvikling over årene: området, kommunen og de øvrige almene områder")
    def series(fig: Figure) -> None:
        for n, (indicator, label) in enumerate(SERIES):
            if indicator not in units:
                continue
            ax = fig.add_axes((0.08 + (n % 2) * 0.46, 0.66 - (n // 2) * 0.29, 0.38, 0.2))
            data = svc.series(layer, area_id, indicator, v)
            scale = 100 if units[indicator] == "share" else 1
            for key, name, colour, style in (
                ("area_series", area["name"], "#D55E00", "-"),
                ("municipality", "Kommunen", "#3b528b", "-"),
                ("almen", "Øvrige almene", "#999999", "--"),
            ):
                points = [(p["year"], p["value"]) for p in data[key] if p.get("value") is not None]
                if points:
                    ax.plot(
                        [p[0] for p in points],
                        [scale * p[1] for p in points],
                        style,
                        color=colour,
                        label=name,
                        lw=1.4,
                    )
            ax.set_title(label, fontsize=8.5)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
            ax.set_ylabel(
                "procent" if scale == 100 else ("kr." if units[indicator] == "dkk" else "antal"), fontsize=7
            )
            if n == 0:
                ax.legend(fontsize=7, loc="best")

    @report.page("Flytninger: til- og fraflytning, og hvad de betød for beskæftigelseskriteriet")
    def moves(fig: Figure) -> None:
        m = svc.area_moves(layer, area_id, v)
        tallies = m["tallies"][-8:]
        rows = [
            [
                str(t["year"]),
                _num(t.get("in_total"), "count") if t.get("in_total") is not None else HIDDEN,
                _num(t.get("out_total"), "count") if t.get("out_total") is not None else HIDDEN,
                _num(t.get("net"), "count") if t.get("net") is not None else HIDDEN,
                _num(t.get("turnover"), "share") if t.get("turnover") is not None else HIDDEN,
            ]
            for t in tallies
        ]
        fig.text(0.06, 0.89, "Til- og fraflytning pr. år", fontsize=10, weight="bold")
        if rows:
            _table(
                fig,
                (0.06, 0.63, 0.5, 0.24),
                ["År", "Tilflyttere", "Fraflyttere", "Netto", "Udskiftning"],
                rows,
                [0.16, 0.21, 0.21, 0.2, 0.22],
            )
        else:
            fig.text(0.06, 0.85, "Ingen flytninger.", fontsize=9)
        analyst_only = bool(m["decomposition"]) and all(
            d["state"] == "suppressed" and d.get("reason") == "differencing" for d in m["decomposition"]
        )
        dec = [d for d in m["decomposition"] if d["criterion"] == "labour" and not analyst_only]
        ax = fig.add_axes((0.1, 0.2, 0.8, 0.33))
        parts = (
            ("stayers", "Blivernes egen ændring", "#21918c"),
            ("in_movers", "Tilflyttere", "#D55E00"),
            ("out_movers", "Fraflyttere", "#E69F00"),
            ("ageing_in", "Ind i aldersgruppen", "#56B4E9"),
            ("ageing_out", "Ud af aldersgruppen", "#999999"),
        )
        years = [d["year"] for d in dec]
        pos = [0.0] * len(dec)
        neg = [0.0] * len(dec)
        for key, name, colour in parts:
            vals = [100 * (d.get(key) or 0) for d in dec]
            bottoms = [p if x >= 0 else q for x, p, q in zip(vals, pos, neg, strict=True)]
            ax.bar(years, vals, bottom=bottoms, color=colour, label=name, width=0.7)
            pos = [p + max(x, 0) for p, x in zip(pos, vals, strict=True)]
            neg = [q + min(x, 0) for q, x in zip(neg, vals, strict=True)]
        shown = [(d["year"], 100 * d["change"]) for d in dec if d.get("change") is not None]
        if shown:
            ax.plot([s[0] for s in shown], [s[1] for s in shown], "D", color="black", label="I alt", ms=4)
        ax.axhline(0, color="#333333", lw=0.6)
        ax.set_title("Ændring i andelen uden for arbejdsmarkedet (18-64 år), procentpoint", fontsize=9)
        ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.08))
        ax.grid(alpha=0.3, axis="y")
        if analyst_only:  # its terms would give counts away that nothing else publishes
            ax.text(0.5, 0.5, "Vises kun for analytikere (diskretion)", ha="center", transform=ax.transAxes)
        elif not dec:
            ax.text(0.5, 0.5, "Ikke vist (diskretion) eller ingen data", ha="center", transform=ax.transAxes)
        fig.text(
            0.06,
            0.08,
            _wrap(
                "Ændringen fra år til år er delt i blivernes egen ændring, tilflytternes og fraflytternes bidrag "
                "og personer, der vokser ind i eller ud af aldersgruppen; delene summerer præcist til ændringen. "
                "En positiv fraflytterdel betyder, at de, der flyttede, lå under blivernes niveau.",
                125,
            ),
            fontsize=7.5,
            color="#444444",
        )

    del overview, criteria, series, moves
    report.write(out)


def _state_text(pub: Publication, state: Any) -> str:
    """A figure without a value: a small count by the policy's label, else hidden or no data (–)."""
    return pub.hidden_text(None if state is None else str(state), nodata="–")


def _count(pub: Publication, value: float | None, state: Any) -> str:
    """A published count, or what stands in its place."""
    return _num(value, "count") if value is not None else _state_text(pub, state)


# --- årsstatus ----------------------------------------------------------------------------------


def annual_status(pub: Publication, layer: str, year: int, out: Path) -> None:
    """The årsstatus for the municipality: maps of list categories and traffic lights, the table of
    all almene areas, what changed, and a page of methods."""
    svc, v = pub.service, pub.viewer
    list_year = year + 1 if year + 1 in svc.list_years() else year
    report = Report(pub, f"Årsstatus {list_year}: boligsociale lister og trafiklys", year)
    table = pub.area_table(layer, [year])
    prov = pub.provenance()

    @report.page(f"Kort: beregnet kategori for listeår {list_year} og trafiklys (kriteriemodellen)")
    def maps(fig: Figure) -> None:
        geoms = table.get_column("geometry").to_list()
        cats = [CATEGORY_COLOUR.get(c or "none", "#eeeeee") for c in table.get_column("category").to_list()]
        ax = fig.add_axes((0.04, 0.5, 0.92, 0.4))
        _draw_areas(ax, geoms, cats, edge="#888888", lw=0.3)
        ax.set_title(f"Beregnet kategori, listeår {list_year}", fontsize=10)
        ax.legend(
            handles=[Patch(color=CATEGORY_COLOUR[k], label=CATEGORY_NAME[k]) for k in CATEGORY_COLOUR],
            fontsize=7,
            loc="lower left",
        )
        lights = table.get_column("light_kriterier").to_list() if "light_kriterier" in table.columns else []
        ax2 = fig.add_axes((0.04, 0.07, 0.92, 0.4))
        _draw_areas(
            ax2, geoms, [LIGHT_COLOUR.get(c or "", "#ffffff") for c in lights] or cats, edge="#888888", lw=0.3
        )
        ax2.set_title("Trafiklys, kriteriemodellen (hvid = ikke vist eller ingen data)", fontsize=10)
        ax2.legend(
            handles=[Patch(color=LIGHT_COLOUR[k], label=LIGHT_NAME[k]) for k in LIGHT_COLOUR],
            fontsize=7,
            loc="lower left",
        )

    lists = pub.lists(layer).filter((pl.col("list_year") == list_year) & pl.col("eligible"))
    lights_now = {
        r["area_id"]: r["colour"]
        for r in pub.traffic_lights(layer).filter(pl.col("model") == "kriterier").iter_rows(named=True)
        if r["year"] == list_year
    }
    almen = lists.sort("name").to_dicts()
    per_page = 26
    chunks = [almen[i : i + per_page] for i in range(0, len(almen), per_page)] or [[]]
    for k, chunk in enumerate(chunks, start=1):

        def almen_table(fig: Figure, chunk: list[dict[str, Any]] = chunk) -> None:
            rows, colours = [], []
            for r in chunk:
                rows.append(
                    [
                        r["name"],
                        _num(r.get("residents"), "count")
                        if r.get("residents") is not None
                        else r.get("residents_label") or HIDDEN,
                        CATEGORY_NAME.get(r.get("category") or "none", ""),
                        str(r.get("criteria_met")) if r.get("criteria_met") is not None else "–",
                        *[_num(r.get(c), u) if r.get(c) is not None else "–" for c, _, u, _ in CRITERIA],
                        LIGHT_NAME.get(lights_now.get(r["area_id"]) or "", "–"),
                    ]
                )
                colours.append(
                    [
                        "",
                        "",
                        CATEGORY_COLOUR.get(r.get("category") or "none", ""),
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        LIGHT_COLOUR.get(lights_now.get(r["area_id"]) or "", ""),
                    ]
                )
            _table(
                fig,
                (
                    0.04,
                    0.1 + 0.8 * (1 - (len(rows) + 1) / (per_page + 1)),
                    0.92,
                    0.8 * (len(rows) + 1) / (per_page + 1),
                ),
                [
                    "Område",
                    "Beboere",
                    "Kategori",
                    "Krit.",
                    "Uden f. arb.",
                    "Dømte",
                    "Grundsk.",
                    "Indk. ×",
                    "Ikke-vestl.",
                    "Trafiklys",
                ],
                rows,
                [0.17, 0.08, 0.17, 0.05, 0.09, 0.08, 0.09, 0.08, 0.09, 0.1],
                colours,
                size=6.8,
            )
            if not rows:
                fig.text(0.06, 0.85, "Ingen almene boligområder i laget.", fontsize=10)
            fig.text(
                0.06,
                0.07,
                "Krit. = opfyldte kriterier for udsat boligområde (af 4). Indk. × = indkomst i forhold til "
                "regionen. – = ikke vist (diskretion) eller ingen data.\nKategorien er beregnet af "
                "kommunens data efter lovens kriterier; den officielle liste offentliggøres af ministeriet.",
                fontsize=7,
                color="#444444",
            )

        report.pages.append(
            (
                f"Alle almene boligområder, listeår {list_year}"
                + (f" ({k}/{len(chunks)})" if len(chunks) > 1 else ""),
                almen_table,
            )
        )

    @report.page(f"Hvad ændrede sig fra listeår {list_year - 1} til {list_year}, og hvilke områder er tæt på")
    def changes(fig: Figure) -> None:
        changed = svc.changes(layer, list_year, v)
        rows = [
            [
                r["name"],
                CATEGORY_NAME.get(r.get("category_before") or "none", "–"),
                CATEGORY_NAME.get(r.get("category") or "none", "–"),
                f"{LIGHT_NAME.get(r.get('previous') or '', '–')} → {LIGHT_NAME.get(r.get('colour') or '', '–')}",
            ]
            for r in changed[:20]
        ]
        fig.text(0.06, 0.89, f"Ændringer ({len(changed)} områder)", fontsize=10, weight="bold")
        if rows:
            _table(
                fig,
                (0.06, 0.89 - 0.018 * (len(rows) + 1) - 0.01, 0.88, 0.018 * (len(rows) + 1)),
                ["Område", "Før", "Nu", "Trafiklys"],
                rows,
                [0.3, 0.25, 0.25, 0.2],
            )
        else:
            fig.text(0.06, 0.86, "Ingen ændringer i kategori eller trafiklys.", fontsize=9)
        watch = [r for r in svc.watchlist(layer, list_year, v) if r["category"] == "none"][:15]
        top = 0.45
        fig.text(
            0.06,
            top,
            "Tæt på listerne (ingen kategori, men kriterier opfyldt eller gult/rødt lys)",
            fontsize=10,
            weight="bold",
        )
        wrows = [
            [
                r["name"],
                str(r.get("criteria_met")) if r.get("criteria_met") is not None else HIDDEN,
                LIGHT_NAME.get(r.get("colour") or "", HIDDEN),
                _num(r.get("residents"), "count") if r.get("residents") is not None else HIDDEN,
            ]
            for r in watch
        ]
        if wrows:
            _table(
                fig,
                (0.06, top - 0.018 * (len(wrows) + 1) - 0.01, 0.88, 0.018 * (len(wrows) + 1)),
                ["Område", "Kriterier opfyldt", "Trafiklys", "Beboere"],
                wrows,
                [0.4, 0.2, 0.2, 0.2],
            )
        else:
            fig.text(0.06, top - 0.03, "Ingen.", fontsize=9)

    from boligsocial.compute.trafficlight import load_models

    models = {m.id: m for m in load_models()}
    light_text = (
        " ".join((m.description_da or "").replace("\n", " ") for k, m in models.items() if k == "kriterier")
        or "Kriteriemodellen."
    )

    @report.page("Metode og datagrundlag")
    def methods(fig: Figure) -> None:
        policy = v.policy
        text = [
            (
                "Data",
                f"{prov['municipality']}, dataår {prov['data_years']}; bopæl ved årets udgang. Leverancens "
                f"fingeraftryk {prov['delivery_fingerprint'][:16]}.",
            ),
            (
                "Lister",
                f"Kriterierne i almenboligloven § 61 a (regelsæt {prov['rule_sets']}), beregnet eksakt for hvert område og listeår "
                "af data fra de to foregående år. Kategorien er beregnet, ikke ministeriets officielle liste.",
            ),
            ("Trafiklys", light_text),
            (
                "Prognose",
                "Dæmpet 5-års trend pr. kriterium, 2.000 simulationer; sandsynligheder for hver liste to og tre listeår frem.",
            ),
            (
                "Diskretion",
                f"Målgruppe '{prov['audience']}' (politik '{policy.name}'). {note_text(policy)} Skjulte tal står "
                f"som '{HIDDEN}' eller –. Ingen oplysning i rapporten identificerer en person.",
            ),
            ("Koordinater", "Områdegrænser i EPSG:25832 (ETRS89 / UTM zone 32N)."),
            ("Dannet", f"{prov['generated']} af {prov['tool']}."),
        ]
        y = 0.88
        for head, body in text:
            fig.text(0.06, y, head, weight="bold", fontsize=9, va="top")
            wrapped = _wrap(body, 88)
            fig.text(0.22, y, wrapped, fontsize=9, va="top", linespacing=1.4)
            y -= 0.03 + 0.017 * wrapped.count("\n")

    del maps, changes, methods
    report.write(out)

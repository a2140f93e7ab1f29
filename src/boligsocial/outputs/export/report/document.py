"""One report as a document: the shared page (header, footer, warning) around a report's own
template, rendered to a tagged PDF by WeasyPrint.

The page itself is HTML and CSS: `templates/base.html` holds what every page of every report
carries — the footer with title, page number ("Side 2 af 4"), municipality, data year, date,
tool, audience and rule sets, and, in a file that must not leave the analysis function, the
warning above the title (first on page 1, at the top of every other page) — and `report.css` the
A4 page, its margins and the look. A report (`profile`, `status`) only gathers its figures from
the `Publication` and names its template. The PDF is PDF/UA-1 (tagged: headings, tables, lists,
figures with their titles as alternative text), text stays text and charts and maps are SVG.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from boligsocial.common.words import Words, words
from boligsocial.outputs.export.published import Publication
from boligsocial.outputs.export.report.figures import Figures

#: The PDF variant written: tagged for accessibility (structure tree, alternative texts, language).
PDF_VARIANT = "pdf/ua-1"


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and, for a category or a colour, a swatch of that colour beside it
    (decoration only: the text says the same)."""

    text: str
    swatch: str = ""


@dataclass(frozen=True)
class Table:
    """A table of text: header row, rows, which columns are numbers (right-aligned) and the
    relative width of each column in percent (the template's `colgroup`)."""

    header: list[str]
    rows: list[list[Cell]]
    numeric: frozenset[int] = frozenset()
    widths: tuple[int, ...] = ()

    @classmethod
    def of(
        cls,
        header: list[str],
        rows: Sequence[Sequence[str | Cell]],
        numeric: set[int] | None = None,
        widths: tuple[int, ...] = (),
    ) -> Table:
        """A table from plain strings (and cells where a swatch is wanted)."""
        cells = [[c if isinstance(c, Cell) else Cell(c) for c in row] for row in rows]
        return cls(header, cells, frozenset(numeric or ()), widths)


@dataclass(frozen=True)
class Key:
    """One entry of a legend: a name and how it is drawn (`box`, `line`, `dash` or `diamond`)."""

    name: str
    colour: str
    mark: str = "box"


@cache
def _environment() -> Environment:
    """The templates, HTML-escaped (area names and every text are data)."""
    return Environment(
        loader=PackageLoader("boligsocial.outputs.export.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def _stylesheet() -> str:
    return resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")


@dataclass
class Document:
    """A report being made: its publication, language, title and data year."""

    pub: Publication
    lang: str
    title: str
    year: int

    @cached_property
    def say(self) -> Words:
        return words(self.lang)

    @cached_property
    def figures(self) -> Figures:
        return Figures(self.say, self.pub.policy)

    @cached_property
    def provenance(self) -> dict[str, str]:
        return self.pub.provenance()

    def footer(self) -> list[str]:
        """The two provenance lines of every page (the page number is beside them): what the
        report is, for where, which data year and when; and by which tool, for which audience,
        by which rule sets."""
        prov = self.provenance
        generated = dt.date.fromisoformat(prov["generated"][:10])
        return [
            self.say(
                "report.footer",
                title=self.title,
                municipality=prov["municipality"],
                year=self.year,
                date=self.say.date(generated),
            ),
            self.say(
                "report.footer_provenance",
                tool=prov["tool"],
                audience=self.audience,
                rule_sets=prov["rule_sets"],
            ),
        ]

    @property
    def audience(self) -> str:
        """The audience by its role's name (vocabulary.po), never its id."""
        return self.say.name("role", str(self.provenance["audience"]))

    def page_of(self) -> Markup:
        """The page number ("Side 2 af 4") with the numbers left to the page's counters (CSS
        `counter(page)`, `counter(pages)`)."""
        text = escape(self.say("report.page_of", page="\x00", pages="\x01"))
        return Markup(
            text.replace("\x00", Markup('<span class="page-counter"></span>')).replace(
                "\x01", Markup('<span class="pages-counter"></span>')
            )
        )

    def html(self, template: str, **context: Any) -> str:
        """The report's HTML: its template inside the shared page."""
        prov = self.provenance
        return (
            _environment()
            .get_template(template)
            .render(
                lang=self.lang,
                say=self.say,
                title=self.title,
                warning=self.pub.warning(self.lang),
                footer=self.footer(),
                page_of=self.page_of(),
                municipality=prov["municipality"],
                tool=prov["tool"],
                generated=prov["generated"],
                **context,
            )
        )

    def write(self, template: str, out: Path, **context: Any) -> None:
        """Render the report's template to a tagged PDF at `out`."""
        from weasyprint import CSS, HTML  # seconds of import: only when a report is made

        HTML(string=self.html(template, **context), url_fetcher=_fetch_nothing).write_pdf(
            out, stylesheets=[CSS(string=_stylesheet())], pdf_variant=PDF_VARIANT
        )


def _fetch_nothing(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A report is whole in its HTML (SVG inline, the stylesheet given): nothing is fetched, not
    a file and not the network, whatever a text in it might name."""
    raise ValueError(f"a report fetches nothing ({url[:40]})")

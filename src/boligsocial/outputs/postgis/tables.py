"""The tables a PostgreSQL publication holds, built from a `Publication` (already through the
disclosure step): their columns, comments and indexes, with labels and descriptions that follow
the audience's policy (docs/publish.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import polars as pl

from boligsocial.common.errors import InvalidParameter, NotFound
from boligsocial.common.progress import silent
from boligsocial.outputs.export.gis import field_descriptions
from boligsocial.outputs.export.notes import state_description
from boligsocial.outputs.export.published import UNIT_TEXT, Publication
from boligsocial.publish.disclosure import Policy

SRID = 25832
GATHER = "Samler de publicerede tabeller"
Progress = Callable[[str, int, int], None]


@dataclass
class Table:
    """One table to write: rows, Danish comments, primary key, indexes and its WKB column if any."""

    name: str
    frame: pl.DataFrame
    comment: str
    columns: dict[str, str]
    key: tuple[str, ...]
    indexes: tuple[tuple[str, ...], ...] = ()
    geometry: str | None = None


def layers_of(pub: Publication, layers: list[str] | None) -> list[str]:
    known = pub.service.layers()
    if layers is None:
        return known
    if not layers:
        raise InvalidParameter("no-layers", "no layers to publish", {"allowed": known})
    unknown = [layer for layer in layers if layer not in known]
    if unknown:
        raise NotFound(
            "unknown-layer", f"unknown layer '{unknown[0]}'", {"allowed": known}, params={"layer": unknown[0]}
        )
    return list(dict.fromkeys(layers))


def _conform(frame: pl.DataFrame, required: Mapping[str, type[pl.DataType] | pl.DataType]) -> pl.DataFrame:
    """`frame` with each required column (added as nulls when missing) first, in order."""
    missing = [pl.lit(None, dtype).alias(c) for c, dtype in required.items() if c not in frame.columns]
    frame = frame.with_columns(missing) if frame.width else pl.DataFrame(schema=required)
    return frame.select(*required, *[c for c in frame.columns if c not in required])


def _concat(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


AREA_TABLE_COMMENT = (
    "Områder pr. lag og dataår: alle indikatorer (andele i procent), deres visning (<indikator>_state), "
    "listekategori, trafiklys og områdets afgrænsning i dataåret (EPSG:25832). En række pr. lag, område og "
    "dataår; filtrér på layer og year. Skjulte tal er tomme (NULL)."
)
VALUES_COLUMNS = {
    "layer": "Områdelag",
    "area_id": "Områdets id",
    "year": "Dataår (bopæl ved årets udgang)",
    "indicator": "Indikatorens id (se indikator_katalog)",
    "value": "Publiceret værdi: andele i procent, ellers i indikatorens enhed; tom (NULL) når den er skjult",
    "numerator": "Tæller (antal eller sum); tom når den er skjult",
    "denominator": "Nævner (antal personer i populationen); tom når den er skjult",
}
CATALOGUE_COLUMNS = {
    "id": "Indikatorens id: kolonnenavn i omraader og værdi af indikatorer.indicator",
    "topic": "Emne",
    "label_da": "Navn (dansk)",
    "label_en": "Navn (engelsk)",
    "unit": "Enhed i kataloget: share (andel), count (antal), dkk (kroner), mean (gennemsnit), "
    "ratio (forhold)",
    "unit_da": "Enhed for de publicerede værdier (andele publiceres i procent)",
    "population": "Populationen indikatoren beregnes på (udtryk over personregistret)",
    "value": "Hvad der tælles eller summeres i populationen (udtryk)",
    "description_da": "Definition (dansk)",
    "description_en": "Definition (engelsk)",
}
TESTS = {
    "labour": "uden for arbejdsmarkedet (18-64 år)",
    "crime": "dømte (18 år og derover)",
    "education": "kun grundskole (30-59 år)",
    "income": "indkomst (15-64 år, andel af regionens gennemsnit)",
    "nonwestern": "ikke-vestlig herkomst",
}
LIST_COLUMNS = {
    "layer": "Områdelag",
    "area_id": "Områdets id",
    "list_year": "Listeår (listen offentliggøres 1. december)",
    "name": "Områdets navn",
    "rule_set": "Regelsæt listen er beregnet efter",
    "eligible": "Kan komme på listen (almen boligafdeling); for andre områder er tallene vejledende",
    "residents": "Beboere ved udgangen af året før listeåret",
    "nonwestern_share": "Andel indvandrere og efterkommere fra ikke-vestlige lande (brøk 0-1)",
    "labour_share": "Andel 18-64-årige uden for arbejdsmarkedet (brøk 0-1, gennemsnit af to år)",
    "crime_share": "Andel 18+-årige dømt efter straffeloven m.m. (brøk 0-1, gennemsnit af to år)",
    "crime_ratio": "Andelen af dømte i forhold til landsgennemsnittet for de samme år (forhold)",
    "education_share": "Andel 30-59-årige med kun grundskoleuddannelse (brøk 0-1)",
    "income_ratio": "Gennemsnitlig bruttoindkomst for 15-64-årige (ekskl. uddannelsessøgende) i forhold til "
    "regionens gennemsnit (forhold)",
    "criteria_met": "Antal opfyldte kriterier (tærsklerne for udsat boligområde)",
    "udsat": "På listen over udsatte boligområder (tom hvor regelsættet ikke har listen)",
    "parallelsamfund": "På listen over parallelsamfund (ghettoområder før 2021)",
    "omdannelse": "På listen over omdannelsesområder (hårde ghettoområder 2018-2020)",
    "forebyggelse": "På listen over forebyggelsesområder (fra 2021)",
    "category": "Den mest alvorlige liste: omdannelse, parallelsamfund, udsat, forebyggelse eller none",
    "residents_margin": "Beboere minus 1000 (afstand til befolkningskravet)",
    "criteria_met_fb": "Antal opfyldte kriterier ved forebyggelsestærsklerne",
    "data_years": "Dataår bag listen (kommasepareret)",
    "state": "suppressed når området har for få beboere til at vise kriterierne; ellers tom",
    "hidden_reason": "Hvorfor rækken er skjult: area-small (området har for få beboere); ellers tom",
}
LIGHT_COLUMNS = {
    "model": "Trafiklysmodel (kriterier, point eller kommunens egne modeller)",
    "layer": "Områdelag",
    "area_id": "Områdets id",
    "year": "År: listeår eller dataår, se year_kind",
    "year_kind": "Hvad year er: list_year (listeår) eller data_year (dataår)",
    "colour": "Farve: groen, gul eller roed",
    "score": "Modellens score (opfyldte kriterier eller point)",
    "reason": "Begrundelse for farven",
    "previous": "Farven året før",
    "changed": "Farven er skiftet siden året før",
    "state": "Visning: tom når farven vises, suppressed når den er skjult",
    "hidden_reason": "Hvorfor farven er skjult: area-small (området har for få beboere) eller differencing "
    "(tallene bag farven kunne regnes ud af andre offentliggjorte tal); tom når den vises",
}
FLOW_COLUMNS = {
    "layer": "Områdelag",
    "year": "Flytteår: bopæl ved udgangen af året før sammenholdt med udgangen af året",
    "from": "Fraflyttet område ('' = uden for kommunen eller lagets områder)",
    "to": "Tilflyttet område ('' = uden for kommunen eller lagets områder)",
    "movers": "Antal flyttere; tom (NULL) når tallet er lille eller skjult",
}
FLOW_TYPES = {
    "year": pl.Int64,
    "from": pl.String,
    "to": pl.String,
    "movers": pl.Float64,
    "state": pl.String,
    "label": pl.String,
}
PROVENANCE_COLUMNS = {
    "key": "Nøgle: warning (kun i en publikation, der ikke må videregives uden for analysefunktionen), tool, "
    "municipality, rule_sets, delivery_fingerprint, data_years, audience, disclosure_policy (engelsk), "
    "disclosure_policy_da, generated, crs",
    "value": "Værdi",
}


def _label_text(policy: Policy, what: str) -> str:
    """What a `label` column holds under `policy`: its small-count label, or nothing (exact counts)."""
    if policy.small_count_max == 0:
        return f"Tom: politikken '{policy.name}' viser {what} eksakt, også små tal"
    return (
        f"Tekst der vises i stedet for {what} på 1-{policy.small_count_max} ({policy.small_label}); "
        "tom når tallet vises eller er skjult af andre grunde"
    )


def _policy_columns(policy: Policy) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The descriptions of the value, list and flow columns that depend on the policy: the states
    and the labels of small counts."""
    values = VALUES_COLUMNS | {
        "state": f"Visning: {state_description(policy)}",
        "label": _label_text(policy, "et lille antal"),
    }
    lists = {"residents_label": _label_text(policy, "et lille beboertal")}
    flows = FLOW_COLUMNS | {
        "state": f"Visning: {state_description(policy)}",
        "label": (
            "Altid tom: en skjult flytning vises uden label (sammen med de andre flytninger kunne "
            f"grænserne 1-{policy.small_count_max} afsløre den)"
            if policy.complementary and policy.small_count_max > 0
            else _label_text(policy, "et lille antal flyttere")
        ),
    }
    return values, lists, flows


def _list_column(column: str, known: Mapping[str, str] | None = None) -> str:
    """Danish description of a list column, also the per-criterion ones (`labour_fb_margin_pp`)."""
    if known and column in known:
        return known[column]
    if column in LIST_COLUMNS:
        return LIST_COLUMNS[column]
    for test, what in TESTS.items():
        for prefix, level in ((f"{test}_fb_", " ved forebyggelsestærsklen"), (f"{test}_", "")):
            if not column.startswith(prefix):
                continue
            rest = column.removeprefix(prefix)
            texts = {
                "threshold": f"Tærskel for kriteriet {what}{level} (brøk; indkomst: andel af gennemsnittet)",
                "met": f"Kriteriet {what} er opfyldt{level}",
                "margin_pp": f"Afstand til tærsklen for {what}{level} i procentpoint (værdi minus tærskel)",
                "margin_persons": "Antal beboere med kendetegnet der skal til eller fra, før kriteriet "
                f"{what} skifter{level}",
                "margin_dkk": f"Kroner pr. person over (+) eller under (-) tærsklen for {what}{level}",
                "state": f"Visning af kriteriet {what}: ok, uncertain eller suppressed (tallene er tomme)",
            }
            if rest in texts:
                return texts[rest]
    return f"{column} (se docs/lists.md)"


def _area_column(column: str) -> str:
    if column.startswith("light_"):
        return f"Trafiklys, modellen {column.removeprefix('light_')} (groen, gul, roed)"
    return column


def _described(frame: pl.DataFrame, known: dict[str, str], fallback: Callable[[str], str]) -> dict[str, str]:
    return {c: known.get(c) or fallback(c) for c in frame.columns}


def tables(pub: Publication, layers: list[str], progress: Progress = silent) -> list[Table]:
    """The tables of the publication for `layers` and every data year, in the order they are written;
    each table's comment starts with the warning of a publication that must not leave the analysis
    function."""
    years = pub.data_years
    value_text, list_text, flow_text = _policy_columns(pub.policy)
    warning = pub.warning()
    first = f"{warning} " if warning else ""
    if pub.policy.small_count_max == 0:
        small = "Antal vises eksakt, også små tal."
    else:
        small = f"Små tal er skjulte (tomt antal, label {pub.policy.small_label})."
    small_flows = small
    if pub.policy.complementary and pub.policy.small_count_max > 0:
        small_flows = "Små tal og tal, der kan regnes ud af andre, er skjulte (tomt antal, ingen label)."
    areas, values, lists, lights, flows = [], [], [], [], []
    for i, layer in enumerate(layers):
        progress(GATHER, i, len(layers))
        areas.append(pub.area_table(layer, years).rename({"geometry": "geom"}))
        values.append(pub.values_long(layer, years))
        lists.append(pub.lists(layer))
        lights.append(pub.traffic_lights(layer))
        moved = _conform(pub.flows(layer), FLOW_TYPES)
        flows.append(moved.select(pl.lit(layer, pl.String).alias("layer"), pl.all()))
    progress(GATHER, len(layers), len(layers))
    area = _concat(areas)
    area = area.select(pl.exclude("geom"), "geom")
    area_text = field_descriptions(pub) | {
        "geom": f"Områdets afgrænsning i dataåret (MultiPolygon, EPSG:{SRID}, ETRS89 / UTM zone 32N)"
    }
    catalogue = _conform(pl.DataFrame(pub.indicators), {"id": pl.String})
    if "unit" in catalogue.columns:
        catalogue = catalogue.with_columns(
            pl.col("unit")
            .replace_strict(UNIT_TEXT, default=pl.col("unit"), return_dtype=pl.String)
            .alias("unit_da")
        )
    provenance = pub.provenance()
    light_keys = {"model": pl.String, "layer": pl.String, "area_id": pl.String, "year": pl.Int64}
    return [
        Table(
            "omraader",
            area,
            first + AREA_TABLE_COMMENT,
            _described(area, area_text, _area_column),
            ("layer", "area_id", "year"),
            (("layer", "year"),),
            geometry="geom",
        ),
        Table(
            "indikatorer",
            _concat(values),
            first + "Alle indikatorer i lang form: en række pr. lag, område, dataår og indikator med værdi, "
            "tæller, nævner, visning og label. Skjulte tal er tomme (NULL).",
            value_text,
            ("layer", "area_id", "year", "indicator"),
            (("layer", "indicator", "year"),),
        ),
        Table(
            "indikator_katalog",
            catalogue,
            first + "Indikatorkataloget: emne, navne, enhed og definition af hver indikator.",
            _described(catalogue, CATALOGUE_COLUMNS, lambda c: c),
            ("id",),
        ),
        Table(
            "lister",
            lst := _conform(
                _concat(lists), {"layer": pl.String, "area_id": pl.String, "list_year": pl.Int64}
            ),
            first + "Beregnede lister (almenboligloven § 61 a): en række pr. lag, område og listeår med "
            "kriterier, tærskler, margener og kategori. Andele er brøker (0-1), margener i procentpoint. Kun "
            "almene områder kan komme på listen; for andre er tallene vejledende.",
            _described(lst, {}, lambda c: _list_column(c, list_text)),
            ("layer", "area_id", "list_year"),
            (("layer", "list_year"),),
        ),
        Table(
            "trafiklys",
            tl := _conform(_concat(lights), light_keys),
            first + "Trafiklys pr. model, lag, område og år (groen, gul, roed) med begrundelse og forrige "
            "farve.",
            _described(tl, LIGHT_COLUMNS, lambda c: c),
            ("model", "layer", "area_id", "year"),
            (("layer", "year"),),
        ),
        Table(
            "flytninger",
            fl := _concat(flows),
            first + "Flytninger mellem lagets områder pr. flytteår; tom tekst ('') er uden for kommunen "
            f"eller lagets områder. {small_flows}",
            _described(fl, flow_text, lambda c: c),
            ("layer", "year", "from", "to"),
            (("layer", "year"),),
        ),
        Table(
            "provenance",
            pl.DataFrame(
                {"key": list(provenance), "value": list(provenance.values())},
                schema={"key": pl.String, "value": pl.String},
            ),
            first + "Hvor publikationen kommer fra: værktøj, kommune, regelsæt, leverancens fingeraftryk, "
            "dataår, målgruppe, diskretionspolitik, tidspunkt og koordinatsystem.",
            PROVENANCE_COLUMNS,
            ("key",),
        ),
    ]

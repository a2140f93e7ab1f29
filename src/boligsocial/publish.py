"""Publish the published tables to a PostgreSQL/PostGIS database, for QGIS, Power BI and SQL.

Everything is written into a fresh schema `<schema>__new` and swapped in for the previous
publication in the same transaction, so a reader sees the whole old publication or the whole new
one (see docs/publish.md). Every figure comes from a `Publication`, already through disclosure;
the labels and descriptions follow its policy, and a publication that must not leave the analysis
function says so in its schema, every table's comment and the provenance.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import polars as pl
import psycopg
from psycopg import sql

from boligsocial.disclosure import Policy
from boligsocial.errors import DatabaseError, InvalidParameter, NotFound
from boligsocial.export.gis import field_descriptions
from boligsocial.export.notes import state_description
from boligsocial.export.published import UNIT_TEXT, Publication
from boligsocial.progress import silent

#: Text in the schema's comment that marks it as a publication this module may replace.
MARKER = "boligsocial publication"
SRID = 25832
#: Lower-case letters, digits and underscore, leaving room for `__new` in PostgreSQL's 63 bytes.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,57}")
RESERVED_SCHEMAS = {"public", "information_schema"}
NEW_SUFFIX = "__new"
CHUNK_ROWS = 50_000
#: Seconds the swap keeps retrying for the old tables without queueing ahead of readers, then
#: waits in the lock queue.
POLITE_WAIT = 30.0
LOCK_TIMEOUT = 120
GATHER = "Samler de publicerede tabeller"
WRITE = "Skriver til PostgreSQL"
TABLE_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"}
SCHEMA_PRIVILEGES = {"USAGE", "CREATE"}

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


def publish(
    pub: Publication,
    url: str,
    schema: str = "boligsocial",
    layers: list[str] | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Write `pub` (every layer unless `layers`, every data year) into `schema` of the database at
    `url`, replacing the previous publication in one transaction; the rows written per table."""
    report = progress or silent
    check_schema_name(schema)
    chosen = _layers(pub, layers)
    if not pub.data_years:
        raise DatabaseError("the database has no data years to publish; load a delivery first")
    where = masked(url)
    with _connect(url) as conn:
        try:
            # a rehearsal of the checks and the first steps, rolled back: fail before the slow part
            with conn.transaction() as rehearsal, conn.cursor() as cur:
                _stage(conn, cur, schema, where)
                raise psycopg.Rollback(rehearsal)
            built = tables(pub, chosen, report)
            return _replace(conn, schema, built, where, report)
        except psycopg.errors.LockNotAvailable:
            raise DatabaseError(
                f"the publication in schema '{schema}' at {where} was in use for more than "
                f"{POLITE_WAIT + LOCK_TIMEOUT:.0f} s; nothing was changed, try again"
            ) from None
        except psycopg.Error as exc:
            raise DatabaseError(
                f"publishing to {where} failed and nothing was changed: {scrub(str(exc).strip(), url)}"
            ) from None


def check_schema_name(schema: str) -> None:
    """Refuse a schema name that is not lower-case letters, digits and underscore, or is reserved."""
    if not SCHEMA_NAME.fullmatch(schema):
        raise InvalidParameter(
            "bad-schema",
            f"schema name '{schema}': use lower-case letters, digits and underscore "
            "(at most 58, not starting with a digit)",
        )
    if schema in RESERVED_SCHEMAS or schema.startswith("pg_"):
        raise InvalidParameter(
            "bad-schema", f"schema '{schema}' is reserved; publish into a schema of its own"
        )


def masked(url: str) -> str:
    """`url` with its password (in the URL or as a `password=` parameter) replaced by ***."""
    out = re.sub(r"^([a-z][a-z0-9+.-]*://[^/?#@:]*):[^/?#]*@", r"\1:***@", url, flags=re.IGNORECASE)
    return re.sub(r"(password\s*=\s*)('[^']*'|[^&\s]*)", r"\1***", out, flags=re.IGNORECASE)


def scrub(text: str, url: str) -> str:
    """`text` with every form of the password in `url` replaced by ***."""
    secrets = set(re.findall(r"password\s*=\s*'?([^&\s']+)", url, flags=re.IGNORECASE))
    with suppress(ValueError):
        secrets.add(urlsplit(url).password or "")
    for secret in sorted(secrets | {unquote(s) for s in secrets}, key=len, reverse=True):
        if len(secret) >= 2:
            text = text.replace(secret, "***")
    return text


@contextmanager
def _connect(url: str) -> Iterator[psycopg.Connection[Any]]:
    options: dict[str, Any] = {"autocommit": True, "application_name": "boligsocial publish"}
    if "connect_timeout" not in url:
        options["connect_timeout"] = 15
    try:
        conn = psycopg.connect(url, **options)
    except psycopg.Error as exc:
        message = scrub(str(exc).strip(), url) or type(exc).__name__
        raise DatabaseError(f"cannot connect to PostgreSQL at {masked(url)}: {message}") from None
    with conn:
        yield conn


def _layers(pub: Publication, layers: list[str] | None) -> list[str]:
    known = pub.service.layers()
    if layers is None:
        return known
    if not layers:
        raise InvalidParameter("no-layers", "no layers to publish", {"allowed": known})
    unknown = [layer for layer in layers if layer not in known]
    if unknown:
        raise NotFound("unknown-layer", f"unknown layer '{unknown[0]}'", {"allowed": known})
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


# --- writing -----------------------------------------------------------------------------------


def _pg_type(dtype: pl.DataType) -> str:
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.UInt64:
        return "numeric"
    if dtype.is_integer():
        return "bigint"
    if dtype.is_float():
        return "double precision"
    if dtype == pl.Binary:
        return "bytea"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamptz" if dtype.time_zone else "timestamp"
    return "text"


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as COPY's CSV reads them: NaN as NULL, bytes as bytea hex, other types as text."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if dtype.is_float():
            out.append(col.fill_nan(None))
        elif dtype == pl.Binary:
            out.append(pl.concat_str(pl.lit("\\x"), col.bin.encode("hex")).alias(name))
        elif dtype == pl.Boolean or dtype.is_integer() or dtype == pl.Date or isinstance(dtype, pl.Datetime):
            out.append(col)
        else:
            out.append(col.cast(pl.String))
    return frame.select(out)


def write_table(cur: psycopg.Cursor[Any], schema: str, table: Table) -> int:
    """Create `table` in `schema`, COPY its rows, then add geometry, key, indexes and comments."""
    target = sql.Identifier(schema, table.name)
    for column in table.frame.columns:
        if len(column.encode()) > 63:
            raise DatabaseError(f"column name '{column}' of {table.name} is longer than PostgreSQL allows")
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(_pg_type(t)))
        for c, t in table.frame.schema.items()
    )
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(target, columns))
    names = sql.SQL(", ").join(sql.Identifier(c) for c in table.frame.columns)
    ready = _csv_ready(table.frame)
    with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(target, names)) as copy:
        for chunk in ready.iter_slices(CHUNK_ROWS):
            copy.write(chunk.write_csv(include_header=False))
    statements: list[sql.Composable] = []
    if table.geometry:
        geom = sql.Identifier(table.geometry)
        statements += [
            sql.SQL(
                "ALTER TABLE {} ALTER COLUMN {} TYPE geometry(MultiPolygon, {}) "
                "USING ST_Multi(ST_GeomFromWKB({}, {}))"
            ).format(target, geom, sql.Literal(SRID), geom, sql.Literal(SRID)),
            sql.SQL("CREATE INDEX ON {} USING gist ({})").format(target, geom),
        ]
    if table.key:
        key = sql.SQL(", ").join(sql.Identifier(c) for c in table.key)
        statements.append(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY ({})").format(target, key))
    for index in table.indexes:
        statements.append(
            sql.SQL("CREATE INDEX ON {} ({})").format(
                target, sql.SQL(", ").join(sql.Identifier(c) for c in index)
            )
        )
    statements.append(sql.SQL("COMMENT ON TABLE {} IS {}").format(target, sql.Literal(table.comment)))
    for column in table.frame.columns:
        text = table.columns.get(column) or column
        statements.append(
            sql.SQL("COMMENT ON COLUMN {} IS {}").format(
                sql.Identifier(schema, table.name, column), sql.Literal(text)
            )
        )
    statements.append(sql.SQL("ANALYZE {}").format(target))
    cur.execute(sql.SQL(";\n").join(statements))
    return table.frame.height


def _replace(
    conn: psycopg.Connection[Any], schema: str, built: list[Table], where: str, report: Progress
) -> dict[str, int]:
    """Write `built` into `<schema>__new` and swap it in for `schema`, all in one transaction."""
    new = schema + NEW_SUFFIX
    steps = len(built) + 1
    counts: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cur:
        old = _stage(conn, cur, schema, where)
        for i, table in enumerate(built):
            report(WRITE, i, steps)
            counts[table.name] = write_table(cur, new, table)
        cur.execute(
            sql.SQL("COMMENT ON SCHEMA {} IS {}").format(
                sql.Identifier(new), sql.Literal(_schema_comment(built))
            )
        )
        report(WRITE, len(built), steps)
        if old:
            _carry_grants(cur, schema, new)
            _lock_all(conn, cur, schema)
            _check_dependents(cur, schema)  # after the lock, so no view can be added in between
            cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        cur.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(new), sql.Identifier(schema))
        )
    report(WRITE, steps, steps)
    return counts


def _stage(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], schema: str, where: str) -> bool:
    """PostGIS, the safety checks and an empty `<schema>__new`; whether `schema` exists already."""
    # one publisher at a time per schema; a second waits here, then replaces the first's result
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"boligsocial.publish:{schema}",))
    _postgis(conn, cur, where)
    old = _check_replaceable(cur, schema)
    new = sql.Identifier(schema + NEW_SUFFIX)
    if _check_replaceable(cur, schema + NEW_SUFFIX):
        cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(new))
    if old:
        _check_dependents(cur, schema)
    cur.execute(sql.SQL("CREATE SCHEMA {}").format(new))
    return old


def _schema_comment(built: list[Table]) -> str:
    prov = dict(next(t for t in built if t.name == "provenance").frame.iter_rows())
    warning = f" {prov['warning']}" if prov.get("warning") else ""
    return (
        f"{MARKER}: {prov.get('tool', 'boligsocial')}, {prov.get('municipality', '')}, "
        f"dataår {prov.get('data_years', '')}, målgruppe {prov.get('audience', '')}, "
        f"genereret {prov.get('generated', '')}.{warning} Skemaet erstattes helt ved næste bsm publish; "
        "læg ikke egne tabeller eller views her."
    )


# --- checks and the swap -----------------------------------------------------------------------

POSTGIS_SCHEMA = (
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'postgis'"
)


def _postgis(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], where: str) -> None:
    """Make sure PostGIS is in the database (creating it if missing) and on the search path."""
    cur.execute(POSTGIS_SCHEMA)
    row = cur.fetchone()
    if row is None:
        cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
        if cur.fetchone() is None:
            raise DatabaseError(
                f"PostGIS is not installed on the PostgreSQL server at {where}; install it (Debian/Ubuntu: "
                "apt-get install postgresql-<version>-postgis-3) or ask the database administrator"
            )
        try:
            with conn.transaction():
                cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.errors.InsufficientPrivilege:
            raise DatabaseError(
                f"PostGIS is not enabled in the database at {where} and this user may not enable it; "
                "ask the database administrator to run: CREATE EXTENSION postgis"
            ) from None
        cur.execute(POSTGIS_SCHEMA)
        row = cur.fetchone()
    if row is not None:  # our own objects are always schema-qualified
        cur.execute(sql.SQL("SET LOCAL search_path TO {}, pg_catalog").format(sql.Identifier(row[0])))


def _check_replaceable(cur: psycopg.Cursor[Any], schema: str) -> bool:
    """Whether `schema` exists; `DatabaseError` when it may not be replaced: it holds objects and
    lacks the marker, or it holds an extension."""
    cur.execute(
        "SELECT oid, coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname = %s",
        (schema,),
    )
    row = cur.fetchone()
    if row is None:
        return False
    oid, comment = row
    cur.execute("SELECT extname FROM pg_extension WHERE extnamespace = %s ORDER BY 1", (oid,))
    extensions = [r[0] for r in cur.fetchall()]
    if extensions:
        raise DatabaseError(
            f"schema '{schema}' holds the extension(s) {', '.join(extensions)} and will not be replaced; "
            "publish into another schema (--schema)"
        )
    if MARKER in comment:
        return True
    cur.execute(
        "SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend "
        "WHERE refclassid = 'pg_namespace'::regclass AND refobjid = %s ORDER BY 1",
        (oid,),
    )
    objects = [r[0] for r in cur.fetchall()]
    if objects:
        shown = ", ".join(objects[:5]) + (f" and {len(objects) - 5} more" if len(objects) > 5 else "")
        raise DatabaseError(
            f"schema '{schema}' exists, is not empty ({shown}) and is not a boligsocial publication "
            f"(its comment lacks '{MARKER}'); it will not be replaced. Publish into another schema (--schema)"
        )
    return True


def _check_dependents(cur: psycopg.Cursor[Any], schema: str) -> None:
    """Refuse to replace a publication that views or foreign keys in other schemas depend on (the
    replacement would drop them with it)."""
    cur.execute(
        """
        SELECT DISTINCT coalesce(
            CASE WHEN v.oid IS NOT NULL THEN 'view ' || v.oid::regclass::text END,
            CASE WHEN k.oid IS NOT NULL
                 THEN 'constraint ' || k.conname || ' on ' || k.conrelid::regclass::text END
        )
        FROM pg_depend d
        JOIN pg_class c ON d.refclassid = 'pg_class'::regclass AND c.oid = d.refobjid
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = %(schema)s
        LEFT JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND r.oid = d.objid
        LEFT JOIN pg_class v ON v.oid = r.ev_class AND v.relnamespace <> n.oid
        LEFT JOIN pg_constraint k ON d.classid = 'pg_constraint'::regclass AND k.oid = d.objid
            AND k.connamespace <> n.oid
        WHERE v.oid IS NOT NULL OR k.oid IS NOT NULL
        ORDER BY 1
        """,
        {"schema": schema},
    )
    found = [r[0] for r in cur.fetchall()]
    if found:
        raise DatabaseError(
            f"objects outside schema '{schema}' depend on the publication ({', '.join(found)}); replacing it "
            "would drop them. Drop them first (and recreate them afterwards), or publish into another schema"
        )


def _grantee(name: str) -> sql.Composable:
    return sql.SQL("PUBLIC") if name == "PUBLIC" else sql.Identifier(name)


def _carry_grants(cur: psycopg.Cursor[Any], schema: str, new: str) -> None:
    """Give the new schema and its tables the privileges others had on the old ones."""
    cur.execute(
        """
        SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
               a.privilege_type, a.is_grantable
        FROM pg_namespace n, aclexplode(n.nspacl) a
        WHERE n.nspname = %s AND a.grantee <> n.nspowner
        """,
        (schema,),
    )
    grants: list[sql.Composable] = []
    for role, privilege, grantable in cur.fetchall():
        if privilege in SCHEMA_PRIVILEGES:
            grants.append(
                sql.SQL("GRANT {} ON SCHEMA {} TO {}{}").format(
                    sql.SQL(privilege),
                    sql.Identifier(new),
                    _grantee(role),
                    sql.SQL(" WITH GRANT OPTION" if grantable else ""),
                )
            )
    cur.execute(
        """
        SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,
               a.privilege_type, a.is_grantable
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') AND a.grantee <> c.relowner
          AND EXISTS (SELECT 1 FROM pg_class c2 JOIN pg_namespace n2 ON n2.oid = c2.relnamespace
                      WHERE n2.nspname = %s AND c2.relname = c.relname)
        """,
        (schema, new),
    )
    for table, role, privilege, grantable in cur.fetchall():
        if privilege in TABLE_PRIVILEGES:
            grants.append(
                sql.SQL("GRANT {} ON TABLE {} TO {}{}").format(
                    sql.SQL(privilege),
                    sql.Identifier(new, table),
                    _grantee(role),
                    sql.SQL(" WITH GRANT OPTION" if grantable else ""),
                )
            )
    if grants:
        cur.execute(sql.SQL(";\n").join(grants))


def _lock_all(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], schema: str) -> None:
    """Take every relation of the old publication at once: retry without queueing while readers
    hold them (so no reader waits on a half-locked publication), then queue with a timeout."""
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1",
        (schema,),
    )
    relations = [sql.Identifier(schema, r[0]) for r in cur.fetchall()]
    if not relations:
        return
    lock = sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.SQL(", ").join(relations))
    deadline = time.monotonic() + POLITE_WAIT
    while time.monotonic() < deadline:
        try:
            with conn.transaction():
                cur.execute(lock + sql.SQL(" NOWAIT"))
            return
        except psycopg.errors.LockNotAvailable:
            time.sleep(0.02)
    cur.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(f"{LOCK_TIMEOUT}s")))
    cur.execute(lock)

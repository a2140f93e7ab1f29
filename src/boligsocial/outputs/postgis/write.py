"""Writing a publication into PostgreSQL/PostGIS: a fresh schema `<schema>__new`, swapped in for
the previous publication in one transaction, so a reader sees the whole old publication or the
whole new one (docs/publish.md); the checks before (the schema is ours, nothing depends on it,
PostGIS is there) and the grants carried over. The comments are in the publication's language
(`lang`, Danish by default; postgis.po)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from boligsocial.common.errors import DatabaseError, InvalidParameter
from boligsocial.common.progress import silent
from boligsocial.common.words import DEFAULT, LANGUAGES, Words, words
from boligsocial.outputs.export.published import Publication
from boligsocial.outputs.postgis.checks import (
    MARKER,
    check_dependents,
    check_replaceable,
    check_schema_name,
    ensure_postgis,
)
from boligsocial.outputs.postgis.copying import write_table
from boligsocial.outputs.postgis.swap import LOCK_TIMEOUT, POLITE_WAIT, carry_grants, lock_all
from boligsocial.outputs.postgis.tables import Progress, Table, layers_of, tables
from boligsocial.outputs.postgis.urls import masked, scrub

NEW_SUFFIX = "__new"
#: The stage the progress reports while writing (its message key, worded by the drawer).
WRITE = "postgis.stage.write"


def publish(
    pub: Publication,
    url: str,
    schema: str = "boligsocial",
    layers: list[str] | None = None,
    progress: Progress | None = None,
    lang: str = DEFAULT,
) -> dict[str, int]:
    """Write `pub` (every layer unless `layers`, every data year) into `schema` of the database at
    `url`, replacing the previous publication in one transaction; the rows written per table.
    The comments on the schema, tables and columns are in `lang` (da or en); the progress reports
    its stages by key, worded by the drawer (the command line's progress bar in its language)."""
    report = progress or silent
    if lang not in LANGUAGES:
        raise InvalidParameter(
            "unknown-language", f"language '{lang}'?", {"allowed": list(LANGUAGES)}, params={"lang": lang}
        )
    say = words(lang)
    check_schema_name(schema)
    chosen = layers_of(pub, layers)
    if not pub.data_years:
        raise DatabaseError("the database has no data years to publish; load a delivery first")
    where = masked(url)
    with _connect(url) as conn:
        try:
            # a rehearsal of the checks and the first steps, rolled back: fail before the slow part
            with conn.transaction() as rehearsal, conn.cursor() as cur:
                _stage(conn, cur, schema, where)
                raise psycopg.Rollback(rehearsal)
            built = tables(pub, chosen, report, say.lang)
            return _replace(conn, schema, built, _schema_comment(pub, say), where, report)
        except psycopg.errors.LockNotAvailable:
            raise DatabaseError(
                f"the publication in schema '{schema}' at {where} was in use for more than "
                f"{POLITE_WAIT + LOCK_TIMEOUT:.0f} s; nothing was changed, try again"
            ) from None
        except psycopg.Error as exc:
            raise DatabaseError(
                f"publishing to {where} failed and nothing was changed: {scrub(str(exc).strip(), url)}"
            ) from None


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


def _replace(
    conn: psycopg.Connection[Any],
    schema: str,
    built: list[Table],
    comment: str,
    where: str,
    report: Progress,
) -> dict[str, int]:
    """Write `built` into `<schema>__new` with the schema's `comment` and swap it in for `schema`,
    all in one transaction."""
    write = WRITE
    new = schema + NEW_SUFFIX
    steps = len(built) + 1
    counts: dict[str, int] = {}
    with conn.transaction(), conn.cursor() as cur:
        old = _stage(conn, cur, schema, where)
        for i, table in enumerate(built):
            report(write, i, steps)
            counts[table.name] = write_table(cur, new, table)
        cur.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(sql.Identifier(new), sql.Literal(comment)))
        report(write, len(built), steps)
        if old:
            carry_grants(cur, schema, new)
            lock_all(conn, cur, schema)
            check_dependents(cur, schema)  # after the lock, so no view can be added in between
            cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        cur.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(new), sql.Identifier(schema))
        )
    report(write, steps, steps)
    return counts


def _stage(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], schema: str, where: str) -> bool:
    """PostGIS, the safety checks and an empty `<schema>__new`; whether `schema` exists already."""
    # one publisher at a time per schema; a second waits here, then replaces the first's result
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"boligsocial.outputs.postgis:{schema}",))
    ensure_postgis(conn, cur, where)
    old = check_replaceable(cur, schema)
    new = sql.Identifier(schema + NEW_SUFFIX)
    if check_replaceable(cur, schema + NEW_SUFFIX):
        cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(new))
    if old:
        check_dependents(cur, schema)
    cur.execute(sql.SQL("CREATE SCHEMA {}").format(new))
    return old


def _schema_comment(pub: Publication, say: Words) -> str:
    """The schema's comment in `say`'s language: the marker that makes it ours to replace, where
    the publication comes from and for whom (as its provenance table says), the warning of a
    confidential publication (a Danish one has the provenance's, Danish and English; an English
    one its own) and that the schema is replaced whole."""
    prov = pub.provenance()
    warning = prov.get("warning") if say.lang == DEFAULT else pub.warning(say.lang)
    about = say(
        "postgis.schema",
        marker=MARKER,
        tool=prov.get("tool", "boligsocial"),
        municipality=prov.get("municipality", ""),
        data_years=prov.get("data_years", ""),
        audience=prov.get("audience", ""),
        generated=prov.get("generated", ""),
    )
    warned = f" {warning}" if warning else ""
    return f"{about}{warned} {say('postgis.schema.replaced')}"

"""Writing a publication into PostgreSQL/PostGIS: a fresh schema `<schema>__new`, swapped in for
the previous publication in one transaction, so a reader sees the whole old publication or the
whole new one (docs/publish.md); the checks before (the schema is ours, nothing depends on it,
PostGIS is there) and the grants carried over."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql

from boligsocial.common.errors import DatabaseError
from boligsocial.common.progress import silent
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
WRITE = "Skriver til PostgreSQL"


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
            carry_grants(cur, schema, new)
            lock_all(conn, cur, schema)
            check_dependents(cur, schema)  # after the lock, so no view can be added in between
            cur.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
        cur.execute(
            sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(new), sql.Identifier(schema))
        )
    report(WRITE, steps, steps)
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


def _schema_comment(built: list[Table]) -> str:
    prov = dict(next(t for t in built if t.name == "provenance").frame.iter_rows())
    warning = f" {prov['warning']}" if prov.get("warning") else ""
    return (
        f"{MARKER}: {prov.get('tool', 'boligsocial')}, {prov.get('municipality', '')}, "
        f"dataår {prov.get('data_years', '')}, målgruppe {prov.get('audience', '')}, "
        f"genereret {prov.get('generated', '')}.{warning} Skemaet erstattes helt ved næste bsm publish; "
        "læg ikke egne tabeller eller views her."
    )

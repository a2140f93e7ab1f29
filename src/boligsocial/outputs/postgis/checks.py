"""The checks before a publication is written: the schema's name, PostGIS in the database, and the
schema ours to replace (marked as a publication, holding no extension, nothing outside it
depending on it)."""

from __future__ import annotations

import re
from typing import Any

import psycopg
from psycopg import sql

from boligsocial.common.errors import DatabaseError, InvalidParameter

#: Text in the schema's comment that marks it as a publication this module may replace.
MARKER = "boligsocial publication"
#: Lower-case letters, digits and underscore, leaving room for `__new` in PostgreSQL's 63 bytes.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,57}")
RESERVED_SCHEMAS = {"public", "information_schema"}


def check_schema_name(schema: str) -> None:
    """Refuse a schema name that is not lower-case letters, digits and underscore, or is reserved."""
    if not SCHEMA_NAME.fullmatch(schema):
        raise InvalidParameter(
            "bad-schema",
            f"schema name '{schema}': use lower-case letters, digits and underscore "
            "(at most 58, not starting with a digit)",
            params={"schema": schema},
        )
    if schema in RESERVED_SCHEMAS or schema.startswith("pg_"):
        raise InvalidParameter(
            "bad-schema",
            f"schema '{schema}' is reserved; publish into a schema of its own",
            params={"schema": schema},
        )


POSTGIS_SCHEMA = (
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'postgis'"
)


def ensure_postgis(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], where: str) -> None:
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


def check_replaceable(cur: psycopg.Cursor[Any], schema: str) -> bool:
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


def check_dependents(cur: psycopg.Cursor[Any], schema: str) -> None:
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

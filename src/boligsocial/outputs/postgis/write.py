"""Writing a publication into PostgreSQL/PostGIS: a fresh schema `<schema>__new`, swapped in for
the previous publication in one transaction, so a reader sees the whole old publication or the
whole new one (docs/publish.md); the checks before (the schema is ours, nothing depends on it,
PostGIS is there) and the grants carried over."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import unquote, urlsplit

import polars as pl
import psycopg
from psycopg import sql

from boligsocial.common.errors import DatabaseError, InvalidParameter
from boligsocial.common.progress import silent
from boligsocial.outputs.export.published import Publication
from boligsocial.outputs.postgis.tables import SRID, Progress, Table, layers_of, tables

#: Text in the schema's comment that marks it as a publication this module may replace.
MARKER = "boligsocial publication"
#: Lower-case letters, digits and underscore, leaving room for `__new` in PostgreSQL's 63 bytes.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,57}")
RESERVED_SCHEMAS = {"public", "information_schema"}
NEW_SUFFIX = "__new"
CHUNK_ROWS = 50_000
#: Seconds the swap keeps retrying for the old tables without queueing ahead of readers, then
#: waits in the lock queue.
POLITE_WAIT = 30.0
LOCK_TIMEOUT = 120
WRITE = "Skriver til PostgreSQL"
TABLE_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"}
SCHEMA_PRIVILEGES = {"USAGE", "CREATE"}


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
    cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"boligsocial.outputs.postgis:{schema}",))
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

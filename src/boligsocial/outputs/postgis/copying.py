"""One published table written into PostgreSQL: its columns' types, its rows by COPY (in chunks,
as CSV), then its geometry, key, indexes and comments."""

from __future__ import annotations

from typing import Any

import polars as pl
import psycopg
from psycopg import sql

from boligsocial.common.errors import DatabaseError
from boligsocial.outputs.postgis.tables import SRID, Table

CHUNK_ROWS = 50_000


def pg_type(dtype: pl.DataType) -> str:
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


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
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
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(pg_type(t))) for c, t in table.frame.schema.items()
    )
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(target, columns))
    names = sql.SQL(", ").join(sql.Identifier(c) for c in table.frame.columns)
    ready = csv_ready(table.frame)
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

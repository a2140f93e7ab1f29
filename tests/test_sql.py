"""SQL identifiers are quoted one way (`common/sql.ident`): a name is a name, never SQL."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from boligsocial.common.sql import ident, idents
from boligsocial.store.database import replace_rows


def test_a_name_holding_quotes_and_sql_stays_a_name() -> None:
    hostile = 'x"; DROP TABLE kept; --'
    con = duckdb.connect()
    con.execute("CREATE TABLE kept (a INTEGER)")
    con.execute(f"CREATE TABLE {ident(hostile)} ({ident('col umn')} INTEGER)")
    replace_rows(con, hostile, pl.DataFrame({"col umn": [1, 2]}), None)
    assert con.execute(f"SELECT sum({ident('col umn')}) FROM {ident(hostile)}").fetchone() == (3,)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {"kept", hostile}  # the table of that name exists and nothing was dropped


def test_a_new_column_rebuilds_the_table_under_its_quoted_name() -> None:
    con = duckdb.connect()
    con.execute('CREATE TABLE "Mixed Case" (a INTEGER)')
    replace_rows(con, "Mixed Case", pl.DataFrame({"a": [1], "b": ["x"]}), None)
    assert con.execute(f"SELECT a, b FROM {ident('Mixed Case')}").fetchall() == [(1, "x")]


def test_qualified_names_lists_and_refusals() -> None:
    assert ident("boligsocial", "omraader") == '"boligsocial"."omraader"'
    assert ident('a"b') == '"a""b"'
    assert idents(["a", "b c"]) == '"a", "b c"'
    for bad in ((), ("",), ("a\x00b",)):
        with pytest.raises(ValueError):
            ident(*bad)

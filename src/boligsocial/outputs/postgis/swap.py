"""The swap of a new publication for the old one: the grants on the old schema and its tables
carried over to the new, and the old tables locked without queueing ahead of readers for as long
as that is polite (then in the lock queue, for a bounded time)."""

from __future__ import annotations

import time
from typing import Any

import psycopg
from psycopg import sql

#: Seconds the swap keeps retrying for the old tables without queueing ahead of readers, then
#: waits in the lock queue.
POLITE_WAIT = 30.0
LOCK_TIMEOUT = 120
TABLE_PRIVILEGES = {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"}
SCHEMA_PRIVILEGES = {"USAGE", "CREATE"}


def _grantee(name: str) -> sql.Composable:
    return sql.SQL("PUBLIC") if name == "PUBLIC" else sql.Identifier(name)


def carry_grants(cur: psycopg.Cursor[Any], schema: str, new: str) -> None:
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


def lock_all(conn: psycopg.Connection[Any], cur: psycopg.Cursor[Any], schema: str) -> None:
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

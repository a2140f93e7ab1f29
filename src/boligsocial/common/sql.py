"""SQL identifiers, quoted one way.

Every table and column name the code writes into DuckDB or SQLite SQL passes through `ident`, so
a name is always a name and never SQL, whatever it holds (a municipality's own indicator or
column, a table named in code). Values never go into SQL text: they are parameters (`?`) or
registered frames. PostgreSQL statements are composed with psycopg's `sql.Identifier`, which
does the same there (outputs/postgis/write.py).
"""

from __future__ import annotations

from collections.abc import Iterable


def ident(*parts: str) -> str:
    """A quoted identifier, `"name"`, or a qualified one, `"schema"."table"`; a double quote in a
    name is doubled, as SQL writes it."""
    if not parts:
        raise ValueError("an SQL identifier needs a name")
    for part in parts:
        if not part or "\x00" in part:
            raise ValueError(f"not an SQL identifier: {part!r}")
    return ".".join('"' + part.replace('"', '""') + '"' for part in parts)


def idents(names: Iterable[str]) -> str:
    """Quoted identifiers separated by commas (a column list)."""
    return ", ".join(ident(n) for n in names)

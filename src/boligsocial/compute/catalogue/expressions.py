"""A small, safe expression language for indicator definitions, translated to DuckDB SQL.

Python syntax restricted to column names, literals, comparisons (incl. `in`), `and`/`or`/`not`,
arithmetic and `is None`: e.g. ``age >= 18 and age <= 64`` or
``education in ("grundskole", "uoplyst")``. Anything else is rejected, so a catalogue file cannot run
arbitrary SQL.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from boligsocial.common.errors import ConfigError
from boligsocial.common.sql import ident

_CMP = {ast.Eq: "=", ast.NotEq: "<>", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_ARITH = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its SQL text and the column names it reads."""

    source: str
    sql: str
    names: frozenset[str]


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise ConfigError(f"unsupported literal {value!r}")


def _sql(node: ast.AST, names: set[str]) -> str:
    match node:
        case ast.Name(id=name) if name.lower() in ("true", "false"):
            return name.upper()
        case ast.Name(id=name):
            if not name.isidentifier() or name.startswith("_"):
                raise ConfigError(f"bad column name {name!r}")
            names.add(name)
            return ident(name)
        case ast.Constant(value=value):
            return _literal(value)
        case ast.BoolOp(op=op, values=values):
            word = " AND " if isinstance(op, ast.And) else " OR "
            return "(" + word.join(_sql(v, names) for v in values) + ")"
        case ast.UnaryOp(op=ast.Not(), operand=operand):
            return f"(NOT {_sql(operand, names)})"
        case ast.UnaryOp(op=ast.USub(), operand=operand):
            return f"(-{_sql(operand, names)})"
        case ast.BinOp(left=left, op=op, right=right) if type(op) in _ARITH:
            return f"({_sql(left, names)} {_ARITH[type(op)]} {_sql(right, names)})"
        case ast.Compare(left=left, ops=ops, comparators=comps):
            parts, lhs = [], _sql(left, names)
            for cop, comp in zip(ops, comps, strict=True):
                if isinstance(cop, ast.In | ast.NotIn):
                    if not isinstance(comp, ast.Tuple | ast.List | ast.Set):
                        raise ConfigError("'in' needs a list of values, e.g. x in ('a', 'b')")
                    items = ", ".join(_sql(e, names) for e in comp.elts)
                    word = "IN" if isinstance(cop, ast.In) else "NOT IN"
                    parts.append(f"({lhs} {word} ({items}))")
                    rhs = lhs
                elif isinstance(cop, ast.Is | ast.IsNot):
                    if not (isinstance(comp, ast.Constant) and comp.value is None):
                        raise ConfigError("'is' is only allowed as 'is None' / 'is not None'")
                    word = "IS NULL" if isinstance(cop, ast.Is) else "IS NOT NULL"
                    parts.append(f"({lhs} {word})")
                    rhs = lhs
                elif type(cop) in _CMP:
                    rhs = _sql(comp, names)
                    parts.append(f"({lhs} {_CMP[type(cop)]} {rhs})")
                else:
                    raise ConfigError(f"unsupported comparison {type(cop).__name__}")
                lhs = rhs
            return "(" + " AND ".join(parts) + ")"
        case _:
            raise ConfigError(f"not allowed in an indicator expression: {ast.dump(node)[:60]}")


def parse(source: str) -> Expression:
    """Parse and translate one expression; raises ConfigError with the reason when not allowed."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"cannot parse expression {source!r}: {exc.msg}") from exc
    names: set[str] = set()
    try:
        sql = _sql(tree.body, names)
    except ConfigError as exc:
        raise ConfigError(f"expression {source!r}: {exc}") from exc
    return Expression(source, sql, frozenset(names))

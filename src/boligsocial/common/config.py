"""Configuration files as typed models: a TOML file becomes a pydantic model, or every problem in it
at once, each with the file, the key path and, for a misspelled key or value, the nearest allowed one.

A loader declares its file as models derived from `Table` (unknown keys are refused; TOML's types
are taken as written, so `"5"` is not a number) and reads the parsed TOML with `validated`, which
raises one ConfigError listing every problem. A problem reads, in Danish and English::

    mapping.toml: csv.seperator: ukendt nøgle / unknown key; mente du 'separator'? / did you mean 'separator'?

In a key path `test[3]` is the third `[[test]]` of the file (counted from 1). A validator words its
own problem with `Invalid`; checks across keys (a list naming a test the file lacks) are made by the
loader on the raw TOML and added to the same report, so they are listed beside every other problem.
`json_schema` gives a file's JSON Schema, which editors can check a municipality's own file
against (docs/schemas/).
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from boligsocial.common.errors import ConfigError
from boligsocial.common.words import Term, both, words

M = TypeVar("M", bound=BaseModel)


class Table(BaseModel):
    """A table of a configuration file: only the keys declared, each of the type declared."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Invalid(ValueError):
    """A validator's own problem: a message of config.po (`key`, filled with `params`); `detail`
    (e.g. the value) and `allowed` are shown once, after both languages."""

    def __init__(
        self, key: str, detail: str | None = None, allowed: str | None = None, **params: Any
    ) -> None:
        self.key, self.params, self.detail, self.allowed = key, params, detail, allowed
        super().__init__(both(key, **params))


@dataclass(frozen=True)
class Issue:
    """One problem in a configuration file: where (the key path, '' for the whole file) and what
    (a message of config.po, `key` filled with `params`)."""

    path: str
    key: str
    detail: str | None = None
    allowed: str | None = None
    hint: str | None = None
    value: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The problem without the file, e.g. `key.path: dansk / English: 'x' (tilladt/allowed: a, b)`."""
        text = both(self.key, **self.params)
        if self.detail is not None:
            text += f": {self.detail}"
        if self.allowed is not None:
            text += " " + allowed_text(self.allowed)
        if self.hint is not None:
            text += "; " + both("config.did_you_mean", hint=self.hint)
        return f"{self.path}: {text}" if self.path else text

    def line(self, source: str) -> str:
        return f"{source}: {self.text}"


def allowed_text(allowed: str) -> str:
    """What may be written instead, in both languages: `(tilladt/allowed: a, b)`."""
    return f"({words('da')('config.allowed')}/{words('en')('config.allowed')}: {allowed})"


def nearest(word: object, allowed: typing.Iterable[object]) -> str | None:
    """The allowed word closest to a misspelled one, if any is close (difflib's measure)."""
    found = difflib.get_close_matches(str(word), [str(a) for a in allowed], n=1, cutoff=0.6)
    return found[0] if found else None


def unknown(path: str, word: object, allowed: typing.Sequence[object], what: str) -> Issue:
    """A name that refers to nothing (`what`: its message, e.g. `config.unknown_test`), with a hint."""
    return Issue(
        path,
        what,
        detail=repr(word),
        allowed=", ".join(map(str, allowed)) or "-",
        hint=nearest(word, allowed),
        value=str(word),
    )


def _as_text(value: object) -> object:
    """TOML writes codes as numbers as readily as text (`code = 630`): both are the text "630"."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


#: Text that may also be written as a whole number (a municipality code, a code in a code list).
TextOrNumber = Annotated[str, BeforeValidator(_as_text), WithJsonSchema({"type": ["string", "integer"]})]


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """The TOML text of `source`, or a ConfigError naming it."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {both('config.not_toml')}: {exc}") from exc


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A configuration file (`what`: the message naming its kind, e.g. `config.file.ruleset`)
    parsed, or a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(both("config.file_not_found", what=Term(what), path=path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{both('config.file_unreadable', what=Term(what))}: {path}: {exc}") from exc
    return parse_toml(text, path.name)


def check(kind: type[M], data: Any) -> tuple[M | None, list[Issue]]:
    """The file's data as `kind`, or every problem pydantic finds (worded here, in order)."""
    try:
        return kind.model_validate(data), []
    except ValidationError as exc:
        return None, [_issue(kind, dict(e)) for e in exc.errors(include_url=False)]


def refuse(title: str, source: str, issues: typing.Sequence[Issue]) -> NoReturn:
    """Raise one ConfigError listing every problem of a file under a title (its message key,
    e.g. `config.title.ruleset`) in Danish and English."""
    lines = "\n  ".join(issue.line(source) for issue in issues)
    raise ConfigError(f"{both(title)}:\n  {lines}")


def validated(kind: type[M], data: Any, source: str, title: str, more: typing.Sequence[Issue] = ()) -> M:
    """`kind` from the data, or one ConfigError with its problems and the loader's own (`more`)."""
    model, issues = check(kind, data)
    if issues or more or model is None:
        refuse(title, source, [*issues, *more])
    return model


class _TomlSchema(GenerateJsonSchema):
    """TOML has no null: an optional key is one that may be left out, not one that may be null."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        generated = super().default_schema(schema)
        if generated.get("default", ...) is None:
            del generated["default"]
        return generated


def json_schema(kind: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a configuration file, for editors and the docs."""
    generated = kind.model_json_schema(schema_generator=_TomlSchema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **generated}


# --- from pydantic's errors to ours ------------------------------------------------------------------


def _unwrap(tp: Any) -> Any:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    if isinstance(tp, type) and issubclass(tp, BaseModel) and "root" in tp.model_fields:
        return _unwrap(tp.model_fields["root"].annotation)  # a RootModel: its root type
    return tp


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _tags(tp: Any) -> set[str]:
    """The literal values a model's fields are fixed to (a tagged union's tag)."""
    if not (isinstance(tp, type) and issubclass(tp, BaseModel)):
        return set()
    return {
        str(v)
        for f in tp.model_fields.values()
        if typing.get_origin(f.annotation) is Literal
        for v in typing.get_args(f.annotation)
    }


def _walk(kind: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[str, Any]:
    """The key path a pydantic location stands for, and the type found there."""
    parts: list[str] = []
    tp: Any = _unwrap(kind)
    rest = list(loc)
    while rest:
        seg = rest.pop(0)
        if _is_union(tp):
            members = [_unwrap(m) for m in typing.get_args(tp) if m is not type(None)]
            chosen = [m for m in members if str(seg) in _tags(m) or getattr(m, "__name__", None) == seg]
            if chosen:  # a tagged union names the member it tried: not a key of the file
                tp = chosen[0]
                continue
            tp = members[0] if len(members) == 1 else None
        if seg == "[key]":
            continue
        origin = typing.get_origin(tp)
        if isinstance(seg, int):
            parts.append(f"[{seg + 1}]")
            args = typing.get_args(tp)
            tp = _unwrap(args[0]) if origin in (list, tuple) and args else None
            continue
        parts.append(("." if parts else "") + seg)
        if origin is dict:
            key, value = typing.get_args(tp)
            if rest and rest[0] == "[key]":
                tp = _unwrap(key)
                rest.pop(0)
            else:
                tp = _unwrap(value)
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and seg in tp.model_fields:
            tp = _unwrap(tp.model_fields[seg].annotation)
        else:
            tp = None
    return "".join(parts), tp


def _options(tp: Any) -> list[str]:
    """The values a Literal (possibly optional) allows."""
    if _is_union(tp):
        return [o for m in typing.get_args(tp) for o in _options(_unwrap(m))]
    return [str(v) for v in typing.get_args(tp)] if typing.get_origin(tp) is Literal else []


def _scalar(value: object) -> str | None:
    return str(value) if isinstance(value, str | int | float | bool) else None


#: Pydantic's error types without context, and their message in config.po.
_WORDS = {
    "missing": "config.missing",
    "string_type": "config.string_type",
    "int_type": "config.int_type",
    "float_type": "config.float_type",
    "bool_type": "config.bool_type",
    "list_type": "config.list_type",
    "dict_type": "config.table_type",
    "model_type": "config.table_type",
    "model_attributes_type": "config.table_type",
}
#: Pydantic's bounds (their message in config.po is filled with the error's context).
_BOUNDS = {
    "greater_than_equal": "config.greater_than_equal",
    "greater_than": "config.greater_than",
    "less_than_equal": "config.less_than_equal",
    "less_than": "config.less_than",
    "too_short": "config.too_short",
    "too_long": "config.too_long",
    "string_too_short": "config.string_too_short",
    "string_too_long": "config.string_too_long",
}


def _issue(kind: type[BaseModel], error: dict[str, Any]) -> Issue:
    loc, kind_of, ctx = tuple(error["loc"]), error["type"], error.get("ctx") or {}
    value = _scalar(error.get("input"))
    if kind_of == "extra_forbidden":
        path, _ = _walk(kind, loc)
        _, parent = _walk(kind, loc[:-1])
        keys = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
        hint = nearest(loc[-1], keys)
        allowed = None if hint is not None else ", ".join(keys) or "-"
        return Issue(path, "config.unknown_key", allowed=allowed, hint=hint)
    path, tp = _walk(kind, loc)
    options = _options(tp) or [str(ctx.get("expected", ""))]
    if kind_of in ("union_tag_invalid", "union_tag_not_found"):
        path += "." + str(ctx.get("discriminator", "")).strip("'")
        if kind_of == "union_tag_not_found":
            return Issue(path, "config.missing")
        options = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        value, kind_of = str(ctx.get("tag")), "literal_error"
    if kind_of == "literal_error":
        is_key = bool(loc) and loc[-1] == "[key]"  # a table's name, as `[lists.udsat]`
        return Issue(
            path,
            "config.unknown_key" if is_key else "config.unknown_value",
            detail=repr(value),
            allowed=", ".join(options),
            hint=nearest(value, options),
            value=value,
        )
    if kind_of in _WORDS:
        return Issue(path, _WORDS[kind_of], value=value)
    if kind_of == "value_error" and isinstance(ctx.get("error"), Invalid):
        bad: Invalid = ctx["error"]
        return Issue(path, bad.key, detail=bad.detail, allowed=bad.allowed, value=value, params=bad.params)
    if kind_of == "too_short" and isinstance(error.get("input"), str):
        kind_of = "string_too_short"
    if kind_of == "string_too_short" and ctx.get("min_length") == 1:
        return Issue(path, "config.not_empty", value=value)
    if kind_of in _BOUNDS:
        given = error.get("input")
        detail = repr(given) if isinstance(given, str) else value
        return Issue(path, _BOUNDS[kind_of], detail=detail, value=value, params=ctx)
    message = str(error.get("msg", kind_of))
    return Issue(path, "config.invalid_value", detail=message, value=value)

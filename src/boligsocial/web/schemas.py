"""The shapes the API answers in, as pydantic models for its OpenAPI description.

Every error of the API has one shape, `{"error": {"code", "message", "detail"}}` (`web.error`):
the description advertises that shape for every error status instead of FastAPI's default
`HTTPValidationError`, which the API never returns (its validation errors are rewritten into the
same shape, `invalid-parameter`, with the problems in `detail`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field


class ErrorInfo(BaseModel):
    """What went wrong: a stable code to act on, a message for people, and details."""

    code: str = Field(description="a stable, machine-readable code, e.g. `unknown-area`, `csrf`")
    message: str = Field(description="what went wrong, for a person reading it")
    detail: dict[str, Any] | list[Any] = Field(
        default_factory=dict, description="more about it: e.g. the problems of each parameter"
    )


class ErrorBody(BaseModel):
    """The body of every error answer of the API."""

    error: ErrorInfo


def one_of(values: Iterable[str]) -> dict[str, Any]:
    """The OpenAPI extra of a parameter that takes one of fixed values (the handler still checks it
    and answers 422 with its own code and the allowed values)."""
    return {"enum": list(values)}


def _error(text: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": text}


#: The error answers every endpoint of the API can give, for its OpenAPI description.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("Bad request (e.g. a value the database cannot answer for)"),
    401: _error("Not logged in and no (valid) API token"),
    403: _error("Not allowed for this role or organisation, or a missing CSRF token"),
    404: _error("Unknown layer, area, indicator, year or job"),
    422: _error("A parameter is missing, unknown or not valid (`invalid-parameter`, `unknown-parameter`)"),
    429: _error("Too many requests of this kind at once (e.g. `export-busy`)"),
    503: _error("The database cannot be read right now"),
}


def errors_as_json(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI description with every error answer under `application/json`: FastAPI files an
    endpoint's extra answers under its own media type (text/csv for a CSV download), but its
    errors are JSON like everyone else's. Changes and returns `spec`."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                if not status.startswith(("4", "5")):
                    continue
                content = answer.get("content", {})
                schema = next((c["schema"] for c in content.values() if "schema" in c), None)
                if schema is not None:
                    answer["content"] = {"application/json": {"schema": schema}}
    return spec

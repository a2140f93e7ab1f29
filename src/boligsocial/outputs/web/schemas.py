"""The shapes the API answers in, as pydantic models for its OpenAPI description.

Each endpoint's successful answer has a model here; the handlers still return the service's own
dicts (served from the answer cache as bytes), so the models describe rather than filter, and the
suite holds them to the truth: schemathesis validates every answer against the description, and a
test validates the answers of every role against the models (`tests/test_openapi.py`). Rows whose
columns depend on the data (a rule set's criteria, a model's inputs) name the columns every row
has and allow the others. A published figure may be hidden: its value is then null and its
`state` says why (docs/access.md).

Every error of the API has one shape, `{"error": {"code", "message", "detail"}}` (`web.app.error`):
the description advertises that shape for every error status instead of FastAPI's default
`HTTPValidationError`, which the API never returns (its validation errors are rewritten into the
same shape, `invalid-parameter`, with the problems in `detail`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


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


# --- successful answers ------------------------------------------------------------------------


class Open(BaseModel):
    """A row with the columns named here and the data's own besides."""

    model_config = ConfigDict(extra="allow")


class Me(BaseModel):
    username: str | None = Field(description="null for anonymous access")
    role: str
    organisation: str | None = Field(description="a housing association's organisation")
    policy: str = Field(description="the disclosure policy the caller's answers are published with")


class Municipality(Open):
    name: str
    code: str
    region: str | None = None


class LayerInfo(BaseModel):
    id: str
    areas: int


class Indicator(Open):
    id: str
    topic: str
    label_da: str
    label_en: str
    unit: str = Field(description="share, count, mean, rate, ...")


class Meta(BaseModel):
    municipality: Municipality
    data_years: list[int]
    list_years: list[int]
    forecast_years: list[int]
    layers: list[LayerInfo]
    indicators: list[Indicator]
    traffic_light_models: list[str]


class Feature(BaseModel):
    type: str = "Feature"
    id: str
    properties: dict[str, Any]
    geometry: dict[str, Any] | None


class AreaCollection(Open):
    """GeoJSON FeatureCollection of a layer's areas valid in `year`."""

    type: str = "FeatureCollection"
    crs: str
    year: int
    bbox: list[float]
    features: list[Feature]


class Figure(Open):
    """One published figure through the disclosure step."""

    value: float | None
    numerator: float | None
    denominator: float | None
    state: str = Field(description="ok, uncertain, small, rounded, suppressed, no-data, ...")


class AreaFigure(Figure):
    area_id: str
    name: str
    kind: str | None = None


class Values(BaseModel):
    layer: str
    indicator: Indicator
    year: int
    municipality: Figure
    areas: list[AreaFigure]


class Area(Open):
    layer: str
    area_id: str
    name: str
    kind: str | None = None
    parent_id: str | None = None


class YearFigure(Figure):
    year: int


class Series(Open):
    layer: str
    area: Area
    indicator: Indicator
    area_series: list[YearFigure]
    municipality: list[YearFigure]
    almen: list[YearFigure] = Field(default_factory=list)


class PersonsCell(Open):
    persons: float | None
    state: str


class Breakdown(BaseModel):
    year: int
    age: list[PersonsCell]
    housing: list[PersonsCell]


class ListRow(Open):
    """An area's list result in a list year: its criteria values, thresholds, margins and flags (the
    criteria columns are those of the year's rule set; a hidden value is null with its `_state`)."""

    area_id: str
    name: str
    list_year: int
    rule_set: str
    eligible: bool | None = None
    category: str | None = None


class ForecastRow(Open):
    """An area's probabilities of the coming lists, with each criterion's interval."""

    area_id: str
    list_year: int
    horizon: int


class TrafficLight(Open):
    model: str
    layer: str
    area_id: str
    year: int
    colour: str | None


class Profile(Open):
    area: Area
    eligible: bool
    lists: list[ListRow]
    latest: ListRow | None
    forecast: list[ForecastRow]
    traffic_lights: list[TrafficLight]
    sentences: list[str]


class Disagreement(Open):
    area_id: str
    list_year: int
    list: str
    official: bool | None
    computed: bool | None


class WatchRow(Open):
    area_id: str
    name: str
    category: str | None = None
    colour: str | None = None
    changed: bool | None = None


class Flow(Open):
    """Movers from one group to another over `year_from`–`year_to`."""

    from_: str = Field(alias="from")
    to: str
    movers: float | None
    state: str
    year_from: int
    year_to: int


class AreaMoves(BaseModel):
    area: Area
    tallies: list[Open]
    profiles: list[Open]
    decomposition: list[Open]


class Displaced(Open):
    year: int
    to_area: str
    criterion: str
    movers: float | None
    movers_state: str


class NewToken(BaseModel):
    token: str = Field(description="shown once")
    id: str
    expires: str
    note: str


class TokenInfo(Open):
    id: str
    username: str
    label: str
    created: str
    expires: str | None
    last_used: str | None
    expired: bool


class Revoked(BaseModel):
    revoked: str


class ExportJob(Open):
    id: str
    what: str
    state: str = Field(description="queued, running, done or failed")
    progress: float
    status_url: str
    download_url: str | None = None
    name: str | None = None
    error: dict[str, Any] | None = None


class AuditRecord(Open):
    id: int
    at: str = Field(description="ISO 8601, UTC")
    username: str | None
    role: str | None
    event: str
    target: str | None
    ip: str | None
    detail: dict[str, Any] | list[Any] | None


def answer(model: type[BaseModel] | Any, text: str = "The answer") -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entry of an endpoint's successful answer."""
    return {200: {"model": model, "description": text}}

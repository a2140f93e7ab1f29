"""The API's list endpoints: the state's lists, the official lists against the computation, the
areas to watch and what changed, the forecast of the coming lists, and the traffic lights."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from boligsocial.common.words import language
from boligsocial.outputs.web.api.reading import Layer, ListYear, Svc, Year, cached, dict_rows
from boligsocial.outputs.web.auth import CurrentViewer
from boligsocial.outputs.web.schemas import Disagreement, ForecastRow, ListRow, TrafficLight, WatchRow, answer

router = APIRouter()


@router.get("/lists", summary="The state's lists per area and list year", responses=answer(list[ListRow]))
async def lists(
    request: Request,
    svc: Svc,
    v: CurrentViewer,
    year: ListYear = None,
    layer: Layer = "omraade",
    without_origin: bool = False,
) -> Response:
    return await cached(request, svc, v, lambda: dict_rows(svc.lists(year, layer, without_origin, viewer=v)))


@router.get(
    "/lists/disagreements",
    summary="Official lists against the tool's computation",
    responses=answer(list[Disagreement]),
)
async def disagreements(request: Request, svc: Svc, v: CurrentViewer) -> Response:
    return await cached(request, svc, v, lambda: dict_rows(svc.disagreements()))


@router.get(
    "/lists/watch", summary="Areas on or near a list in a list year", responses=answer(list[WatchRow])
)
async def watch(
    request: Request, svc: Svc, v: CurrentViewer, year: ListYear = None, layer: Layer = "omraade"
) -> Response:
    return await cached(request, svc, v, lambda: svc.watchlist(layer, year, v))


@router.get(
    "/lists/changes",
    summary="Categories and colours that changed since the year before",
    responses=answer(list[WatchRow]),
)
async def changes(
    request: Request, svc: Svc, v: CurrentViewer, year: ListYear = None, layer: Layer = "omraade"
) -> Response:
    return await cached(request, svc, v, lambda: svc.changes(layer, year, v))


@router.get(
    "/forecast",
    summary="Probabilities of the coming lists, with intervals",
    responses=answer(list[ForecastRow]),
)
async def forecast(
    request: Request, svc: Svc, v: CurrentViewer, year: ListYear = None, layer: Layer = "omraade"
) -> Response:
    return await cached(request, svc, v, lambda: dict_rows(svc.forecast(year, layer, v)))


@router.get(
    "/traffic-lights",
    summary="Traffic-light colours per model, area and year",
    responses=answer(list[TrafficLight]),
)
async def traffic_lights(
    request: Request,
    svc: Svc,
    v: CurrentViewer,
    model: str | None = None,
    layer: Layer = "omraade",
    year: Year = None,
    lang: Annotated[str, Query(description="Language of each colour's reason: da (default) or en.")] = "da",
) -> Response:
    lang = language(lang)
    return await cached(request, svc, v, lambda: dict_rows(svc.traffic_lights(model, layer, year, v, lang)))

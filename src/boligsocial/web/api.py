"""The JSON API, version 1: every endpoint is a thin call on the service layer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response

from boligsocial.service import Service

router = APIRouter(prefix="/api/v1", tags=["v1"])


def service(request: Request) -> Service:
    """The application's service (one per app, holding the database snapshot)."""
    svc: Service = request.app.state.service
    return svc


Svc = Annotated[Service, Depends(service)]
Year = Annotated[int | None, Query(description="Data year (default: the latest).", ge=1900, le=2200)]
ListYear = Annotated[int | None, Query(description="List year (default: the latest).", ge=1900, le=2200)]
Layer = Annotated[str, Query(description="Area layer, e.g. omraade, skoledistrikt.")]


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


def cached(request: Request, svc: Service, produce: Callable[[], Any]) -> Response:
    """The JSON answer, serialised once per database version and request (a slider that returns to
    a year gets the bytes it got before)."""
    key = ("api", request.url.path, tuple(sorted(request.query_params.multi_items())))
    body = svc.memo(key, lambda: json.dumps(produce(), ensure_ascii=False, allow_nan=False).encode())
    return Response(body, media_type="application/json")


@router.get("/meta", summary="Municipality, years, layers, indicators and models")
async def meta(request: Request, svc: Svc) -> Response:
    return cached(request, svc, lambda: svc.meta())


@router.get("/layers/{layer}/areas", summary="The layer's areas as GeoJSON (EPSG:25832)")
async def areas(request: Request, svc: Svc, layer: str, year: Year = None) -> Response:
    return cached(request, svc, lambda: svc.geojson(layer, year))


@router.get("/layers/{layer}/values", summary="One indicator for every area of a layer in one year")
async def values(request: Request, svc: Svc, layer: str, indicator: str, year: Year = None) -> Response:
    return cached(request, svc, lambda: svc.values(layer, indicator, year))


@router.get(
    "/layers/{layer}/values.csv", summary="The same as CSV (for download)", response_class=PlainTextResponse
)
async def values_csv(
    request: Request, svc: Svc, layer: str, indicator: str, year: Year = None
) -> PlainTextResponse:
    data = svc.values(layer, indicator, year)
    frame = pl.DataFrame(data["areas"]).with_columns(
        pl.lit(data["year"]).alias("year"), pl.lit(indicator).alias("indicator")
    )
    name = f"{layer}_{indicator}_{data['year']}.csv"
    return PlainTextResponse(
        frame.write_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/layers/{layer}/areas/{area_id}/series", summary="An indicator over the years")
async def series(request: Request, svc: Svc, layer: str, area_id: str, indicator: str) -> Response:
    return cached(request, svc, lambda: svc.series(layer, area_id, indicator))


@router.get("/layers/{layer}/areas/{area_id}/breakdown", summary="Residents by age and housing type")
async def breakdown(request: Request, svc: Svc, layer: str, area_id: str, year: Year = None) -> Response:
    return cached(request, svc, lambda: svc.breakdown(layer, area_id, year))


@router.get("/layers/{layer}/areas/{area_id}/profile", summary="Lists, forecast, traffic lights, why")
async def profile(request: Request, svc: Svc, layer: str, area_id: str, lang: str = "da") -> Response:
    return cached(request, svc, lambda: svc.profile(layer, area_id, lang))


@router.get("/lists", summary="The state's lists per area and list year")
async def lists(
    request: Request, svc: Svc, year: ListYear = None, layer: Layer = "omraade", without_origin: bool = False
) -> Response:
    return cached(request, svc, lambda: _rows(svc.lists(year, layer, without_origin)))


@router.get("/lists/disagreements", summary="Official lists against the tool's computation")
async def disagreements(request: Request, svc: Svc) -> Response:
    return cached(request, svc, lambda: _rows(svc.disagreements()))


@router.get("/lists/watch", summary="Areas on or near a list, with changes since the year before")
async def watch(request: Request, svc: Svc, year: ListYear = None, layer: Layer = "omraade") -> Response:
    return cached(request, svc, lambda: svc.watchlist(layer, year))


@router.get("/lists/changes", summary="Categories and colours that changed since the year before")
async def changes(request: Request, svc: Svc, year: ListYear = None, layer: Layer = "omraade") -> Response:
    return cached(request, svc, lambda: svc.changes(layer, year))


@router.get("/forecast", summary="Probabilities of the coming lists, with intervals")
async def forecast(request: Request, svc: Svc, year: ListYear = None, layer: Layer = "omraade") -> Response:
    return cached(request, svc, lambda: _rows(svc.forecast(year, layer)))


@router.get("/traffic-lights", summary="Traffic-light colours per model, area and year")
async def traffic_lights(
    request: Request, svc: Svc, model: str | None = None, layer: Layer = "omraade", year: Year = None
) -> Response:
    return cached(request, svc, lambda: _rows(svc.traffic_lights(model, layer, year)))

"""The JSON API, version 1: every endpoint is a thin call on the service layer."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse

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


@router.get("/meta", summary="Municipality, years, layers, indicators and models")
def meta(svc: Svc) -> dict[str, Any]:
    return svc.meta()


@router.get("/layers/{layer}/areas", summary="The layer's areas as GeoJSON (EPSG:25832)")
def areas(svc: Svc, layer: str, year: Year = None) -> dict[str, Any]:
    return svc.geojson(layer, year)


@router.get("/layers/{layer}/values", summary="One indicator for every area of a layer in one year")
def values(svc: Svc, layer: str, indicator: str, year: Year = None) -> dict[str, Any]:
    return svc.values(layer, indicator, year)


@router.get(
    "/layers/{layer}/values.csv", summary="The same as CSV (for download)", response_class=PlainTextResponse
)
def values_csv(svc: Svc, layer: str, indicator: str, year: Year = None) -> PlainTextResponse:
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
def series(svc: Svc, layer: str, area_id: str, indicator: str) -> dict[str, Any]:
    return svc.series(layer, area_id, indicator)


@router.get("/layers/{layer}/areas/{area_id}/breakdown", summary="Residents by age and housing type")
def breakdown(svc: Svc, layer: str, area_id: str, year: Year = None) -> dict[str, Any]:
    return svc.breakdown(layer, area_id, year)


@router.get("/layers/{layer}/areas/{area_id}/profile", summary="Lists, forecast, traffic lights, why")
def profile(svc: Svc, layer: str, area_id: str, lang: str = "da") -> dict[str, Any]:
    return svc.profile(layer, area_id, lang)


@router.get("/lists", summary="The state's lists per area and list year")
def lists(
    svc: Svc, year: ListYear = None, layer: Layer = "omraade", without_origin: bool = False
) -> list[dict[str, Any]]:
    return _rows(svc.lists(year, layer, without_origin))


@router.get("/lists/disagreements", summary="Official lists against the tool's computation")
def disagreements(svc: Svc) -> list[dict[str, Any]]:
    return _rows(svc.disagreements())


@router.get("/lists/watch", summary="Areas on or near a list, with changes since the year before")
def watch(svc: Svc, year: ListYear = None, layer: Layer = "omraade") -> list[dict[str, Any]]:
    return svc.watchlist(layer, year)


@router.get("/lists/changes", summary="Categories and colours that changed since the year before")
def changes(svc: Svc, year: ListYear = None, layer: Layer = "omraade") -> list[dict[str, Any]]:
    return svc.changes(layer, year)


@router.get("/forecast", summary="Probabilities of the coming lists, with intervals")
def forecast(svc: Svc, year: ListYear = None, layer: Layer = "omraade") -> list[dict[str, Any]]:
    return _rows(svc.forecast(year, layer))


@router.get("/traffic-lights", summary="Traffic-light colours per model, area and year")
def traffic_lights(
    svc: Svc, model: str | None = None, layer: Layer = "omraade", year: Year = None
) -> list[dict[str, Any]]:
    return _rows(svc.traffic_lights(model, layer, year))

"""The API's installation and layer endpoints: who is asking, what the database holds, a layer's
areas and one indicator for every area of a layer (also as CSV, an export)."""

from __future__ import annotations

from typing import Any

import polars as pl
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from boligsocial.outputs.export import audience_for
from boligsocial.outputs.export.notes import warning
from boligsocial.outputs.web.api.reading import ExportAudience, Store, Svc, Year, cached
from boligsocial.outputs.web.auth import CurrentViewer, client_ip, require_export
from boligsocial.outputs.web.schemas import AreaCollection, Me, Meta, Values, answer

router = APIRouter()


@router.get("/me", summary="Who is asking: user name and role", responses=answer(Me))
async def me(v: CurrentViewer) -> dict[str, Any]:
    return {"username": v.username, "role": v.role, "organisation": v.organisation, "policy": v.policy.name}


@router.get("/meta", summary="Municipality, years, layers, indicators and models", responses=answer(Meta))
async def meta(request: Request, svc: Svc, v: CurrentViewer) -> Response:
    return await cached(request, svc, v, svc.meta)


@router.get(
    "/layers/{layer}/areas",
    summary="The layer's areas as GeoJSON (EPSG:25832)",
    responses=answer(AreaCollection),
)
async def areas(request: Request, svc: Svc, v: CurrentViewer, layer: str, year: Year = None) -> Response:
    return await cached(request, svc, v, lambda: svc.geojson(layer, year))


@router.get(
    "/layers/{layer}/values",
    summary="One indicator for every area of a layer in one year",
    responses=answer(Values),
)
async def values(
    request: Request, svc: Svc, v: CurrentViewer, layer: str, indicator: str, year: Year = None
) -> Response:
    return await cached(request, svc, v, lambda: svc.values(layer, indicator, year, v))


@router.get(
    "/layers/{layer}/values.csv",
    summary="The same as CSV (an export; roles that may export)",
    response_class=PlainTextResponse,
)
def values_csv(
    request: Request,
    svc: Svc,
    store: Store,
    v: CurrentViewer,
    layer: str,
    indicator: str,
    year: Year = None,
    audience: ExportAudience = None,
) -> PlainTextResponse:
    require_export(v)
    reader = audience_for(v, audience, request.app.state.policies)
    data = svc.values(layer, indicator, year, reader)
    frame = pl.DataFrame(data["areas"], infer_schema_length=None).with_columns(
        pl.lit(data["year"]).alias("year"), pl.lit(indicator).alias("indicator")
    )
    store.log(
        "export", v.username, f"csv {layer}/{indicator}/{data['year']} for {reader.role}", client_ip(request)
    )
    name = f"{layer}_{indicator}_{data['year']}_{reader.role}.csv"
    # like every file: whom it is for on its first lines (comments, which CSV readers can skip)
    said = warning(reader.policy, request.app.state.policies.get("default"))
    head = (f"# {said}\n" if said else "") + f"# audience: {reader.role}\n"
    return PlainTextResponse(
        head + frame.write_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )

"""The API's endpoints about one area: an indicator over the years, the residents by age and
housing type, and the area's profile (lists, forecast, traffic lights, why)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from boligsocial.outputs.web.api.reading import Store, Svc, Year, cached
from boligsocial.outputs.web.auth import CurrentViewer, client_ip
from boligsocial.outputs.web.schemas import Breakdown, Profile, Series, answer

router = APIRouter()


@router.get(
    "/layers/{layer}/areas/{area_id}/series", summary="An indicator over the years", responses=answer(Series)
)
async def series(
    request: Request, svc: Svc, v: CurrentViewer, layer: str, area_id: str, indicator: str
) -> Response:
    return await cached(request, svc, v, lambda: svc.series(layer, area_id, indicator, v))


@router.get(
    "/layers/{layer}/areas/{area_id}/breakdown",
    summary="Residents by age and housing type",
    responses=answer(Breakdown),
)
async def breakdown(
    request: Request, svc: Svc, v: CurrentViewer, layer: str, area_id: str, year: Year = None
) -> Response:
    return await cached(request, svc, v, lambda: svc.breakdown(layer, area_id, year, v))


@router.get(
    "/layers/{layer}/areas/{area_id}/profile",
    summary="Lists, forecast, traffic lights, why",
    responses=answer(Profile),
)
async def profile(
    request: Request, svc: Svc, store: Store, v: CurrentViewer, layer: str, area_id: str, lang: str = "da"
) -> Response:
    response = await cached(request, svc, v, lambda: svc.profile(layer, area_id, lang, v))
    store.log_later("profile-view", v.username, f"{layer}/{area_id}", client_ip(request), role=v.role)
    return response

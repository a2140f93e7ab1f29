"""The API's move endpoints: flows between areas, housing types or kinds of area, one area's
moves, and displacement (where an area's out-movers went and what that did to the criteria)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from boligsocial.compute.moves import SHARE_CRITERIA, TRAITS
from boligsocial.outputs.web.api.reading import Layer, Svc, Year, cached, dict_rows
from boligsocial.outputs.web.auth import CurrentViewer
from boligsocial.outputs.web.schemas import AreaMoves, Displaced, Flow, answer, one_of
from boligsocial.publish.service.moves import GROUPINGS

router = APIRouter()


@router.get(
    "/moves/flows",
    summary="Moves from → to summed over years, by area, housing type or kind",
    responses=answer(list[Flow]),
)
async def move_flows(
    request: Request,
    svc: Svc,
    v: CurrentViewer,
    by: Annotated[str, Query(json_schema_extra=one_of(GROUPINGS))] = "area",
    year_from: Year = None,
    year_to: Year = None,
    layer: Layer = "omraade",
    trait: Annotated[str | None, Query(json_schema_extra=one_of(TRAITS))] = None,
    area: str | None = None,
    housing_type: str | None = None,
) -> Response:
    return await cached(
        request,
        svc,
        v,
        lambda: dict_rows(svc.flows(by, year_from, year_to, layer, v, trait, area, housing_type)),
    )


@router.get(
    "/layers/{layer}/areas/{area_id}/moves",
    summary="One area's moves: tallies, profiles, decomposition",
    responses=answer(AreaMoves),
)
async def area_moves(request: Request, svc: Svc, v: CurrentViewer, layer: str, area_id: str) -> Response:
    return await cached(request, svc, v, lambda: svc.area_moves(layer, area_id, v))


@router.get(
    "/layers/{layer}/areas/{area_id}/displacement",
    summary="Where the area's out-movers went and how much they raised the receiving areas' criterion value",
    responses=answer(list[Displaced]),
)
async def displacement(
    request: Request,
    svc: Svc,
    v: CurrentViewer,
    layer: str,
    area_id: str,
    year_from: Year = None,
    year_to: Year = None,
    criterion: Annotated[str, Query(json_schema_extra=one_of(SHARE_CRITERIA))] = "labour",
) -> Response:
    return await cached(
        request,
        svc,
        v,
        lambda: svc.displacement(layer, area_id, year_from, year_to, viewer=v, criterion=criterion),
    )

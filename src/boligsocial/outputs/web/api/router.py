"""The JSON API, version 1, under /api/v1: one router made of the routers of each concept, in the
order the OpenAPI description lists them; every endpoint refuses unknown parameters and answers
errors in the one error shape (`schemas.ERROR_RESPONSES`)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from boligsocial.outputs.web.answers import refuse_unknown_parameters
from boligsocial.outputs.web.api import accounts, areas, exports, layers, lists, moves
from boligsocial.outputs.web.schemas import ERROR_RESPONSES

router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    dependencies=[Depends(refuse_unknown_parameters)],
    responses=ERROR_RESPONSES,
)
router.include_router(layers.router)
router.include_router(exports.router)
router.include_router(areas.router)
router.include_router(lists.router)
router.include_router(moves.router)
router.include_router(accounts.router)

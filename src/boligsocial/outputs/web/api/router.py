"""The JSON API, version 1, under /api/v1: one router made of the routers of each concept, in the
order the OpenAPI description lists them; every endpoint refuses unknown parameters and answers
errors in the one error shape (`schemas.ERROR_RESPONSES`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from boligsocial.outputs.web.answers import refuse_unknown_parameters
from boligsocial.outputs.web.api import accounts, areas, exports, layers, lists, moves
from boligsocial.outputs.web.schemas import ERROR_RESPONSES


def message_language(
    lang: Annotated[
        str | None,
        Query(
            description="The language of the answer's words: its error message, the names and "
            "reasons it writes, an export's file. da or en (default: the page's language, else da).",
            json_schema_extra={"enum": ["da", "en"]},
        ),
    ] = None,
) -> None:
    """Declares `?lang=` on every endpoint, which each reads where it writes words (the error
    handler for a refusal's message): the OpenAPI description lists it for all of them."""


router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    dependencies=[Depends(refuse_unknown_parameters), Depends(message_language)],
    responses=ERROR_RESPONSES,
)
router.include_router(layers.router)
router.include_router(exports.router)
router.include_router(areas.router)
router.include_router(lists.router)
router.include_router(moves.router)
router.include_router(accounts.router)

"""What every endpoint of the API shares: the service as a dependency, the common parameters, and
`cached`, which answers a read once per database version and viewer and records it in the audit
log. Every endpoint asks the service for the caller's `Viewer`, so every figure is published with
that viewer's disclosure policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import polars as pl
from fastapi import Depends, Query, Request
from fastapi.responses import Response

from boligsocial.outputs.web.answers import AnswerCache, normalised, serialise
from boligsocial.outputs.web.auth import AccessStore, Forbidden, access, client_ip
from boligsocial.outputs.web.schemas import one_of
from boligsocial.publish.disclosure import AUDIENCE_OF_ROLE
from boligsocial.publish.service import Service, Viewer


async def service(request: Request) -> Service:
    """The application's service (one per app, holding the database snapshot)."""
    svc: Service = request.app.state.service
    return svc


Svc = Annotated[Service, Depends(service)]
Store = AccessStore
Year = Annotated[int | None, Query(description="Data year (default: the latest).", ge=1900, le=2200)]
ListYear = Annotated[int | None, Query(description="List year (default: the latest).", ge=1900, le=2200)]
Layer = Annotated[str, Query(description="Area layer, e.g. omraade, skoledistrikt.")]

ExportAudience = Annotated[
    str | None,
    Query(
        description="The role the file is for (default: the caller's own); only the caller's own or a "
        "stricter one (403 audience-not-allowed otherwise).",
        json_schema_extra=one_of(sorted(AUDIENCE_OF_ROLE)),
    ),
]


def dict_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return frame.to_dicts()


async def cached(request: Request, svc: Service, v: Viewer, produce: Callable[[], Any]) -> Response:
    """The JSON answer, serialised once per database version, disclosure policy and the known
    parameters (`answers`), computed off the event loop; the read is recorded in the audit log."""
    # what a viewer sees depends on the policy and, for a housing association, on its organisation
    params = normalised(request)
    key = (
        "api",
        svc.db.stat().st_mtime if svc.db.exists() else -1.0,  # a load makes new answers
        v.policy,
        v.role,
        v.organisation,
        request.url.path,
        params,
    )
    cache: AnswerCache = request.app.state.answers
    body, rows = await cache.answer(key, lambda: serialise(produce()))
    access(request).log_read(
        v.username,
        v.role,
        request.url.path,
        dict(params),
        rows,
        client_ip(request),
    )
    return Response(body, media_type="application/json")


def own_area(svc: Service, v: Viewer, layer: str, area_id: str) -> None:
    if not svc.may_see_profile(v, layer, area_id):
        raise Forbidden("not-your-area", "a housing association sees the profile of its own areas only")

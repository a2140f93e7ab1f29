"""The JSON API, version 1: every endpoint asks the service for the caller's `Viewer`, so every
figure is published with that viewer's disclosure policy."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as Path_
from fastapi.responses import FileResponse, PlainTextResponse, Response

from boligsocial.common.errors import ConfigError, InvalidParameter, NotFound
from boligsocial.compute.moves import SHARE_CRITERIA, TRAITS
from boligsocial.outputs.export import FORMATS, MEDIA_TYPES, audience_for
from boligsocial.outputs.export.notes import warning
from boligsocial.outputs.export.order import Order, make
from boligsocial.outputs.web.answers import AnswerCache, normalised, refuse_unknown_parameters, serialise
from boligsocial.outputs.web.auth import (
    AccessStore,
    CurrentViewer,
    Forbidden,
    access,
    client_ip,
    require_admin,
    require_export,
)
from boligsocial.outputs.web.jobs import ExportJobs, Job
from boligsocial.outputs.web.schemas import (
    ERROR_RESPONSES,
    AreaCollection,
    AreaMoves,
    AuditRecord,
    Breakdown,
    Disagreement,
    Displaced,
    ExportJob,
    Flow,
    ForecastRow,
    ListRow,
    Me,
    Meta,
    NewToken,
    Profile,
    Revoked,
    Series,
    TokenInfo,
    TrafficLight,
    Values,
    WatchRow,
    answer,
    one_of,
)
from boligsocial.publish.access import TOKEN_DAYS
from boligsocial.publish.access.auditlog import text_frame
from boligsocial.publish.disclosure import AUDIENCE_OF_ROLE
from boligsocial.publish.service import Service, Viewer
from boligsocial.publish.service.moves import GROUPINGS

router = APIRouter(
    prefix="/api/v1",
    tags=["v1"],
    dependencies=[Depends(refuse_unknown_parameters)],
    responses=ERROR_RESPONSES,
)


async def service(request: Request) -> Service:
    """The application's service (one per app, holding the database snapshot)."""
    svc: Service = request.app.state.service
    return svc


Svc = Annotated[Service, Depends(service)]
Store = AccessStore
Year = Annotated[int | None, Query(description="Data year (default: the latest).", ge=1900, le=2200)]
ListYear = Annotated[int | None, Query(description="List year (default: the latest).", ge=1900, le=2200)]
Layer = Annotated[str, Query(description="Area layer, e.g. omraade, skoledistrikt.")]


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
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


def _own_area(svc: Service, v: Viewer, layer: str, area_id: str) -> None:
    if not svc.may_see_profile(v, layer, area_id):
        raise Forbidden("not-your-area", "a housing association sees the profile of its own areas only")


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


ExportFormat = Annotated[
    str, Path_(description="gpkg, geojson, xlsx, csv or pdf.", json_schema_extra=one_of(FORMATS))
]
ExportArea = Annotated[str | None, Query(description="PDF: the områdeprofil of this area.")]
ExportCrs = Annotated[
    str, Query(description="GeoJSON: 25832 (default) or wgs84.", json_schema_extra=one_of(("25832", "wgs84")))
]
ExportAudience = Annotated[
    str | None,
    Query(
        description="The role the file is for (default: the caller's own); only the caller's own or a "
        "stricter one (403 audience-not-allowed otherwise).",
        json_schema_extra=one_of(sorted(AUDIENCE_OF_ROLE)),
    ),
]


def _export_job(
    request: Request,
    svc: Service,
    v: Viewer,
    fmt: str,
    layer: str,
    year: int | None,
    area: str | None,
    crs: str,
    audience: str | None,
) -> Job:
    """Check an export request and queue it (`jobs`); the audit log records it when it is done."""
    require_export(v)
    if fmt not in MEDIA_TYPES:
        raise InvalidParameter("unknown-format", f"format '{fmt}'?", {"allowed": list(MEDIA_TYPES)})
    if crs not in ("25832", "wgs84"):
        raise InvalidParameter("unknown-crs", f"crs '{crs}'?", {"allowed": ["25832", "wgs84"]})
    if area is not None:
        _own_area(svc, v, layer, area)
    policies = request.app.state.policies  # the installation's, as the viewers read with
    reader = audience_for(v, audience, policies)
    suffix = {"geojson": ".geojson"}.get(fmt, f".{fmt}")
    stem = re.sub(
        r"[^A-Za-z0-9_.-]", "_", f"{layer}_{area}" if area else (f"{layer}_{year}" if year else layer)
    )
    wgs84 = ".wgs84" if fmt == "geojson" and crs == "wgs84" else ""
    what = f"{fmt} {layer}/{year or 'alle'}/{area or '-'} for {reader.role}"

    order = Order(
        svc.db,
        tuple(sorted(policies.items())),
        reader,
        fmt,
        layer,
        year,
        area,
        fmt == "geojson" and crs == "wgs84",
        suffix,
    )
    store, ip = access(request), client_ip(request)
    jobs: ExportJobs = request.app.state.exports
    return jobs.submit(
        v.username or "anonymous",
        what,
        partial(make, order),
        # the file's name says whom it is for, as its contents do
        f"boligsocial_{stem}_{reader.role}{wgs84}{suffix}",
        MEDIA_TYPES[fmt],
        lambda job: store.log("export", v.username, what, ip, role=v.role, detail={"job": job.id}),
    )


def _file(job: Job) -> Response:
    assert job.path is not None
    return FileResponse(
        job.path,
        media_type=job.media_type,
        headers={"Content-Disposition": f'attachment; filename="{job.name}"'},
    )


@router.get(
    "/export/{fmt}",
    summary="A file export (gpkg, geojson, xlsx, csv, pdf) published for an audience: the caller's own role "
    "unless `audience` names a stricter one; roles that may export. Waits for its turn among the "
    "exports (POST /exports for a job to follow instead)",
    response_class=Response,
)
async def export_file(
    request: Request,
    svc: Svc,
    v: CurrentViewer,
    fmt: ExportFormat,
    layer: Layer = "omraade",
    year: Year = None,
    area: ExportArea = None,
    crs: ExportCrs = "25832",
    audience: ExportAudience = None,
) -> Response:
    job = _export_job(request, svc, v, fmt, layer, year, area, crs, audience)
    assert job.future is not None
    await asyncio.wrap_future(job.future)  # a failure raises its RequestError here
    return _file(job)


@router.post(
    "/exports",
    summary="Start a file export as a background job; follow its status_url, then its download_url",
    status_code=202,
    responses={202: {"model": ExportJob, "description": "The job, queued"}},
)
async def start_export(
    request: Request,
    svc: Svc,
    v: CurrentViewer,
    fmt: Annotated[
        str, Query(description="gpkg, geojson, xlsx, csv or pdf.", json_schema_extra=one_of(FORMATS))
    ],
    layer: Layer = "omraade",
    year: Year = None,
    area: ExportArea = None,
    crs: ExportCrs = "25832",
    audience: ExportAudience = None,
) -> dict[str, object]:
    return _export_job(request, svc, v, fmt, layer, year, area, crs, audience).public()


@router.get(
    "/exports/{job_id}",
    summary="An export job: state (queued, running, done, failed) and progress",
    responses=answer(ExportJob),
)
async def export_status(request: Request, v: CurrentViewer, job_id: str) -> dict[str, object]:
    jobs: ExportJobs = request.app.state.exports
    return jobs.get(job_id, v.username or "anonymous").public()


@router.get("/exports/{job_id}/file", summary="The file of a finished export job", response_class=Response)
async def export_download(request: Request, v: CurrentViewer, job_id: str) -> Response:
    jobs: ExportJobs = request.app.state.exports
    job = jobs.get(job_id, v.username or "anonymous")
    if job.state != "done":
        raise InvalidParameter("export-not-ready", f"the export is {job.state}", job.public())
    return _file(job)


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


@router.get("/lists", summary="The state's lists per area and list year", responses=answer(list[ListRow]))
async def lists(
    request: Request,
    svc: Svc,
    v: CurrentViewer,
    year: ListYear = None,
    layer: Layer = "omraade",
    without_origin: bool = False,
) -> Response:
    return await cached(request, svc, v, lambda: _rows(svc.lists(year, layer, without_origin, viewer=v)))


@router.get(
    "/lists/disagreements",
    summary="Official lists against the tool's computation",
    responses=answer(list[Disagreement]),
)
async def disagreements(request: Request, svc: Svc, v: CurrentViewer) -> Response:
    return await cached(request, svc, v, lambda: _rows(svc.disagreements()))


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
    return await cached(request, svc, v, lambda: _rows(svc.forecast(year, layer, v)))


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
) -> Response:
    return await cached(request, svc, v, lambda: _rows(svc.traffic_lights(model, layer, year, v)))


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
        lambda: _rows(svc.flows(by, year_from, year_to, layer, v, trait, area, housing_type)),
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


@router.post(
    "/tokens", summary="Create a personal API token (shown once) for integrations", responses=answer(NewToken)
)
def new_token(
    request: Request,
    store: Store,
    v: CurrentViewer,
    label: str = "",
    days: Annotated[int, Query(ge=1, le=1825, description="Days until it expires.")] = TOKEN_DAYS,
) -> dict[str, str]:
    if getattr(request.state, "auth", "") != "session" or v.username is None:
        raise Forbidden("session-required", "create tokens while logged in with a session")
    token = store.new_token(v.username, label, days)
    mine = store.tokens(v.username)[-1]
    return {
        "token": token,
        "id": str(mine["id"]),
        "expires": str(mine["expires"]),
        "note": "shown once; send it as 'Authorization: Bearer <token>'",
    }


@router.get(
    "/tokens",
    summary="API tokens: your own (an admin: everyone's), never the token itself",
    responses=answer(list[TokenInfo]),
)
def list_tokens(store: Store, v: CurrentViewer) -> list[dict[str, object]]:
    if v.username is None:
        raise Forbidden("login-required", "log in to see your tokens")
    return store.tokens(None if v.role == "admin" else v.username)


@router.delete(
    "/tokens/{token_id}",
    summary="Revoke an API token (your own; an admin: anyone's)",
    responses=answer(Revoked),
)
def revoke_token(request: Request, store: Store, v: CurrentViewer, token_id: str) -> dict[str, str]:
    if v.username is None:
        raise Forbidden("login-required", "log in to revoke tokens")
    try:
        store.revoke_token(token_id, username=None if v.role == "admin" else v.username, actor=v.username)
    except ConfigError as exc:
        raise NotFound("unknown-token", str(exc)) from exc
    return {"revoked": token_id}


@router.get("/audit", summary="The audit log (admins only)", responses=answer(list[AuditRecord]))
def audit(
    store: Store,
    v: CurrentViewer,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
    event: str | None = None,
    since: Annotated[str | None, Query(description="From this time on (ISO 8601, UTC).")] = None,
    user: str | None = None,
) -> list[dict[str, object]]:
    require_admin(v)
    return store.audit(limit, event, since=since, user=user)


@router.get(
    "/audit.csv",
    summary="The audit log as CSV (admins only), as plain text",
    response_class=PlainTextResponse,
)
def audit_csv(
    store: Store,
    v: CurrentViewer,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 100_000,
    event: str | None = None,
    since: Annotated[str | None, Query(description="From this time on (ISO 8601, UTC).")] = None,
    user: str | None = None,
) -> PlainTextResponse:
    require_admin(v)
    frame = text_frame(store.audit(limit, event, since=since, user=user))
    return PlainTextResponse(
        frame.write_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="revisionslog.csv"'},
    )

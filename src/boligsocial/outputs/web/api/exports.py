"""The API's file exports: a file made while the request waits for its turn, or a background job
to follow and download; published for the caller's role or a stricter audience."""

from __future__ import annotations

import asyncio
import re
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as Path_
from fastapi.responses import FileResponse, Response

from boligsocial.common.errors import InvalidParameter
from boligsocial.common.words import LANGUAGES, language
from boligsocial.outputs.export import FORMATS, MEDIA_TYPES, audience_for
from boligsocial.outputs.export.order import Order, make
from boligsocial.outputs.web.api.reading import ExportAudience, Layer, Svc, Year, own_area
from boligsocial.outputs.web.auth import CurrentViewer, access, client_ip, require_export
from boligsocial.outputs.web.auth import language as page_language
from boligsocial.outputs.web.jobs import ExportJobs, Job
from boligsocial.outputs.web.schemas import ExportJob, answer, one_of
from boligsocial.publish.service import Service, Viewer

router = APIRouter()

ExportFormat = Annotated[
    str, Path_(description="gpkg, geojson, xlsx, csv or pdf.", json_schema_extra=one_of(FORMATS))
]
ExportArea = Annotated[str | None, Query(description="PDF: the area profile of this area.")]
ExportCrs = Annotated[
    str, Query(description="GeoJSON: 25832 (default) or wgs84.", json_schema_extra=one_of(("25832", "wgs84")))
]


ExportLanguage = Annotated[
    str | None,
    Query(
        description="The file's language: da or en (default: the page's).",
        json_schema_extra=one_of(LANGUAGES),
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
    lang: str | None = None,
) -> Job:
    """Check an export request and queue it (`jobs`); the audit log records it when it is done."""
    require_export(v)
    if fmt not in MEDIA_TYPES:
        raise InvalidParameter(
            "unknown-format", f"format '{fmt}'?", {"allowed": list(MEDIA_TYPES)}, params={"format": fmt}
        )
    if crs not in ("25832", "wgs84"):
        raise InvalidParameter(
            "unknown-crs", f"crs '{crs}'?", {"allowed": ["25832", "wgs84"]}, params={"crs": crs}
        )
    if area is not None:
        own_area(svc, v, layer, area)
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
        # the file in the language asked for, else that of the page that asked (its cookie)
        lang=language(lang) if lang else page_language(request),
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
    lang: ExportLanguage = None,
) -> Response:
    job = _export_job(request, svc, v, fmt, layer, year, area, crs, audience, lang)
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
    lang: ExportLanguage = None,
) -> dict[str, object]:
    return _export_job(request, svc, v, fmt, layer, year, area, crs, audience, lang).public()


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
        raise InvalidParameter(
            "export-not-ready", f"the export is {job.state}", job.public(), params={"state": job.state}
        )
    return _file(job)

"""The API's endpoints about access rather than figures: personal API tokens (made while logged
in with a session, listed, revoked) and the audit log for admins (also as CSV)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from boligsocial.common.errors import ConfigError, NotFound
from boligsocial.outputs.web.api.reading import Store
from boligsocial.outputs.web.auth import CurrentViewer, Forbidden, require_admin
from boligsocial.outputs.web.schemas import AuditRecord, NewToken, Revoked, TokenInfo, answer
from boligsocial.publish.access import TOKEN_DAYS
from boligsocial.publish.access.auditlog import text_frame

router = APIRouter()


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
        raise NotFound("unknown-token", str(exc), params={"token": token_id}) from exc
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

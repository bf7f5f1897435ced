"""`POST /api/v1/okr-sets/{set}/key-results/{kr}/rescope`: record a KR's current contributors as its
scope on purpose, with the reason and the caller as author."""

from __future__ import annotations

from datetime import UTC, datetime

from okrsync.admin import schemas
from okrsync.admin.context import AdminContext
from okrsync.admin.errors import ApiError
from okrsync.admin.routing import Request, operation
from sync.scope import RescopeError, rescope

_ERRORS = {404: "not_found", 409: "conflict", 400: "invalid_body"}


@operation(
    "POST",
    "/okr-sets/<set_id>/key-results/<kr_id>/rescope",
    "Record a KR's current contributing epics as its scope, with a reason",
    "okr sets",
    schemas.RescopeOut,
    status=201,
    body=schemas.RescopeIn,
    write=True,
)
def post_rescope(admin: AdminContext, request: Request, set_id: str, kr_id: str) -> schemas.RescopeOut:
    body: schemas.RescopeIn = request.body
    try:
        scope = rescope(admin.runtime, set_id, kr_id, body.reason, request.caller.name, datetime.now(UTC))
    except RescopeError as exc:
        raise ApiError(exc.status, _ERRORS.get(exc.status, "invalid_body"), str(exc)) from None
    rescoped = scope.rescoped
    return schemas.RescopeOut(
        okr_set=set_id,
        kr=kr_id,
        recorded_at=scope.recorded_at,
        epics=dict(scope.epics),
        reason=rescoped.reason if rescoped else body.reason,
        author=rescoped.author if rescoped else request.caller.name,
    )

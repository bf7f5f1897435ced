"""`POST` and `GET /api/v1/okr-sets/{set}/key-results/{kr}/checkins`: people's check-ins on a KR."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mapping.errors import ConfigProblem
from okr.checkins import CheckIn, CheckInInvalid, check_in_words
from okrsync.admin import schemas
from okrsync.admin.context import AdminContext
from okrsync.admin.errors import ApiError, not_found
from okrsync.admin.routing import Request, operation
from okrsync.admin.views import find_kr
from sync.people_checkins import PeopleCheckins, new_checkin, record_checkin

PATH = "/okr-sets/<set_id>/key-results/<kr_id>/checkins"


@operation(
    "POST",
    PATH,
    "Check in on a KR: confidence (0 to 1 or low/medium/high), note, blockers, asks",
    "okr sets",
    schemas.CheckInOut,
    status=201,
    body=schemas.CheckInIn,
    raw_body=True,
    write=True,
)
def post_checkin(admin: AdminContext, request: Request, set_id: str, kr_id: str) -> schemas.CheckInOut:
    _require_kr(admin, set_id, kr_id)
    body = _object(request.body)
    author = body.get("author")
    if author is not None and (not isinstance(author, str) or not author.strip() or len(author) > 200):
        raise _invalid("author", "must be a display name of 1 to 200 characters")
    try:
        words = check_in_words(body.get("confidence"), body.get("note"), body.get("blockers"), body.get("asks"))
    except CheckInInvalid as exc:
        problems = [ConfigProblem(p.field, p.message) for p in exc.problems]
        raise ApiError(422, "invalid_body", str(exc), path=problems[0].path, problems=problems) from None
    name = author.strip() if isinstance(author, str) else request.caller.name
    checkin = new_checkin((set_id, kr_id), words, (request.caller.name, name), datetime.now(UTC), "api")
    record_checkin(admin.redis, admin.runtime.queue_name, checkin)
    return checkin_out(checkin)


@operation("GET", PATH, "A KR's check-ins, newest first", "okr sets", schemas.CheckInList)
def list_checkins(admin: AdminContext, request: Request, set_id: str, kr_id: str) -> schemas.CheckInList:
    _require_kr(admin, set_id, kr_id)
    history = PeopleCheckins(admin.redis).history((set_id, kr_id))
    return schemas.CheckInList(okr_set=set_id, kr=kr_id, checkins=[checkin_out(c) for c in history])


def checkin_out(checkin: CheckIn) -> schemas.CheckInOut:
    return schemas.CheckInOut.model_validate(checkin.to_dict())


def _require_kr(admin: AdminContext, set_id: str, kr_id: str) -> None:
    config = admin.store.current()
    if config is None:
        raise ApiError(404, "not_found", "no configuration applied yet: run `okrsync apply okrs.yaml`")
    okr_set = next((s for s in config.okr_sets if s.id == set_id), None)
    if okr_set is None:
        raise not_found("OKR set", set_id, (s.id for s in config.okr_sets))
    if find_kr(config, set_id, kr_id) is None:
        raise not_found(f"key result of {set_id}", kr_id, (k.id for o in okr_set.objectives for k in o.key_results))


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise _invalid("", f'the body must be a JSON object like {{"confidence": 0.6}} (got {type(body).__name__})')
    unknown = sorted(set(body) - set(schemas.CheckInIn.model_fields))
    if unknown:
        raise _invalid(unknown[0], "is not a field of a check-in (confidence, note, blockers, asks, author)")
    return body


def _invalid(path: str, message: str) -> ApiError:
    text = message if not path or message.startswith(f"{path}:") else f"{path}: {message}"
    return ApiError(422, "invalid_body", text, path=path)

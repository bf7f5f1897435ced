"""One registry of API operations: each becomes a Flask route and an OpenAPI operation, so the
published document cannot drift from what is served."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import redis
from flask import Blueprint, Response, current_app, jsonify, request
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from mapping.numbers import float_literal, integer_literal
from okrsync.admin import throttle
from okrsync.admin.auth import Caller, InvalidToken, authenticate, require_write
from okrsync.admin.errors import ApiError, invalid_body

if TYPE_CHECKING:
    from okrsync.admin.context import AdminContext

ADMIN_EXTENSION = "okrsync_admin"
PATH_PARAMETER = re.compile(r"<([a-z_]+)>")


@dataclass(frozen=True)
class HeaderParameter:
    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # Flask rule under the blueprint, e.g. /okr-sets/<set_id>
    summary: str
    tag: str
    view: Callable[..., Any]
    answer: Any  # a pydantic model (or None for the OpenAPI document itself)
    status: int = 200
    body: type[BaseModel] | None = None
    body_required: bool = True
    raw_body: bool = False  # the view validates the body itself (the body model only documents it)
    write: bool = False
    public: bool = False
    headers: tuple[HeaderParameter, ...] = ()
    other_statuses: tuple[int, ...] = ()
    name: str = field(default="")

    @property
    def path_parameters(self) -> list[str]:
        return PATH_PARAMETER.findall(self.rule)

    @property
    def openapi_path(self) -> str:
        return PATH_PARAMETER.sub(r"{\1}", self.rule)


@dataclass(frozen=True)
class Request:
    """What a view gets: the caller, the parsed body and the request headers it may read."""

    caller: Caller
    body: Any
    headers: dict[str, str]


OPERATIONS: list[Operation] = []


def operation(method: str, rule: str, summary: str, tag: str, answer: Any, **options: Any) -> Callable[..., Any]:
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(Operation(method, rule, summary, tag, view, answer, name=view.__name__, **options))
        return view

    return register


def add_operations(blueprint: Blueprint, operations: list[Operation]) -> None:
    for op in operations:
        blueprint.add_url_rule(op.rule, endpoint=op.name, view_func=_handler(op), methods=[op.method])


def _handler(op: Operation) -> Callable[..., Response | tuple[Response, int]]:
    def handle(**path: str) -> Response | tuple[Response, int]:
        try:
            return _answer(op, path)
        except ApiError as exc:
            return error_response(exc)
        except RequestEntityTooLarge:
            limit = current_app.extensions[ADMIN_EXTENSION].settings.admin_max_body_bytes
            return error_response(
                ApiError(413, "too_large", f"the request body is over {limit} bytes (OKRSYNC_ADMIN_MAX_BODY_BYTES)")
            )
        except redis.RedisError:
            return error_response(
                ApiError(
                    503,
                    "unavailable",
                    "Redis is unreachable; nothing was changed, retry shortly",
                    headers={"Retry-After": "10"},
                )
            )

    handle.__name__ = op.name
    return handle


def _answer(op: Operation, path: dict[str, str]) -> Response | tuple[Response, int]:
    admin = current_app.extensions[ADMIN_EXTENSION]
    caller = Caller("public") if op.public else _authenticated(admin)
    if op.write:
        require_write(caller)
    body = _body(op) if op.body is not None else None
    result = op.view(admin, Request(caller, body, dict(request.headers)), **path)
    payload, status = result if isinstance(result, tuple) else (result, op.status)
    return jsonify(to_json(payload)), status


def _authenticated(admin: AdminContext) -> Caller:
    """The caller, unless its address has failed too often (429, before any token is compared); a
    wrong token counts as a failure of the address."""
    source = request.remote_addr or "unknown"
    wait = throttle.retry_after(admin.redis, source)
    if wait is not None:
        raise ApiError(
            429,
            "too_many_failures",
            throttle.too_many_message(wait, "authentications"),
            headers={"Retry-After": str(wait)},
        )
    try:
        return authenticate(request.headers.get("Authorization"), admin.settings)
    except InvalidToken:
        throttle.record_failure(admin.redis, source, "wrong bearer token on the admin API")
        raise


def to_json(payload: Any) -> Any:
    if isinstance(payload, BaseModel):
        return payload.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return payload


def _body(op: Operation) -> Any:
    data = request.get_data(cache=False)
    if not data.strip():
        if op.body_required:
            raise ApiError(400, "malformed", "a JSON body is required (Content-Type: application/json)")
        data = b"{}"
    try:
        document = json.loads(
            data, parse_constant=_reject_constant, parse_int=integer_literal, parse_float=float_literal
        )
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed", f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise ApiError(400, "malformed", "the body is nested too deeply") from None
    if op.raw_body:
        return document
    try:
        return op.body.model_validate(document)  # type: ignore[union-attr]
    except ValidationError as exc:
        raise invalid_body(exc) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def error_response(exc: ApiError) -> tuple[Response, int]:
    response = jsonify(exc.body())
    for name, value in exc.headers.items():
        response.headers[name] = value
    return response, exc.status

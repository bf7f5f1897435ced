"""The OpenAPI 3.1 document of `/api/v1`, generated from the operation registry and the pydantic
models (their JSON Schema), so it describes exactly what is served."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from okrsync.admin.routing import Operation
from okrsync.admin.schemas import ErrorBody

REF_TEMPLATE = "#/components/schemas/{model}"
IDENTIFIER = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"}
ERROR_STATUSES = {
    400: "The body is not JSON",
    401: "No bearer token, or not a known one",
    403: "A read-only token on a change",
    404: "No such part of the configuration",
    409: "Conflicts with what is stored (exists already, idempotency key reused, wrong metric source)",
    413: "The body is over OKRSYNC_ADMIN_MAX_BODY_BYTES",
    422: "The body or the resulting configuration is invalid; path names the field",
    429: "Too many failed authentications from this address; retry after Retry-After seconds",
    503: "No admin token configured (OKRSYNC_ADMIN_TOKEN), or Redis unreachable",
}


def openapi_document(operations: list[Operation]) -> dict[str, Any]:
    refs, schemas = _schemas(operations)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault("/api/v1" + op.openapi_path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OKR Sync for Jira admin API",
            "version": "1",
            "description": "Configuration, pushed measurements and sync health. Authorization: Bearer "
            "<OKRSYNC_ADMIN_TOKEN> (everything) or <OKRSYNC_READ_TOKEN> (reads).",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _schemas(operations: list[Operation]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: set[tuple[type[BaseModel], JsonSchemaMode]] = {(ErrorBody, "serialization")}
    for op in operations:
        if op.body is not None:
            wanted.add((op.body, "validation"))
        if op.answer is not None:
            wanted.add((op.answer, "serialization"))
    refs, top = models_json_schema(sorted(wanted, key=lambda w: (w[0].__name__, w[1])), ref_template=REF_TEMPLATE)
    return refs, top.get("$defs", {})


def _operation(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": _parameters(op),
        "responses": _responses(op, refs),
    }
    if not op.public:
        entry["security"] = [{"bearer": []}]
    else:
        entry["security"] = []
    if op.body is not None:
        entry["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    return entry


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": IDENTIFIER} for name in op.path_parameters]
    parameters += [
        {"name": h.name, "in": "header", "required": False, "description": h.description, "schema": h.schema}
        for h in op.headers
    ]
    return parameters


def _responses(op: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    answer = {"type": "object"} if op.answer is None else refs[(op.answer, "serialization")]
    success = {"description": "OK", "content": {"application/json": {"schema": answer}}}
    responses: dict[str, Any] = {str(op.status): success}
    for status in op.other_statuses:
        responses[str(status)] = {
            "description": "A retry with a known idempotency key: nothing new stored",
            "content": {"application/json": {"schema": answer}},
        }
    error = {"content": {"application/json": {"schema": refs[(ErrorBody, "serialization")]}}}
    for status, description in ERROR_STATUSES.items():
        if op.public and status != 503:
            continue
        responses[str(status)] = {"description": description, **error}
    if not op.public:
        responses["401"]["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        responses["429"]["headers"] = {"Retry-After": {"schema": {"type": "string"}}}
    return responses

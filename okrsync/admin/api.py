"""`/api/v1`: the configuration (cycles, metrics, OKR sets with objectives, KRs and project mappings,
problem programs), pushed measurements, sync status and resync. Every change is validated as a whole
document, stored as a new revision with its author, and recomputed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from flask import Blueprint, current_app
from flask import request as http_request
from pydantic import BaseModel, ValidationError

from mapping.models import Cycle, KeyResult, Metric, Objective, OkrConfig, OkrSet, ProblemProgram
from okrsync.admin import schemas
from okrsync.admin.checkins import list_checkins, post_checkin  # noqa: F401  (registers the check-in operations)
from okrsync.admin.context import AdminContext
from okrsync.admin.document import child, edit_lock, index_of, items_of, save_document, stored_document
from okrsync.admin.errors import ApiError, invalid_body, not_found
from okrsync.admin.health import collect_health
from okrsync.admin.openapi import openapi_document
from okrsync.admin.push import check_push_metric, measurement_from, push_measurement
from okrsync.admin.rescope import post_rescope  # noqa: F401  (registers the rescope operation)
from okrsync.admin.routing import (
    ADMIN_EXTENSION,
    OPERATIONS,
    PATH_PARAMETER,
    HeaderParameter,
    Request,
    add_operations,
    operation,
)
from sync.config_store import Applied
from sync.scheduling import enqueue_resync

IDEMPOTENCY_HEADER = "Idempotency-Key"
MEASUREMENTS_LISTED = 100


# ---------------------------------------------------------------------------- the stored document


def _edit(admin: AdminContext, request: Request, change: Callable[[dict[str, Any]], None]) -> Applied:
    with edit_lock(admin.redis):
        document = stored_document(admin.redis)
        change(document)
        return save_document(admin.runtime, document, request.caller.name)


def _saved(applied: Applied, item: Any) -> schemas.Saved[Any]:
    changes = [schemas.MetricChange(metric=c.metric, old=c.old, new=c.new) for c in applied.metric_changes]
    return schemas.Saved[Any](revision=applied.revision, changed=applied.changed, metric_changes=changes, item=item)


def _as_document(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="python", by_alias=True, exclude_unset=True)


def _normalised(model: type[BaseModel], item: Any) -> BaseModel:
    """An item of the stored (already validated) document as its model."""
    return model.model_validate(item)


class _Identified(Protocol):
    id: str


def _id_of(item: BaseModel) -> str:
    """The id of a collection's item (every collection's model has one)."""
    return str(cast(_Identified, item).id)


# ---------------------------------------------------------------------------- lists of parts with ids


@dataclass(frozen=True)
class Collection:
    kind: str  # "cycle"
    section: str  # "cycles"
    model: type[BaseModel]
    parents: tuple[tuple[str, str], ...] = ()  # (section, kind) from the document root

    def parent(self, document: dict[str, Any], parent_ids: list[str]) -> dict[str, Any]:
        node = document
        for (section, kind), item_id in zip(self.parents, parent_ids, strict=False):
            node = child(node, section, item_id, kind)
        return node

    def items(self, document: dict[str, Any], parent_ids: list[str]) -> list[dict[str, Any]]:
        return items_of(self.parent(document, parent_ids), self.section)


def list_parts(admin: AdminContext, collection: Collection, parent_ids: list[str]) -> schemas.Items[Any]:
    items = collection.items(stored_document(admin.redis), parent_ids)
    return schemas.Items[Any](items=[_normalised(collection.model, item) for item in items])


def get_part(admin: AdminContext, collection: Collection, parent_ids: list[str], item_id: str) -> BaseModel:
    document = stored_document(admin.redis)
    return _normalised(
        collection.model, child(collection.parent(document, parent_ids), collection.section, item_id, collection.kind)
    )


def create_part(admin: AdminContext, request: Request, collection: Collection, parent_ids: list[str]) -> Any:
    item: BaseModel = request.body
    item_id = _id_of(item)

    def change(document: dict[str, Any]) -> None:
        items = collection.items(document, parent_ids)
        if index_of(items, item_id) is not None:
            raise ApiError(
                409, "exists", f"{collection.kind} {item_id!r} exists already; change it with PUT", path="id"
            )
        items.append(_as_document(item))

    return _saved(_edit(admin, request, change), item), 201


def replace_part(
    admin: AdminContext, request: Request, collection: Collection, parent_ids: list[str], item_id: str
) -> schemas.Saved[Any]:
    item: BaseModel = request.body
    if _id_of(item) != item_id:
        raise ApiError(
            422,
            "invalid_body",
            f"the body's id {_id_of(item)!r} differs from {item_id!r} in the "
            "URL; to rename, create the new one and delete the old",
            path="id",
        )

    def change(document: dict[str, Any]) -> None:
        parent = collection.parent(document, parent_ids)
        child(parent, collection.section, item_id, collection.kind)
        items = items_of(parent, collection.section)
        items[index_of(items, item_id) or 0] = _as_document(item)

    return _saved(_edit(admin, request, change), item)


def delete_part(
    admin: AdminContext, request: Request, collection: Collection, parent_ids: list[str], item_id: str
) -> schemas.Saved[Any]:
    def change(document: dict[str, Any]) -> None:
        parent = collection.parent(document, parent_ids)
        child(parent, collection.section, item_id, collection.kind)
        items = items_of(parent, collection.section)
        del items[index_of(items, item_id) or 0]

    return _saved(_edit(admin, request, change), None)


def register_collection(collection: Collection, base: str, id_name: str, tag: str) -> None:
    """GET list, POST, GET one, PUT, DELETE for one kind of part."""
    views = _collection_views(collection, PATH_PARAMETER.findall(base), id_name)
    for verb, view in views.items():
        view.__name__ = f"{verb}_{collection.section}"
    _register_operations(collection, base, f"{base}/<{id_name}>", tag, views)


def _collection_views(collection: Collection, parent_names: list[str], id_name: str) -> dict[str, Callable[..., Any]]:
    """The five views of one kind of part, by verb; the path gives the parents' ids and the part's."""

    def ids(path: dict[str, str]) -> list[str]:
        return [path[name] for name in parent_names]

    def list_view(admin: AdminContext, request: Request, **path: str) -> Any:
        return list_parts(admin, collection, ids(path))

    def create_view(admin: AdminContext, request: Request, **path: str) -> Any:
        return create_part(admin, request, collection, ids(path))

    def get_view(admin: AdminContext, request: Request, **path: str) -> Any:
        return get_part(admin, collection, ids(path), path[id_name])

    def replace_view(admin: AdminContext, request: Request, **path: str) -> Any:
        return replace_part(admin, request, collection, ids(path), path[id_name])

    def delete_view(admin: AdminContext, request: Request, **path: str) -> Any:
        return delete_part(admin, request, collection, ids(path), path[id_name])

    return {
        "list": list_view,
        "create": create_view,
        "get": get_view,
        "replace": replace_view,
        "delete": delete_view,
    }


def _register_operations(
    collection: Collection, base: str, one: str, tag: str, views: dict[str, Callable[..., Any]]
) -> None:
    model = collection.model
    kind = collection.kind
    operation("GET", base, f"List the {kind}s", tag, schemas.Items[model])(views["list"])  # type: ignore[valid-type]
    operation(
        "POST",
        base,
        f"Create a {kind}",
        tag,
        schemas.Saved[model],  # type: ignore[valid-type]
        status=201,
        body=model,
        write=True,
    )(views["create"])
    operation("GET", one, f"Get a {kind}", tag, model)(views["get"])
    operation("PUT", one, f"Replace a {kind}", tag, schemas.Saved[model], body=model, write=True)(views["replace"])  # type: ignore[valid-type]
    operation("DELETE", one, f"Delete a {kind}", tag, schemas.Saved[model], write=True)(views["delete"])  # type: ignore[valid-type]


SETS = ("okr_sets", "OKR set")
OBJECTIVES = ("objectives", "objective")
register_collection(Collection("cycle", "cycles", Cycle), "/cycles", "cycle_id", "cycles")
register_collection(Collection("OKR set", "okr_sets", OkrSet), "/okr-sets", "set_id", "okr sets")
register_collection(
    Collection("objective", "objectives", Objective, (SETS,)),
    "/okr-sets/<set_id>/objectives",
    "objective_id",
    "okr sets",
)
register_collection(
    Collection("key result", "key_results", KeyResult, (SETS, OBJECTIVES)),
    "/okr-sets/<set_id>/objectives/<objective_id>/key-results",
    "kr_id",
    "okr sets",
)
register_collection(
    Collection("problem program", "problem_programs", ProblemProgram),
    "/problem-programs",
    "program_id",
    "problem programs",
)


# ---------------------------------------------------------------------------- mappings


@operation("GET", "/okr-sets/<set_id>/projects", "The Jira projects mapped to an OKR set", "mappings", schemas.Projects)
def get_projects(admin: AdminContext, request: Request, set_id: str) -> schemas.Projects:
    okr_set = _okr_set(stored_document(admin.redis), set_id)
    return schemas.Projects(projects=list(okr_set.get("projects") or []))


@operation(
    "PUT",
    "/okr-sets/<set_id>/projects",
    "Map Jira projects to an OKR set",
    "mappings",
    schemas.Saved[schemas.Projects],
    body=schemas.Projects,
    write=True,
)
def put_projects(admin: AdminContext, request: Request, set_id: str) -> schemas.Saved[Any]:
    projects = [p.upper() for p in request.body.projects]

    def change(document: dict[str, Any]) -> None:
        _okr_set(document, set_id)["projects"] = projects

    return _saved(_edit(admin, request, change), schemas.Projects(projects=projects))


@operation(
    "PUT",
    "/okr-sets/<set_id>/objectives/<objective_id>/key-results/<kr_id>/contributors",
    "Set the epics contributing to a KR (JQL or issue keys)",
    "mappings",
    schemas.Saved[schemas.ContributorsBody],
    body=schemas.ContributorsBody,
    write=True,
)
def put_contributors(
    admin: AdminContext, request: Request, set_id: str, objective_id: str, kr_id: str
) -> schemas.Saved[Any]:
    contributors = _as_document(request.body)

    def change(document: dict[str, Any]) -> None:
        _key_result(document, set_id, objective_id, kr_id)["contributors"] = contributors

    return _saved(_edit(admin, request, change), request.body)


@operation(
    "DELETE",
    "/okr-sets/<set_id>/objectives/<objective_id>/key-results/<kr_id>/contributors",
    "Remove a KR's contributing epics",
    "mappings",
    schemas.Saved[schemas.ContributorsBody],
    write=True,
)
def delete_contributors(
    admin: AdminContext, request: Request, set_id: str, objective_id: str, kr_id: str
) -> schemas.Saved[Any]:
    def change(document: dict[str, Any]) -> None:
        _key_result(document, set_id, objective_id, kr_id).pop("contributors", None)

    return _saved(_edit(admin, request, change), None)


def _okr_set(document: dict[str, Any], set_id: str) -> dict[str, Any]:
    return child(document, "okr_sets", set_id, "OKR set")


def _key_result(document: dict[str, Any], set_id: str, objective_id: str, kr_id: str) -> dict[str, Any]:
    objective = child(_okr_set(document, set_id), "objectives", objective_id, "objective")
    return child(objective, "key_results", kr_id, "key result")


# ---------------------------------------------------------------------------- metrics


def _metrics_of(document: dict[str, Any]) -> dict[str, Any]:
    metrics = document.get("metrics")
    if metrics is None:
        metrics = document["metrics"] = {}
    if not isinstance(metrics, dict):
        raise ApiError(
            409,
            "invalid_document",
            "'metrics' in the stored configuration is not a mapping; fix it with `okrsync apply okrs.yaml`",
        )
    return metrics


def _metric_entry(admin: AdminContext, metric_id: str, definition: Any) -> schemas.MetricEntry:
    versions = [
        schemas.MetricVersion(**{k: str(v) for k, v in entry.items() if k in ("version", "at", "author")})
        for entry in admin.store.metric_history(metric_id)
    ]
    return schemas.MetricEntry(id=metric_id, definition=Metric.model_validate(definition), versions=versions)


@operation(
    "GET",
    "/metrics",
    "List the metric dictionary with definition versions",
    "metrics",
    schemas.Items[schemas.MetricEntry],
)
def list_metrics(admin: AdminContext, request: Request) -> schemas.Items[Any]:
    metrics = _metrics_of(stored_document(admin.redis))
    return schemas.Items[Any](items=[_metric_entry(admin, m, d) for m, d in metrics.items()])


@operation(
    "POST",
    "/metrics",
    "Add a metric definition",
    "metrics",
    schemas.Saved[schemas.MetricEntry],
    status=201,
    body=schemas.NewMetric,
    write=True,
)
def create_metric(admin: AdminContext, request: Request) -> Any:
    definition = _as_document(request.body)
    metric_id = definition.pop("id")

    def change(document: dict[str, Any]) -> None:
        metrics = _metrics_of(document)
        if metric_id in metrics:
            raise ApiError(409, "exists", f"metric {metric_id!r} exists already; change it with PUT", path="id")
        metrics[metric_id] = definition

    applied = _edit(admin, request, change)
    return _saved(applied, _metric_entry(admin, metric_id, definition)), 201


@operation("GET", "/metrics/<metric_id>", "Get a metric definition and its versions", "metrics", schemas.MetricEntry)
def get_metric(admin: AdminContext, request: Request, metric_id: str) -> schemas.MetricEntry:
    metrics = _metrics_of(stored_document(admin.redis))
    if metric_id not in metrics:
        raise not_found("metric", metric_id, metrics)
    return _metric_entry(admin, metric_id, metrics[metric_id])


@operation(
    "PUT",
    "/metrics/<metric_id>",
    "Replace a metric definition (a changed definition gets a new version)",
    "metrics",
    schemas.Saved[schemas.MetricEntry],
    body=Metric,
    write=True,
)
def replace_metric(admin: AdminContext, request: Request, metric_id: str) -> schemas.Saved[Any]:
    definition = _as_document(request.body)

    def change(document: dict[str, Any]) -> None:
        metrics = _metrics_of(document)
        if metric_id not in metrics:
            raise not_found("metric", metric_id, metrics)
        metrics[metric_id] = definition

    applied = _edit(admin, request, change)
    return _saved(applied, _metric_entry(admin, metric_id, definition))


@operation(
    "DELETE",
    "/metrics/<metric_id>",
    "Delete a metric definition no KR uses",
    "metrics",
    schemas.Saved[schemas.MetricEntry],
    write=True,
)
def delete_metric(admin: AdminContext, request: Request, metric_id: str) -> schemas.Saved[Any]:
    def change(document: dict[str, Any]) -> None:
        metrics = _metrics_of(document)
        if metric_id not in metrics:
            raise not_found("metric", metric_id, metrics)
        del metrics[metric_id]

    return _saved(_edit(admin, request, change), None)


IDEMPOTENCY = HeaderParameter(
    IDEMPOTENCY_HEADER,
    "a client key: a retry with the same key stores nothing new",
    {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"^[\x21-\x7e]+$"},
)


@operation(
    "POST",
    "/metrics/<metric_id>/measurements",
    "Push a measured value of a push metric",
    "metrics",
    schemas.MeasurementOut,
    status=201,
    body=schemas.MeasurementIn,
    write=True,
    headers=(IDEMPOTENCY,),
    other_statuses=(200,),
)
def post_measurement(admin: AdminContext, request: Request, metric_id: str) -> Any:
    config = admin.store.current()
    check_push_metric(config, metric_id)
    body: schemas.MeasurementIn = request.body
    key = _idempotency_key(request, body)
    measurement = measurement_from(metric_id, body, datetime.now(UTC), admin.settings.measurement_skew_seconds)
    pushed = push_measurement(admin.runtime, config, measurement, body, key)  # type: ignore[arg-type]
    answer = schemas.MeasurementOut(
        **pushed.measurement.model_dump(), idempotency_key=key, replayed=pushed.replayed, marked=pushed.marked
    )
    return answer, 200 if pushed.replayed else 201


def _idempotency_key(request: Request, body: schemas.MeasurementIn) -> str | None:
    header = request.headers.get(IDEMPOTENCY_HEADER)
    if header is not None and body.idempotency_key is not None and header != body.idempotency_key:
        raise ApiError(
            422,
            "invalid_body",
            f"the {IDEMPOTENCY_HEADER} header and the body's idempotency_key differ; send one of them",
            path="idempotency_key",
        )
    if header is not None:
        try:
            schemas.MeasurementIn(value=0, idempotency_key=header)
        except ValidationError as exc:
            raise invalid_body(exc, prefix=f"header {IDEMPOTENCY_HEADER}") from None
    return header if header is not None else body.idempotency_key


@operation(
    "GET",
    "/metrics/<metric_id>/measurements",
    "The newest pushed values of a metric",
    "metrics",
    schemas.Items[schemas.StoredMeasurement],
)
def list_measurements(admin: AdminContext, request: Request, metric_id: str) -> schemas.Items[Any]:
    config = admin.store.current()
    check_push_metric(config, metric_id)
    stored = admin.runtime.measurements.for_metrics([metric_id])[-MEASUREMENTS_LISTED:]
    return schemas.Items[Any](items=[schemas.StoredMeasurement(**m.model_dump()) for m in stored])


# ---------------------------------------------------------------------------- the whole document


@operation("GET", "/config", "The configuration in force, as JSON", "configuration", schemas.ConfigDocument)
def get_config(admin: AdminContext, request: Request) -> schemas.ConfigDocument:
    info = admin.store.info()
    document = stored_document(admin.redis) if info else None
    return schemas.ConfigDocument(
        revision=admin.store.revision(),
        source=info.get("source"),
        author=info.get("author"),
        applied_at=info.get("applied_at"),
        document=_json_ready(document),
    )


@operation(
    "PUT",
    "/config",
    "Replace the whole configuration (same document as okrs.yaml)",
    "configuration",
    schemas.Saved[OkrConfig],
    body=OkrConfig,
    raw_body=True,
    write=True,
)
def put_config(admin: AdminContext, request: Request) -> schemas.Saved[Any]:
    if not isinstance(request.body, dict):
        raise ApiError(422, "invalid_config", "expected a JSON object with version, cycles, metrics, okr_sets", path="")

    def change(document: dict[str, Any]) -> None:
        document.clear()
        document.update(request.body)

    applied = _edit(admin, request, change)
    return _saved(applied, admin.store.current())


def _json_ready(document: dict[str, Any] | None) -> dict[str, Any] | None:
    if document is None:
        return None
    return OkrConfig.model_validate(document).model_dump(mode="json", by_alias=True, exclude_unset=True)


# ---------------------------------------------------------------------------- operations


@operation("GET", "/status", "Sync health per mapping and per page", "operations", schemas.Status)
def get_status(admin: AdminContext, request: Request) -> schemas.Status:
    return schemas.Status.model_validate(collect_health(admin.redis, admin.store))


@operation(
    "POST",
    "/resync",
    "Walk the mapped projects in Jira into the mirror (on a worker)",
    "operations",
    schemas.ResyncOut,
    status=202,
    body=schemas.ResyncIn,
    body_required=False,
    write=True,
)
def post_resync(admin: AdminContext, request: Request) -> schemas.ResyncOut:
    full = request.body.full
    job = enqueue_resync(admin.redis, admin.settings.queue_name, full=full)
    return schemas.ResyncOut(job_id=job.id, full=full, queue=admin.settings.queue_name, status="queued")


@operation("GET", "/openapi.json", "This document", "meta", None, public=True)
def get_openapi(admin: AdminContext, request: Request) -> dict[str, Any]:
    return openapi_document(OPERATIONS)


def api_blueprint() -> Blueprint:
    blueprint = Blueprint("admin_api", __name__, url_prefix="/api/v1")
    add_operations(blueprint, OPERATIONS)

    @blueprint.before_request
    def limit_body() -> None:
        http_request.max_content_length = current_app.extensions[ADMIN_EXTENSION].settings.admin_max_body_bytes

    return blueprint

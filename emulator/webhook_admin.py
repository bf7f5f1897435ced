"""Jira's webhook admin API, ``/rest/webhooks/1.0/webhook``: register, list, read, update, delete.

A registration names a ``url``, the ``events`` it wants, an optional JQL filter in
``filters["issue-related-events-section"]`` (``jqlFilter`` is accepted too) and a ``secret`` that
signs the deliveries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulator.context import current_emulator, searchable_custom_fields
from emulator.search import CustomClause, JqlContext, JqlError, compile_jql
from emulator.state import Webhook
from emulator.timefmt import utc_now

blueprint = Blueprint("webhook_admin", __name__)

ROOT = "/rest/webhooks/1.0/webhook"
KNOWN_EVENTS = {
    "jira:issue_created",
    "jira:issue_updated",
    "jira:issue_deleted",
    "comment_created",
    "comment_updated",
    "comment_deleted",
    "issuelink_created",
    "issuelink_deleted",
}


class RegistrationError(ValueError):
    """A webhook registration Jira would refuse."""


def registration(
    body: Any, existing: Webhook | None, webhook_id: str, custom_fields: Mapping[str, CustomClause] | None = None
) -> Webhook:
    """Validate a create/update body into a Webhook; raises RegistrationError saying what is wrong.
    ``custom_fields``: the custom fields the JQL filter may name."""
    if not isinstance(body, dict):
        raise RegistrationError("The request body must be a JSON object with name, url and events.")
    url = body.get("url", existing.url if existing else "")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RegistrationError(f"'url' must be an http(s) URL, got {url!r}.")
    events = body.get("events", existing.events if existing else [])
    unknown = sorted(set(events) - KNOWN_EVENTS) if isinstance(events, list) else ["(not a list)"]
    if unknown:
        raise RegistrationError(f"Unknown events {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_EVENTS))}.")
    filters = body.get("filters") or {}
    jql = str(
        filters.get("issue-related-events-section") or body.get("jqlFilter") or (existing.jql if existing else "")
    )
    if jql.strip():
        try:
            compile_jql(jql, JqlContext(now=utc_now(), custom_fields=custom_fields or {}))
        except JqlError as exc:
            raise RegistrationError(f"Invalid JQL filter: {exc}") from None
    return Webhook(
        id=webhook_id,
        name=str(body.get("name", existing.name if existing else "webhook")),
        url=url,
        events=list(events),
        jql=jql,
        secret=str(body.get("secret", existing.secret if existing else "") or ""),
        enabled=bool(body.get("enabled", existing.enabled if existing else True)),
        exclude_body=bool(body.get("excludeBody", False)),
        last_updated=str(int(utc_now().timestamp() * 1000)),
    )


def webhook_json(hook: Webhook, base: str) -> dict[str, Any]:
    """The registration as Jira lists it; the secret is never echoed back."""
    return {
        "self": f"{base}{ROOT}/{hook.id}",
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "filters": {"issue-related-events-section": hook.jql},
        "excludeBody": hook.exclude_body,
        "enabled": hook.enabled,
        "lastUpdated": int(hook.last_updated or 0),
    }


def _error(status: int, message: str) -> Response:
    response = jsonify(errorMessages=[message], errors={})
    response.status_code = status
    return response


@blueprint.get(ROOT)
def list_webhooks() -> Response:
    emulator = current_emulator()
    return jsonify([webhook_json(h, emulator.base_url()) for h in emulator.site.webhooks.values()])


@blueprint.post(ROOT)
def create_webhook() -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        try:
            hook = registration(
                request.get_json(silent=True),
                None,
                emulator.site.next_id("webhook", 1),
                searchable_custom_fields(emulator.site),
            )
        except RegistrationError as exc:
            return _error(400, str(exc))
        emulator.site.webhooks[hook.id] = hook
    response = jsonify(webhook_json(hook, emulator.base_url()))
    response.status_code = 201
    return response


@blueprint.get(f"{ROOT}/<webhook_id>")
def get_webhook(webhook_id: str) -> Response:
    emulator = current_emulator()
    hook = emulator.site.webhooks.get(webhook_id)
    if hook is None:
        return _error(404, f"No webhook with id {webhook_id}.")
    return jsonify(webhook_json(hook, emulator.base_url()))


@blueprint.put(f"{ROOT}/<webhook_id>")
def update_webhook(webhook_id: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        existing = emulator.site.webhooks.get(webhook_id)
        if existing is None:
            return _error(404, f"No webhook with id {webhook_id}.")
        try:
            hook = registration(
                request.get_json(silent=True), existing, webhook_id, searchable_custom_fields(emulator.site)
            )
        except RegistrationError as exc:
            return _error(400, str(exc))
        emulator.site.webhooks[webhook_id] = hook
    return jsonify(webhook_json(hook, emulator.base_url()))


@blueprint.delete(f"{ROOT}/<webhook_id>")
def delete_webhook(webhook_id: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        if emulator.site.webhooks.pop(webhook_id, None) is None:
            return _error(404, f"No webhook with id {webhook_id}.")
    return Response(status=204)

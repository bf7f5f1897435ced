"""The Flask side of the webhook: adapt the request to WebhookIngest and its answer to a response."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from webhooks.ingest import Answer, WebhookIngest

bp = Blueprint("webhooks", __name__)

INGEST_EXTENSION = "okrsync.webhook_ingest"


def _ingest() -> WebhookIngest:
    return current_app.extensions[INGEST_EXTENSION]


@bp.post("/webhooks/jira")
def receive_jira_webhook() -> tuple[Response, int]:
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        message = f"body larger than the {limit}-byte limit (OKRSYNC_MAX_BODY_BYTES)"
        return _respond(_ingest().reject(413, "too_large", message, "-"))
    return _respond(_ingest().handle(request.headers, body))


def _respond(answer: Answer) -> tuple[Response, int]:
    response = jsonify(answer.body)
    response.headers.update(answer.headers)
    return response, answer.status

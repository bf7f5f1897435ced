"""The Flask side of the webhook: the route on the app's URL map (other methods get Flask's 405) and
a view that answers as ``webhooks.front`` does. The app factory puts that front before Flask, so a
POST is answered there; the view answers when the app is served without it."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from webhooks.front import answer_delivery
from webhooks.ingest import WebhookIngest

bp = Blueprint("webhooks", __name__)

INGEST_EXTENSION = "okrsync.webhook_ingest"


def _ingest() -> WebhookIngest:
    return current_app.extensions[INGEST_EXTENSION]


@bp.post("/webhooks/jira")
def receive_jira_webhook() -> tuple[Response, int]:
    answer = answer_delivery(request.environ, _ingest(), current_app.config["MAX_CONTENT_LENGTH"])
    response = jsonify(answer.body)
    response.headers.update(answer.headers)
    return response, answer.status

"""The Flask side of the webhook: adapt the request to WebhookIngest and its answer to a response."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, request

from webhooks.body import BodyTooLarge, discard, read_body
from webhooks.ingest import Answer, WebhookIngest

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

INGEST_EXTENSION = "okrsync.webhook_ingest"
CLOSE = {"Connection": "close"}


def _ingest() -> WebhookIngest:
    return current_app.extensions[INGEST_EXTENSION]


@bp.post("/webhooks/jira")
def receive_jira_webhook() -> tuple[Response, int]:
    try:
        body = read_body(request.environ, current_app.config["MAX_CONTENT_LENGTH"])
    except BodyTooLarge as exc:
        return _respond(_too_large(exc))
    except OSError as exc:  # the client went away or stalled mid-body: nothing to verify
        log.info("webhook body not received whole, answering 408: %s", exc)
        return _respond(
            Answer(
                408, {"error": "incomplete", "message": f"the body did not arrive whole ({exc}); send it again"}, CLOSE
            )
        )
    return _respond(_ingest().handle(request.headers, body))


def _too_large(exc: BodyTooLarge) -> Answer:
    """413, after reading the rest of the body when it is not too far over the limit (a client that
    writes before it reads then gets the answer, not a broken pipe); the connection is closed."""
    drained = discard(request.environ, exc)
    message = str(exc) if drained else f"{exc}; the rest of the body was not read"
    return _ingest().reject(413, "too_large", message, "-", CLOSE)


def _respond(answer: Answer) -> tuple[Response, int]:
    response = jsonify(answer.body)
    response.headers.update(answer.headers)
    return response, answer.status

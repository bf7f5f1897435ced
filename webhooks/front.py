"""POST /webhooks/jira answered at the WSGI level, ahead of the Flask app.

A delivery needs none of Flask's request machinery (request and app contexts, URL matching, signals,
sessions, the JSON provider, after-request hooks): per delivery that machinery costs the web process
more CPU than verifying, reading and storing the delivery together. ``WebhookFront`` wraps the app's
``wsgi_app``: it reads the body within its limit, hands it to ``WebhookIngest`` and writes the answer
as JSON with the headers every answer of the service carries; any other request goes on to the app,
where the route stays (other methods get Flask's 405) and answers the same way when the front is not
in place (``webhooks.blueprint``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import HTTP_STATUS_CODES

from webhooks.body import BodyTooLarge, discard, read_body
from webhooks.ingest import Answer, WebhookIngest

log = logging.getLogger(__name__)

PATH = "/webhooks/jira"
CLOSE = {"Connection": "close"}
INTERNAL = Answer(500, {"error": "internal", "message": "unexpected error; see the service log"})

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def answer_delivery(environ: dict[str, Any], ingest: WebhookIngest, max_body_bytes: int) -> Answer:
    """The answer to one POST of a delivery: its body read (413 over the limit, 408 when it stops
    short), then verified, routed and stored by ``ingest``."""
    try:
        body = read_body(environ, max_body_bytes)
    except BodyTooLarge as exc:
        drained = discard(environ, exc)  # a client that writes before it reads then gets the answer
        message = str(exc) if drained else f"{exc}; the rest of the body was not read"
        return ingest.reject(413, "too_large", message, "-", CLOSE)
    except OSError as exc:  # the client went away or stalled mid-body: nothing to verify
        log.info("webhook body not received whole, answering 408: %s", exc)
        message = f"the body did not arrive whole ({exc}); send it again"
        return Answer(408, {"error": "incomplete", "message": message}, CLOSE)
    return ingest.handle(EnvironHeaders(environ), body)


def answer_json(body: Mapping[str, Any]) -> bytes:
    """As Flask writes an answer (sorted keys, compact, a final newline); the standard library's
    writer, with its escapes, for text orjson refuses (a lone surrogate read from an escape)."""
    try:
        return orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    except orjson.JSONEncodeError:
        return (json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n").encode()


def status_line(status: int) -> str:
    return f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}"


@dataclass(frozen=True)
class WebhookFront:
    """The app's WSGI callable with POST /webhooks/jira taken before it; ``headers`` go on every answer."""

    app: WSGIApp
    ingest: WebhookIngest
    max_body_bytes: int
    headers: tuple[tuple[str, str], ...] = ()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            answer = answer_delivery(environ, self.ingest, self.max_body_bytes)
        except Exception:  # the one catch-all of this path, as the app has its own
            log.exception("unexpected error answering a webhook delivery")
            answer = INTERNAL
        payload = answer_json(answer.body)
        start_response(
            status_line(answer.status),
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(payload))),
                *self.headers,
                *answer.headers.items(),
            ],
        )
        return [payload]

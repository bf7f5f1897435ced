"""The app factory: settings and connections are made here, at the edge, never at import time."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, Request, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from okrsync.admin import register_admin
from okrsync.admin.headers import SECURITY_HEADERS
from okrsync.counters import METRICS_UNAUTHORIZED, REJECT_PREFIX, EventCollector, LocalCounts, count, metrics_allowed
from okrsync.logs import configure_logging
from okrsync.redis_store import connect_redis
from okrsync.settings import Settings, load_settings
from sync.config_store import ConfigStore
from sync.handlers import router
from sync.queue import EventStream
from sync.scheduling import enqueue_drain
from webhooks.blueprint import INGEST_EXTENSION
from webhooks.blueprint import bp as webhooks_blueprint
from webhooks.front import WebhookFront
from webhooks.ingest import Count, Push, QueueUnavailable, Stored, WebhookIngest

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, connection: redis.Redis | None = None) -> Flask:
    settings = settings or load_settings()
    configure_logging(settings.log_level)
    secrets = settings.require_webhook_secrets()
    connection = connection if connection is not None else connect_redis(settings)

    app = Flask(__name__)
    app.json = StrictJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["OKRSYNC_SETTINGS"] = settings
    local = LocalCounts()
    ingest = webhook_ingest(settings, connection, secrets, local)
    app.extensions[INGEST_EXTENSION] = ingest
    app.register_blueprint(webhooks_blueprint)
    # deliveries are answered before Flask's request machinery, which would cost more than the rest of the edge
    front = WebhookFront(app.wsgi_app, ingest, settings.max_body_bytes, tuple(SECURITY_HEADERS.items()))
    app.wsgi_app = front  # type: ignore[method-assign]
    register_admin(app, settings, connection)
    app.session_interface = CookiePathSessions()
    _register_health(app, settings, connection, local)
    _register_error_handlers(app)
    app.after_request(_security_headers)
    if settings.proxy_hops:  # the client's address (failed sign-ins are counted per address) from the proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)  # type: ignore[method-assign]
    return app


def webhook_ingest(
    settings: Settings, connection: redis.Redis, secrets: tuple[bytes, ...], local: LocalCounts
) -> WebhookIngest:
    """The webhook edge, given the queue, the counters and the drain job as plain callables."""
    return WebhookIngest(
        secrets=secrets,
        router=router,
        push=_push_to(EventStream(connection, settings.dedupe_seconds)),
        count=_count_in(connection),
        enqueue_drain=_enqueue_drain_on(connection, settings.queue_name),
        on_unavailable=local.add_unavailable,
        reject_prefix=REJECT_PREFIX,
    )


def _push_to(stream: EventStream) -> Push:
    def push(delivery: str, body: bytes, also_seen_as: str | None) -> Stored:
        try:
            return stream.push(delivery, body, also_seen_as=also_seen_as)
        except redis.RedisError as exc:
            raise QueueUnavailable(str(exc)) from exc

    return push


def _count_in(connection: redis.Redis) -> Count:
    def count_one(name: str, kind: str | None = None, known: bool = False) -> None:
        count(connection, name, kind, known=known)

    return count_one


def _enqueue_drain_on(connection: redis.Redis, queue_name: str) -> Callable[[], None]:
    def enqueue() -> None:
        try:
            enqueue_drain(connection, queue_name)
        except redis.RedisError as exc:
            raise QueueUnavailable(str(exc)) from exc

    return enqueue


def _security_headers(response: Response) -> Response:
    """On every answer; an admin page has set its own Content-Security-Policy already."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class StrictJSONProvider(DefaultJSONProvider):
    """Every answer is strict JSON: a NaN or an infinity that reaches one is written as null (and
    logged), never as the NaN / Infinity that Python's json writes by default and other parsers refuse."""

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs["allow_nan"] = False
        try:
            return super().dumps(obj, **kwargs)
        except ValueError as exc:
            if "Out of range float values" not in str(exc):
                raise
        log.warning("an answer held a NaN or an infinity; it is sent as null")
        return super().dumps(_finite_or_null(json.loads(super().dumps(obj, **{**kwargs, "allow_nan": True}))), **kwargs)


def _finite_or_null(value: Any) -> Any:
    """Plain JSON data with every non-finite float replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite_or_null(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(item) for item in value]
    return value


class CookiePathSessions(SecureCookieSessionInterface):
    """Opens the session only where its cookie is sent (the admin pages' path): webhooks, health,
    metrics and the bearer-token API never read, verify or sign a cookie."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.path.startswith(self.get_cookie_path(app)):
            return None  # Flask then uses a null session, which is never saved
        return super().open_session(app, request)


def _register_health(app: Flask, settings: Settings, connection: redis.Redis, local: LocalCounts) -> None:
    registry = CollectorRegistry()
    registry.register(EventCollector(connection, local))

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> tuple[Response, int]:
        checks = {"redis": _redis_check(connection), "config": _config_check(settings, connection)}
        ready = all(isinstance(value, dict) or value in ("ok", "not configured") for value in checks.values())
        return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503

    @app.get("/metrics")
    def metrics() -> Response | tuple[Response, int, dict[str, str]]:
        if not metrics_allowed(settings.metrics_token, request.headers.get("Authorization")):
            return (
                jsonify({"error": "unauthorized", "message": METRICS_UNAUTHORIZED}),
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _redis_check(connection: redis.Redis) -> str:
    try:
        connection.ping()
    except redis.RedisError as exc:
        return f"unreachable: {exc}"
    return "ok"


def _config_check(settings: Settings, connection: redis.Redis) -> str | dict[str, Any]:
    """The configuration revision in force (applied to the config store), else the configured file's state."""
    in_force = _revision_in_force(connection)
    if in_force is not None:
        return in_force
    if settings.config is None:
        return "not configured"
    if not settings.config.is_file():
        return f"missing: {settings.config} (OKRSYNC_CONFIG)"
    return "ok"


def _revision_in_force(connection: redis.Redis) -> dict[str, Any] | None:
    try:
        info = ConfigStore(connection).info()
    except redis.RedisError:
        return None  # the redis check says so
    if not info.get("revision"):
        return None
    return {"revision": int(info["revision"]), "source": info.get("source"), "applied_at": info.get("applied_at")}


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response, int]:
        return jsonify({"error": exc.name.lower().replace(" ", "_"), "message": exc.description}), exc.code or 500

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> tuple[Response, int]:  # the one catch-all, at the edge
        log.exception("unexpected error answering a request")
        return jsonify({"error": "internal", "message": "unexpected error; see the service log"}), 500

"""Sessions that sign-out revokes, failed authentications logged and slowed per source address, and
the security headers of every answer."""

from __future__ import annotations

import base64
import hashlib
import logging
import re

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from okrsync.admin.sessions import SESSION_PREFIX, SESSION_SECONDS
from okrsync.admin.throttle import FAILURE_WINDOW_SECONDS, FAILURES_ALLOWED, FAILURES_PREFIX
from okrsync.app import create_app
from okrsync.settings import Settings
from tests.conftest import post_event
from tests.okrsync.admin.conftest import ADMIN, ADMIN_TOKEN
from tests.okrsync.admin.test_pages import csrf_of, sign_in

COOKIE = "okrsync_admin"
WRONG = {"Authorization": "Bearer wrong-token-guessed-42"}
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.7"}


def copy_of_cookie(source: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of the session cookie."""
    cookie = source.get_cookie(COOKIE, path="/admin")
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(COOKIE, cookie.value, path="/admin")
    return other


def sign_out(client: FlaskClient) -> None:
    answer = client.post("/admin/signout", data={"csrf_token": csrf_of(client.get("/admin/").data)})
    assert answer.status_code == 302


# ---------------------------------------------------------------------------- sessions


def test_sign_out_revokes_a_copied_session_cookie(api: FlaskClient, admin_app: Flask) -> None:
    sign_in(api)
    copied = copy_of_cookie(api, admin_app)
    assert copied.get("/admin/").status_code == 200
    sign_out(api)
    answer = copied.get("/admin/")
    assert answer.status_code == 302 and "/admin/signin" in answer.headers["Location"]
    assert copied.get("/admin/health").status_code == 302


def test_a_session_lives_in_redis_with_the_cookie_lifetime(api: FlaskClient, connection: redis.Redis) -> None:
    sign_in(api)
    keys = list(connection.scan_iter(SESSION_PREFIX + "*"))
    assert len(keys) == 1
    assert SESSION_SECONDS - 60 < connection.ttl(keys[0]) <= SESSION_SECONDS == 12 * 3600
    cookie = api.get_cookie(COOKIE, path="/admin")
    assert cookie is not None and keys[0].decode().removeprefix(SESSION_PREFIX) not in cookie.value


def test_a_session_that_redis_no_longer_holds_is_signed_out(api: FlaskClient, connection: redis.Redis) -> None:
    sign_in(api)
    for key in connection.scan_iter(SESSION_PREFIX + "*"):
        connection.delete(key)  # expired, or revoked from another process
    assert api.get("/admin/").status_code == 302


def test_signing_out_one_browser_keeps_the_others_signed_in(api: FlaskClient, admin_app: Flask) -> None:
    other = admin_app.test_client()
    sign_in(api)
    sign_in(other)
    sign_out(api)
    assert other.get("/admin/").status_code == 200


# ---------------------------------------------------------------------------- failed authentications


def test_wrong_bearer_tokens_are_logged_and_slowed_per_source(
    api: FlaskClient, configured: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        answers = [api.get("/api/v1/cycles", headers=WRONG).status_code for _ in range(FAILURES_ALLOWED + 5)]
    assert answers == [401] * FAILURES_ALLOWED + [429] * 5
    refused = api.get("/api/v1/cycles", headers=WRONG)
    assert refused.status_code == 429 and refused.get_json()["error"] == "too_many_failures"
    assert 1 <= int(refused.headers["Retry-After"]) <= FAILURE_WINDOW_SECONDS
    assert str(FAILURE_WINDOW_SECONDS) in refused.get_json()["message"]
    assert api.get("/api/v1/cycles", headers=ADMIN).status_code == 429  # the source waits, whatever it sends
    assert api.get("/api/v1/cycles", headers=ADMIN, environ_base=ELSEWHERE).status_code == 200
    assert "127.0.0.1" in caplog.text and "wrong-token-guessed-42" not in caplog.text
    assert ADMIN_TOKEN not in caplog.text


def test_three_hundred_wrong_tokens_cost_ten_comparisons(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    statuses = [
        api.get("/api/v1/status", headers={"Authorization": f"Bearer guess-{n}"}).status_code for n in range(300)
    ]
    assert statuses.count(401) == FAILURES_ALLOWED and statuses.count(429) == 300 - FAILURES_ALLOWED
    assert int(connection.get(FAILURES_PREFIX + "127.0.0.1") or 0) == FAILURES_ALLOWED


def test_the_source_may_try_again_after_the_window(api: FlaskClient, configured: str, connection: redis.Redis) -> None:
    for _ in range(FAILURES_ALLOWED + 1):
        api.get("/api/v1/cycles", headers=WRONG)
    assert api.get("/api/v1/cycles", headers=ADMIN).status_code == 429
    connection.delete(FAILURES_PREFIX + "127.0.0.1")  # what the window's expiry does
    assert api.get("/api/v1/cycles", headers=ADMIN).status_code == 200


def test_a_request_without_a_token_is_not_a_failed_guess(api: FlaskClient, configured: str) -> None:
    assert {api.get("/api/v1/cycles").status_code for _ in range(FAILURES_ALLOWED * 2)} == {401}
    assert api.get("/api/v1/cycles", headers=ADMIN).status_code == 200


def test_wrong_sign_ins_are_logged_and_slowed_per_source(api: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        statuses = [sign_in(api, f"wrong-sign-in-{n}").status_code for n in range(FAILURES_ALLOWED + 3)]
    assert statuses == [401] * FAILURES_ALLOWED + [429] * 3
    refused = sign_in(api, ADMIN_TOKEN)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= FAILURE_WINDOW_SECONDS
    assert b"Too many failed sign-ins" in refused.data
    assert api.get("/admin/").status_code == 302
    assert "127.0.0.1" in caplog.text and "wrong-sign-in-" not in caplog.text
    other = api.application.test_client()
    other.environ_base.update(ELSEWHERE)
    assert sign_in(other).status_code == 302


def test_sign_ins_and_bearer_tokens_share_the_count_of_a_source(api: FlaskClient, configured: str) -> None:
    for n in range(FAILURES_ALLOWED):
        api.get("/api/v1/cycles", headers={"Authorization": f"Bearer guess-{n}"})
    assert sign_in(api, "one-more-guess").status_code == 429


# ---------------------------------------------------------------------------- security headers


def _check_headers(headers) -> str:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    return str(policy)


def test_every_answer_carries_the_security_headers(api: FlaskClient, client: FlaskClient, configured: str) -> None:
    answers = [
        api.get("/healthz"),
        api.get("/readyz"),
        api.get("/metrics"),
        api.get("/api/v1/openapi.json"),
        api.get("/api/v1/cycles", headers=ADMIN),
        api.get("/api/v1/cycles"),
        api.get("/nowhere"),
        api.get("/admin/signin"),
        api.get("/admin/"),
        api.post("/webhooks/jira", data=b"{}"),
        post_event(client, {"webhookEvent": "sprint_started"}),
    ]
    sign_in(api)
    answers += [
        api.get(path)
        for path in (
            "/admin/",
            "/admin/mappings",
            "/admin/health",
            "/admin/problems",
            "/admin/sets/shop/krs/KR1",
            "/admin/sets/shop/krs/nope",
        )
    ]
    for answer in answers:
        _check_headers(answer.headers)


def test_pages_load_styles_only_from_the_service_and_hashed_attributes(api: FlaskClient, configured: str) -> None:
    sign_in(api)
    for path in ("/admin/", "/admin/mappings", "/admin/sets/shop/krs/KR1", "/admin/signin"):
        answer = api.get(path)
        page = answer.data.decode()
        policy = _check_headers(answer.headers)
        assert "<script" not in page and "<style" not in page
        assert re.search(r"style-src 'self'", policy)
        for style in re.findall(r'style="([^"]*)"', page):
            digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in policy and "'unsafe-hashes'" in policy, (path, style)
        assert answer.headers["Cache-Control"] == "no-store"
    assert 'style="width: 0%"' in api.get("/admin/").data.decode()  # no evaluation yet: empty bars


def test_the_stylesheet_is_served_without_a_sign_in(api: FlaskClient) -> None:
    page = api.get("/admin/signin").data.decode()
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert href is not None
    sheet = api.get(href.group(1))
    assert sheet.status_code == 200 and sheet.mimetype == "text/css"
    assert b".card" in sheet.data and b".signin-card" in sheet.data


def test_with_redis_unreachable_sign_in_and_api_answer_503_not_500(admin_settings, tmp_path) -> None:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from okrsync.app import create_app

    down = redis.Redis(unix_socket_path=str(tmp_path / "no-redis.sock"), retry=Retry(NoBackoff(), 0))
    client = create_app(admin_settings, connection=down).test_client()
    answer = sign_in(client)
    assert answer.status_code == 503 and b"Redis is unreachable" in answer.data
    assert answer.headers["Retry-After"] == "10"
    _check_headers(answer.headers)
    api_answer = client.get("/api/v1/cycles", headers=ADMIN)
    assert api_answer.status_code == 503 and api_answer.get_json()["error"] == "unavailable"


def test_behind_a_proxy_failures_are_counted_per_client(
    admin_settings: Settings, connection: redis.Redis, configured: str
) -> None:
    proxied = create_app(admin_settings.model_copy(update={"proxy_hops": 1}), connection=connection).test_client()
    guesser = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    for _ in range(FAILURES_ALLOWED + 1):
        proxied.get("/api/v1/cycles", headers=WRONG, environ_base=guesser)
    assert proxied.get("/api/v1/cycles", headers=ADMIN, environ_base=guesser).status_code == 429
    admin = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9"}  # the same proxy, another client
    assert proxied.get("/api/v1/cycles", headers=ADMIN, environ_base=admin).status_code == 200
    assert connection.get(FAILURES_PREFIX + "198.51.100.7") is not None

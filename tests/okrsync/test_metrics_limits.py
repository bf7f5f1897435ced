"""GET /metrics: an optional bearer token (OKRSYNC_METRICS_TOKEN), and a bounded set of label values
for unknown event types (their names come from signed bodies)."""

from __future__ import annotations

import re

from okrsync.app import create_app
from okrsync.counters import MAX_LABEL_VALUES, MAX_UNKNOWN_NAMES, OTHER_EVENTS
from okrsync.settings import Settings
from tests.conftest import SECRET, post_event


def _with(settings: Settings, connection, **changes):
    changed = Settings(**{**settings.model_dump(), "webhook_secret": SECRET, **changes}, _env_file=None)
    return create_app(changed, connection=connection).test_client()


def test_with_a_metrics_token_a_scrape_needs_it(settings: Settings, connection) -> None:
    client = _with(settings, connection, metrics_token="scrape-t0ken")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic scrape-t0ken"}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.json["error"] == "unauthorized" and "OKRSYNC_METRICS_TOKEN" in answer.json["message"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-t0ken"})
    assert answer.status_code == 200 and "okrsync_redis_up 1.0" in answer.text


def test_without_a_metrics_token_metrics_stay_open(client) -> None:
    assert client.get("/metrics").status_code == 200


def test_the_token_never_shows_in_the_settings(settings: Settings) -> None:
    assert "scrape-t0ken" not in repr(
        Settings(**{**settings.model_dump(), "metrics_token": "scrape-t0ken"}, _env_file=None)
    )


def _unknown_labels(text: str) -> dict[str, float]:
    return {m[0]: float(m[1]) for m in re.findall(r'okrsync_events_unknown_total\{event="([^"]*)"\} (\S+)', text)}


def test_unknown_event_names_become_a_bounded_set_of_labels(client, connection) -> None:
    for number in range(MAX_UNKNOWN_NAMES + 20):
        post_event(client, {"webhookEvent": f"jira:made_up_{number}", "timestamp": number})
    post_event(client, {"webhookEvent": "attachment_created", "timestamp": 1})  # Jira's own: kept by name
    post_event(client, {"webhookEvent": "<script>ünïcode", "timestamp": 2})  # never a label of its own
    labels = _unknown_labels(client.get("/metrics").text)
    assert len(labels) <= MAX_UNKNOWN_NAMES + 2
    assert labels["attachment_created"] == 1 and labels["jira:made_up_0"] == 1
    assert labels[OTHER_EVENTS] == 21 and not any("script" in label for label in labels)
    assert sum(labels.values()) == MAX_UNKNOWN_NAMES + 22


def test_a_hash_filled_before_the_cap_is_folded_when_scraped(client, connection) -> None:
    connection.hset("okrsync:stats:unknown", mapping={f"made_up_{n}": 1 for n in range(500)})
    labels = _unknown_labels(client.get("/metrics").text)
    assert len(labels) == MAX_LABEL_VALUES and sum(labels.values()) == 500

"""GET /metrics: a bounded set of label values for unknown event types (their names come from
signed bodies)."""

from __future__ import annotations

import re

from okrsync.stats import MAX_LABEL_VALUES, MAX_UNKNOWN_NAMES, OTHER_EVENTS
from tests.conftest import post_event


def _unknown_labels(text: str) -> dict[str, float]:
    return {m[0]: float(m[1]) for m in re.findall(r'okrsync_events_unknown_total\{event="([^"]*)"\} (\S+)', text)}


def test_unknown_event_names_become_a_bounded_set_of_labels(client, connection) -> None:  # type: ignore[no-untyped-def]
    for number in range(MAX_UNKNOWN_NAMES + 20):
        post_event(client, {"webhookEvent": f"jira:made_up_{number}", "timestamp": number})
    post_event(client, {"webhookEvent": "attachment_created", "timestamp": 1})  # Jira's own: kept by name
    post_event(client, {"webhookEvent": "<script>ünïcode", "timestamp": 2})  # never a label of its own
    labels = _unknown_labels(client.get("/metrics").text)
    assert len(labels) <= MAX_UNKNOWN_NAMES + 2
    assert labels["attachment_created"] == 1 and labels["jira:made_up_0"] == 1
    assert labels[OTHER_EVENTS] == 21 and not any("script" in label for label in labels)
    assert sum(labels.values()) == MAX_UNKNOWN_NAMES + 22


def test_a_hash_filled_before_the_cap_is_folded_when_scraped(client, connection) -> None:  # type: ignore[no-untyped-def]
    connection.hset("okrsync:stats:unknown", mapping={f"made_up_{n}": 1 for n in range(500)})
    labels = _unknown_labels(client.get("/metrics").text)
    assert len(labels) == MAX_LABEL_VALUES and sum(labels.values()) == 500

"""Arbitrary input at the webhook: never a 5xx, and every event answered 2xx is accounted for."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from okrsync.counters import read_counts
from sync.queue import EventStream
from tests.conftest import post_event, run_worker
from webhooks.events import IDENTIFIER_HEADER, SIGNATURE_HEADER

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

header_names = st.sampled_from([SIGNATURE_HEADER, IDENTIFIER_HEADER, "Content-Type", "X-Other"])
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
event_names = st.sampled_from(
    [
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_deleted",
        "issuelink_created",
        "issuelink_deleted",
        "comment_created",
        "sprint_started",
        "jira:whatever",
    ]
)
jira_times = st.sampled_from(["2026-11-01T10:00:00.000+0000", "2019-02-15T19:01:52.971-0800", None])
issue_fields = st.fixed_dictionaries(
    {},
    optional={
        "updated": jira_times,
        "created": jira_times | json_values,
        "status": json_values | st.just({"name": "Done", "statusCategory": {"key": "done"}}),
        "labels": json_values,
        "components": json_values,
        "issuelinks": json_values,
        "customfield_10001": json_values,
        "priority": json_values,
    },
)
jira_like = st.fixed_dictionaries(
    {"webhookEvent": event_names},
    optional={
        "timestamp": st.integers(min_value=0, max_value=2**45) | json_values,
        "issue": st.fixed_dictionaries(
            {"id": st.integers(1, 10**6).map(str), "key": st.from_regex(r"[A-Z]{2,4}-[1-9][0-9]{0,3}", fullmatch=True)},
            optional={"fields": issue_fields},
        )
        | json_values,
        "issueLink": json_values,
        "user": json_values,
        "changelog": json_values,
    },
)


@FUZZ
@given(body=st.binary(max_size=300), headers=st.dictionaries(header_names, header_values, max_size=4))
def test_arbitrary_bodies_and_headers_never_get_a_5xx(client, connection, body, headers) -> None:
    answer = client.post("/webhooks/jira", data=body, headers=headers)
    assert answer.status_code < 500
    assert answer.status_code == 401  # no valid signature in random headers
    assert answer.is_json and answer.json["message"]


@FUZZ
@given(document=json_values)
def test_signed_arbitrary_json_never_gets_a_5xx(client, connection, document) -> None:
    answer = post_event(client, json.dumps(document).encode())
    assert answer.status_code in (200, 202, 400), answer.json
    assert answer.is_json


@FUZZ
@given(payloads=st.lists(jira_like, min_size=1, max_size=8))
def test_every_accepted_jira_like_event_is_applied_or_kept(client, connection, payloads) -> None:
    connection.flushdb()
    accepted = 0
    for payload in payloads:
        answer = post_event(client, json.dumps(payload).encode())
        assert answer.status_code in (200, 202, 400), answer.json
        accepted += answer.status_code == 202
    run_worker(connection)
    counts = read_counts(connection)
    backlog = EventStream(connection).backlog()
    assert (backlog.waiting, backlog.pending) == (0, 0)
    assert counts.get("applied", 0) + counts.get("dead_lettered", 0) == accepted

"""Numbers in webhook bodies: a huge integer or a NaN / Infinity is a 400 with a JSON message, never a
500 (which Jira would retry for ever), and a custom field that is not a finite number never reaches
the queue or the mirror."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.mirror import RedisMirror
from sync.queue import STREAM
from tests.conftest import post_event, run_worker
from webhooks import events
from webhooks.events import MalformedBody


def issue_updated(custom_value: str) -> bytes:
    return (
        '{"webhookEvent": "jira:issue_updated", "timestamp": 1767225600000, "issue": {"id": "10001", '
        '"key": "SHOP-1", "fields": {"updated": "2026-11-01T10:00:00.000+0000", "project": {"key": "SHOP"}, '
        f'"customfield_10001": {custom_value}}}}}}}'
    ).encode()


@pytest.mark.parametrize(
    "literal, said",
    [
        ("1" * 5000, "an integer of 5000 digits"),
        ("-" + "9" * 400, "an integer of 400 digits"),
        ("1e400", "1e400"),
        ("-1e999", "-1e999"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("-Infinity", "-Infinity"),
    ],
)
def test_a_number_beyond_a_double_is_a_400_naming_it(client, connection, literal: str, said: str) -> None:
    answer = post_event(client, issue_updated(literal))
    assert answer.status_code == 400, answer.data[:300]
    body = answer.get_json()
    assert body["error"] == "malformed" and said in body["message"]
    assert "finite" in body["message"] and "Traceback" not in body["message"]
    assert connection.xlen(STREAM) == 0


@pytest.mark.parametrize("literal", ["NaN", "1e400", "7" * 5000])
def test_parse_event_refuses_non_finite_and_huge_numbers(literal: str) -> None:
    with pytest.raises(MalformedBody):
        events.parse_event(issue_updated(literal))


def test_the_largest_numbers_a_double_holds_are_kept(client, connection) -> None:
    event = events.parse_event(issue_updated("1.7976931348623157e308"))
    assert isinstance(event, events.IssueEvent) and event.issue.fields["customfield_10001"] == 1.7976931348623157e308
    assert events.parse_event(issue_updated("9" * 308)).issue.fields["customfield_10001"] == int("9" * 308)  # type: ignore[union-attr]
    assert post_event(client, issue_updated("-2.5e-320")).status_code == 202


def _mirrored_bytes(connection) -> bytes:
    return b"".join(connection.hget(key, "doc") or b"" for key in connection.scan_iter("okrsync:mirror:issue:*"))


def test_only_finite_custom_field_values_reach_the_mirror(client, connection) -> None:
    post_event(client, issue_updated("NaN"), identifier="with-nan")
    post_event(client, issue_updated("Infinity"), identifier="with-infinity")
    run_worker(connection)
    assert b"NaN" not in _mirrored_bytes(connection) and b"Infinity" not in _mirrored_bytes(connection)
    assert post_event(client, issue_updated("12.5"), identifier="finite").status_code == 202
    run_worker(connection)
    document = RedisMirror(connection).get("SHOP-1")
    assert document is not None and b"12.5" in _mirrored_bytes(connection)
    assert json.loads(_mirrored_bytes(connection), parse_constant=lambda name: pytest.fail(f"{name} in the mirror"))


numbers = st.one_of(st.floats(), st.integers(), st.integers(min_value=10**300, max_value=10**320))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=numbers)
def test_any_number_in_a_custom_field_is_a_2xx_or_a_400_never_a_5xx(client, connection, value) -> None:
    literal = json.dumps(value) if not isinstance(value, int) else str(value)
    answer = post_event(client, issue_updated(literal))
    representable = math.isfinite(value) if isinstance(value, float) else len(str(abs(value))) <= 308
    if representable:
        assert answer.status_code == 202, answer.get_json()
    else:
        assert answer.status_code == 400 and answer.get_json()["error"] == "malformed"

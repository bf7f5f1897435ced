"""The pure edge: signature verification and parsing into typed events."""

from __future__ import annotations

import json

import pytest

from tests.conftest import fixture_paths, load_fixture
from webhooks import events
from webhooks.events import (
    CommentEvent,
    IssueEvent,
    IssueLinkEvent,
    MalformedBody,
    NotAJiraEvent,
    OtherEvent,
    SignatureError,
)

SECRETS = (b"old-secret", b"new-secret")


def _headers(body: bytes, secret: bytes) -> dict[str, str]:
    return {events.SIGNATURE_HEADER: events.sign(body, secret)}


def test_any_active_secret_verifies_during_rotation() -> None:
    body = b'{"webhookEvent": "jira:issue_updated"}'
    for secret in SECRETS:
        events.verify_signature(_headers(body, secret), body, SECRETS)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "missing X-Hub-Signature"),
        ("sha1=abc", "must start with 'sha256='"),
        ("sha256=" + "0" * 64, "does not match"),
    ],
)
def test_bad_signatures_are_refused_with_the_reason(header: str | None, message: str) -> None:
    headers = {} if header is None else {events.SIGNATURE_HEADER: header}
    with pytest.raises(SignatureError, match=message):
        events.verify_signature(headers, b"{}", SECRETS)


def test_signature_of_another_body_is_refused() -> None:
    headers = _headers(b'{"a": 1}', b"new-secret")
    with pytest.raises(SignatureError):
        events.from_request(headers, b'{"a": 2}', SECRETS)


def test_identifier_falls_back_to_a_body_digest() -> None:
    assert events.delivery_identifier({events.IDENTIFIER_HEADER: "abc-1"}, b"x") == "abc-1"
    digest = events.delivery_identifier({}, b"x")
    assert digest.startswith("sha256:") and digest == events.delivery_identifier({}, b"x")
    assert digest != events.delivery_identifier({}, b"y")


@pytest.mark.parametrize("path", fixture_paths(), ids=lambda p: p.stem)
def test_every_captured_payload_parses(path) -> None:
    event = events.parse_event(path.read_bytes())
    assert not isinstance(event, OtherEvent)
    if event.kind.startswith("jira:issue_"):
        assert isinstance(event, IssueEvent) and event.issue.key and event.version > 0
    elif event.kind.startswith("issuelink_"):
        assert isinstance(event, IssueLinkEvent) and event.issue_link.source_issue_id
    else:
        assert isinstance(event, CommentEvent)


def test_cloud_and_data_center_users_have_one_identity() -> None:
    cloud = events.parse_event(json.dumps(load_fixture("webhook-issue-assigned-empty-changelog.json")).encode())
    server = events.parse_event(json.dumps(load_fixture("webhook-server-issue-updated-resolved.json")).encode())
    assert cloud.user is not None and cloud.user.identity == "123456"
    assert server.user is not None and server.user.identity == server.user.key


def test_old_data_center_payload_without_event_type_name() -> None:
    event = events.parse_event(
        json.dumps(load_fixture("webhook-server-old-issue-updated-no-event-type-assigned.json")).encode()
    )
    assert isinstance(event, IssueEvent) and event.issue_event_type_name is None
    assert event.changelog is not None and event.changelog.items


def test_issue_link_event_parses() -> None:
    body = {
        "timestamp": 1,
        "webhookEvent": "issuelink_created",
        "issueLink": {
            "id": 10001,
            "sourceIssueId": 10000,
            "destinationIssueId": 10002,
            "issueLinkType": {"id": 1, "name": "Blocks", "outwardName": "blocks", "inwardName": "is blocked by"},
        },
    }
    event = events.parse_event(json.dumps(body).encode())
    assert isinstance(event, IssueLinkEvent) and event.issue_link.link_type.name == "Blocks"


def test_version_prefers_fields_updated_over_delivery_time() -> None:
    event = events.parse_event(json.dumps(load_fixture("webhook-issue-created.json")).encode())
    assert isinstance(event, IssueEvent)
    assert event.version == 1550286112971  # 2019-02-15T19:01:52.971-0800
    assert event.version != event.timestamp


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"", MalformedBody, "empty body"),
        (b"{not json", MalformedBody, "malformed JSON at line 1 column 2"),
        (b"\xff\xfe", MalformedBody, "not UTF-8"),
        (b"[1, 2]", NotAJiraEvent, "expected a JSON object, got list"),
        (b'{"hello": "world"}', NotAJiraEvent, "'webhookEvent'"),
        (b'{"webhookEvent": 5}', NotAJiraEvent, "'webhookEvent'"),
        (b'{"webhookEvent": "jira:issue_updated"}', NotAJiraEvent, "issue: Field required"),
        (b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1"}}', NotAJiraEvent, "issue.key"),
        (
            b'{"webhookEvent": "jira:issue_updated", "issue": {"id": "1", "key": "A-1", "fields": {"updated": "soon"}}}',  # noqa: E501
            NotAJiraEvent,
            "fields.updated must be a Jira time",
        ),
        (b"[" * 100_000 + b"]" * 100_000, MalformedBody, "nested too deeply"),
    ],
)
def test_malformed_bodies_say_what_is_wrong(body: bytes, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        events.parse_event(body)


def test_unknown_event_types_parse_as_other_events() -> None:
    event = events.parse_event(b'{"webhookEvent": "jira:something_new", "timestamp": 5}')
    assert isinstance(event, OtherEvent) and event.kind == "jira:something_new"


def test_routed_event_kinds_are_the_handled_ones_and_the_registered_ones() -> None:
    from okrsync.ops import WEBHOOK_EVENTS
    from sync.handlers import router
    from webhooks.router import IGNORED_EVENTS, ROUTED_EVENTS

    assert router.kinds == frozenset(ROUTED_EVENTS)
    assert sorted(WEBHOOK_EVENTS) == sorted(ROUTED_EVENTS)
    assert not IGNORED_EVENTS & frozenset(ROUTED_EVENTS)


def test_jira_times_are_one_instant_whatever_the_offset_notation() -> None:
    from webhooks.jiratime import parse_jira_time

    pacific = parse_jira_time("2019-02-15T19:01:52.971-0800")
    assert pacific == parse_jira_time("2019-02-16T03:01:52.971Z") == parse_jira_time("2019-02-16T03:01:52.971+00:00")
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_jira_time("2019-02-16T03:01:52.971")
    with pytest.raises(TypeError, match="expected a time string"):
        parse_jira_time(1550286112971)

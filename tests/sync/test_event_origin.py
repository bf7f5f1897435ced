"""Applied events counted by who made them: the service's own account, an issue link, anyone else."""

from __future__ import annotations

import json

from sync.jobs import event_origin
from tests.conftest import load_fixture
from webhooks.events import parse_event


def _parsed(name: str):
    return parse_event(json.dumps(load_fixture(name)).encode())


def test_an_update_by_the_service_account_is_its_own() -> None:
    event = _parsed("webhook-issue-updated-labels.json")
    assert event_origin(event, "5c5f880629be9642ba529340") == "applied_own"
    assert event_origin(event, "someone-else") == "applied_others"
    assert event_origin(event, None) == "applied_others"  # the service's account not known yet


def test_a_data_center_user_is_matched_by_key() -> None:
    assert event_origin(_parsed("webhook-issue-updated-assigned-on-server.json"), "admin") == "applied_own"


def test_issue_links_are_counted_apart_as_jira_names_no_user_on_them() -> None:
    assert event_origin(_parsed("webhook-cloud-issuelink-created.json"), "admin") == "applied_links"

"""Pure parts of storing a page: the mirror's JSON of a document reads back equal, Jira's UTC times are
projected as before, the page check of a search answer."""

from __future__ import annotations

import json
import math
from datetime import UTC

import pytest

from connector import ConnectorError
from connector.jira import search_page
from sync.documents import utc_time
from sync.mirror import document_json
from webhooks.jiratime import parse_jira_time


@pytest.mark.parametrize(
    "document",
    [
        {"id": "1", "key": "A-1", "summary": "Café crème ☕", "custom": {"customfield_1": 3.0, "customfield_2": 1e16}},
        {"id": "2", "key": "A-2", "custom": {"customfield_1": 2**70}},  # beyond orjson's 64 bits
        {"id": "3", "key": "A-3", "labels": ["z", "a"], "links": [{"key": "A-1", "id": "9"}], "custom": {}},
        {"id": "4", "key": "A-4", "custom": {"customfield_1": [0.1, -0.0, 5]}},
    ],
)
def test_the_mirrors_json_reads_back_equal_with_sorted_keys(document: dict) -> None:
    raw = document_json(document)
    assert json.loads(raw) == document
    assert list(json.loads(raw)) == sorted(document)


def test_a_custom_fields_nan_or_infinity_is_written_as_json_writes_it() -> None:
    raw = document_json({"id": "1", "key": "A-1", "custom": {"customfield_1": [math.inf], "customfield_2": math.nan}})
    assert b"Infinity" in raw and b"NaN" in raw


def slow_utc_time(value: object) -> str | None:
    try:
        moment = parse_jira_time(value)
    except (TypeError, ValueError):
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize(
    "value",
    [
        "2019-02-15T19:01:52.971+0000",
        "2019-02-15T19:01:52.971-0800",
        "2019-02-15T19:01:52,971+0000",
        "2019-02-30T19:01:52.971+0000",
        "2019-02-15T24:01:52.971+0000",
        "2019-13-15T19:01:52.971+0000",
        "2019-02-15T19:01:5a.971+0000",
        "2019-02-15 19:01:52.971+0000",
        "2019-02-15T19:01:52.97 +0000",
        "2019-02-15T19:01:52Z",
        "2019-02-15",
        "",
        None,
        17,
    ],
)
def test_utc_times_are_projected_as_datetime_writes_them(value: object) -> None:
    assert utc_time(value) == slow_utc_time(value)


def test_a_search_answer_that_is_not_json_says_what_came_and_what_to_check() -> None:
    with pytest.raises(ConnectorError) as caught:
        search_page(b"<html><body>Sign in</body></html>", "GET /rest/api/3/search/jql")
    message = str(caught.value)
    assert "Jira search (GET /rest/api/3/search/jql) answered a body that is not JSON" in message
    assert "<html><body>Sign in" in message and "OKRSYNC_JIRA_URL" in message


@pytest.mark.parametrize("body", [b"[]", b'{"issues": {}}', b'{"issues": [1, 2]}'])
def test_a_search_answer_without_a_list_of_issues_is_refused(body: bytes) -> None:
    with pytest.raises(ConnectorError, match="answered JSON without a list of issues, expected"):
        search_page(body, "GET /rest/api/3/search/jql")


def test_a_search_answer_is_the_parsed_page() -> None:
    page = search_page(b'{"issues": [{"id": "1", "key": "A-1"}], "isLast": true}', "GET /x")
    assert page == {"issues": [{"id": "1", "key": "A-1"}], "isLast": True}

"""Retries over real HTTP: the emulator's 429s, 5xx answers, latency and a closed port."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from atlassian.errors import ApiError

from connector import CallStats, ConnectorError, JiraPort, JiraSettings, RateLimited, RetryPolicy, Unavailable

MYSELF = "GET /rest/api/2/myself"


def test_429_waits_for_retry_after_then_succeeds(cloud: Any, make_jira: Any, fake_time: Any) -> None:
    cloud.faults(rate_limit_next=2, retry_after_s=7)
    jira = make_jira(cloud)
    assert jira.myself()["emailAddress"] == "admin@acme.example"
    assert fake_time.waits == [7.0, 7.0]  # exactly the hint, never less
    assert cloud.calls(MYSELF, "429") == 2 and cloud.calls(MYSELF, "200") == 1
    snapshot = jira.stats.snapshot()
    assert snapshot["calls"]["jira"]["myself"] == {"429": 2, "ok": 1}
    assert (snapshot["rate_limited"], snapshot["retries"], snapshot["wait_seconds"]) == (2, 2, 14.0)


def test_5xx_backs_off_exponentially_then_succeeds(cloud: Any, make_jira: Any, fake_time: Any) -> None:
    cloud.faults(error_next=3, error_status=502)
    jira = make_jira(cloud, flavor="cloud")
    jira.set_property("PAY-1", "okrsync.status", {"score": 0.5})
    assert fake_time.waits == [0.5, 1.0, 2.0]
    assert jira.get_property("PAY-1", "okrsync.status") == {"score": 0.5}
    assert jira.stats.count("jira", "set_property", "5xx") == 3


def test_persistent_5xx_gives_up_within_the_total_wait(cloud: Any, make_jira: Any, fake_time: Any) -> None:
    cloud.faults(error_fraction=1.0)
    retry = RetryPolicy(max_attempts=20, max_total_wait=10.0, jitter=0.0, sleep=fake_time.sleep, clock=fake_time.clock)
    jira = make_jira(cloud, flavor="cloud", retry=retry)
    with pytest.raises(Unavailable) as caught:
        jira.update_fields("PAY-3", {"summary": "never lands"})
    assert fake_time.waits == [0.5, 1.0, 2.0, 4.0]  # the next wait (8 s) would pass the 10 s budget
    assert sum(fake_time.waits) <= 10.0
    assert caught.value.status == 503 and caught.value.url == "/rest/api/2/issue/PAY-3"
    assert "5 attempts over" in str(caught.value) and "update_fields" in str(caught.value)
    assert cloud.calls("PUT /rest/api/2/issue/{reference}", "503") == 5


def test_persistent_429_is_rate_limited_with_the_last_hint(cloud: Any, make_jira: Any, fake_time: Any) -> None:
    cloud.faults(rate_limit_fraction=1.0, retry_after_s=50)
    jira = make_jira(cloud, flavor="cloud")
    with pytest.raises(RateLimited) as caught:
        jira.count("project = PAY")
    assert fake_time.waits == [50.0, 50.0]  # a third 50 s wait would pass the 120 s budget
    assert caught.value.retry_after == 50.0 and caught.value.status == 429
    assert jira.stats.snapshot()["rate_limited"] == 3


def test_a_slow_read_is_retried(cloud: Any, make_jira: Any, fake_time: Any) -> None:
    cloud.faults(latency_ms=400)
    retry = RetryPolicy(max_attempts=2, jitter=0.0, sleep=fake_time.sleep, clock=fake_time.clock)
    jira = make_jira(cloud, flavor="cloud", retry=retry, timeout=0.15)
    with pytest.raises(Unavailable, match="did not answer in time"):
        jira.get_issue("PAY-1")
    assert jira.stats.count("jira", "get_issue", "error") == 2


def test_a_comment_that_timed_out_is_not_sent_twice(cloud: Any, make_jira: Any, fake_time: Any) -> None:
    cloud.faults(latency_ms=400)
    jira = make_jira(cloud, flavor="cloud", timeout=0.15)
    with pytest.raises(Unavailable, match="may have been applied"):
        jira.add_comment("PAY-2", "O1.KR1 on_track → done")
    cloud.faults(latency_ms=0)
    assert fake_time.waits == []
    assert jira.stats.count("jira", "add_comment") == 1


def test_a_closed_port_is_unavailable_and_names_the_url_variable(fake_time: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    retry = RetryPolicy(max_attempts=3, jitter=0.0, sleep=fake_time.sleep, clock=fake_time.clock)
    jira = JiraPort(JiraSettings(url=f"http://127.0.0.1:{port}", user=None, token=None, flavor="cloud"), retry)
    with pytest.raises(Unavailable) as caught:
        jira.myself()
    assert "OKRSYNC_JIRA_URL" in str(caught.value) and caught.value.status is None
    assert str(caught.value).startswith(f"Jira at http://127.0.0.1:{port} did not answer after 3 attempts over 1.5 s ")
    assert fake_time.waits == [0.5, 1.0]
    assert jira.stats.count(outcome="error") == 3


def test_the_on_call_hook_sees_every_attempt(cloud: Any, make_jira: Any) -> None:
    seen: list[tuple[str, str, str]] = []
    cloud.faults(rate_limit_next=1, retry_after_s=1)
    make_jira(cloud, stats=CallStats(on_call=lambda *call: seen.append(call))).myself()
    assert seen == [("jira", "myself", "429"), ("jira", "myself", "ok")]


def test_confluence_retries_through_the_same_layer(cloud: Any, make_confluence: Any, fake_time: Any) -> None:
    cloud.faults(rate_limit_next=1, retry_after_s=3, error_next=1)
    confluence = make_confluence(cloud)
    assert confluence.find_page("OKR", "OKRs home") is not None
    assert fake_time.waits == [3.0, 1.0]  # backoff counts every attempt of the call
    assert confluence.stats.snapshot()["calls"]["confluence"]["find_page"] == {"429": 1, "5xx": 1, "ok": 1}


@pytest.mark.parametrize("url", ["jira.acme.example", "ftp://jira.acme.example", "https://me:secret@jira.acme.example"])
def test_an_unusable_site_url_is_refused_before_any_call(url: str) -> None:
    with pytest.raises(ConnectorError, match="OKRSYNC_JIRA_URL") as caught:
        JiraPort(JiraSettings(url=url, user=None, token=None))
    assert "secret" not in str(caught.value)


def test_a_client_error_without_an_http_answer_is_not_retried(cloud: Any, make_jira: Any, fake_time: Any) -> None:
    jira = make_jira(cloud, flavor="cloud")

    def refuse() -> None:
        raise ApiError("no such content")

    with pytest.raises(ConnectorError, match="no such content") as caught:
        jira.transport.call("get_page", refuse, method="GET", path="/x")
    assert type(caught.value) is ConnectorError and fake_time.waits == []

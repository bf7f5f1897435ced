"""RetryPolicy and Retry-After parsing, without HTTP and without sleeping."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector import CallStats, RetryPolicy, parse_retry_after
from connector.retry import Failure, FailureKind

NOW = 1_800_000_000.0
RATE_LIMITED = FailureKind.RATE_LIMITED
UNAVAILABLE = FailureKind.UNAVAILABLE


def fixed(value: float) -> RetryPolicy:
    return RetryPolicy(random=lambda: value)


def test_backoff_doubles_from_the_base_delay_and_stops_at_the_cap() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert [policy.backoff(n) for n in range(1, 9)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_jitter_spreads_the_wait_by_the_configured_fraction() -> None:
    assert fixed(0.0).backoff(3) == pytest.approx(2.0 * 0.8)
    assert fixed(0.5).backoff(3) == pytest.approx(2.0)
    assert fixed(0.999999).backoff(3) == pytest.approx(2.0 * 1.2, rel=1e-5)


@given(retry=st.integers(min_value=1, max_value=40), draw=st.floats(min_value=0.0, max_value=0.9999999))
def test_a_jittered_wait_stays_within_its_bounds_and_under_the_cap(retry: int, draw: float) -> None:
    policy = RetryPolicy(random=lambda: draw)
    nominal = min(policy.max_delay, policy.base_delay * 2 ** (retry - 1))
    wait = policy.backoff(retry)
    assert nominal * (1 - policy.jitter) - 1e-9 <= wait <= min(policy.max_delay, nominal * (1 + policy.jitter))


def test_a_retry_after_hint_is_waited_exactly() -> None:
    policy = RetryPolicy()
    assert policy.wait_before_retry(Failure(RATE_LIMITED, 7.0), attempts_made=1, waited=0.0) == 7.0
    assert policy.wait_before_retry(Failure(UNAVAILABLE, 3.0), attempts_made=2, waited=0.0) == 3.0


def test_a_rate_limit_without_a_hint_backs_off() -> None:
    policy = RetryPolicy(jitter=0.0)
    assert policy.wait_before_retry(Failure(RATE_LIMITED), attempts_made=3, waited=0.0) == 2.0


def test_final_failures_are_never_retried() -> None:
    assert RetryPolicy().wait_before_retry(Failure(FailureKind.FINAL), attempts_made=1, waited=0.0) is None


def test_the_attempt_budget_ends_the_retries() -> None:
    policy = RetryPolicy(max_attempts=3, jitter=0.0)
    assert policy.wait_before_retry(Failure(UNAVAILABLE), attempts_made=2, waited=0.0) == 1.0
    assert policy.wait_before_retry(Failure(UNAVAILABLE), attempts_made=3, waited=0.0) is None


def test_a_wait_that_would_pass_the_total_budget_is_not_started() -> None:
    policy = RetryPolicy(max_total_wait=120.0)
    assert policy.wait_before_retry(Failure(RATE_LIMITED, 60.0), attempts_made=1, waited=60.0) == 60.0
    assert policy.wait_before_retry(Failure(RATE_LIMITED, 60.0), attempts_made=2, waited=61.0) is None
    assert policy.wait_before_retry(Failure(RATE_LIMITED, 500.0), attempts_made=1, waited=0.0) is None


@given(draws=st.lists(st.floats(min_value=0.0, max_value=0.9999999), min_size=1, max_size=50))
def test_the_waits_of_one_call_never_add_up_past_the_budget(draws: list[float]) -> None:
    values = iter(draws * 10)
    policy = RetryPolicy(max_attempts=50, max_total_wait=45.0, random=lambda: next(values))
    waited, attempts = 0.0, 1
    while (wait := policy.wait_before_retry(Failure(UNAVAILABLE), attempts, waited)) is not None:
        waited, attempts = waited + wait, attempts + 1
    assert waited <= 45.0
    assert attempts <= 50


def test_retry_after_in_seconds() -> None:
    assert parse_retry_after("30", NOW) == 30.0
    assert parse_retry_after(" 2.5 ", NOW) == 2.5
    assert parse_retry_after("-4", NOW) == 0.0


def test_retry_after_as_an_http_date() -> None:
    assert parse_retry_after(formatdate(NOW + 90, usegmt=True), NOW) == pytest.approx(90.0)
    assert parse_retry_after(formatdate(NOW + 90, localtime=False), NOW) == pytest.approx(90.0)  # "-0000"
    assert parse_retry_after(formatdate(NOW - 90, usegmt=True), NOW) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf"])
def test_unreadable_retry_after_means_no_hint(value: str | None) -> None:
    assert parse_retry_after(value, NOW) is None


def test_nonsense_policies_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)


def test_call_stats_count_by_system_operation_and_outcome() -> None:
    seen: list[tuple[str, str, str]] = []
    stats = CallStats(on_call=lambda *call: seen.append(call))
    stats.record_call("jira", "search", "429")
    stats.record_call("jira", "search", "ok")
    stats.record_call("confluence", "update_page", "ok")
    stats.record_retry(1.5)
    snapshot = stats.snapshot()
    assert snapshot["calls"] == {"confluence": {"update_page": {"ok": 1}}, "jira": {"search": {"429": 1, "ok": 1}}}
    assert (snapshot["total_calls"], snapshot["rate_limited"], snapshot["retries"], snapshot["wait_seconds"]) == (
        3,
        1,
        1,
        1.5,
    )
    assert stats.count("jira") == 2 and stats.count(outcome="ok") == 2
    assert seen[0] == ("jira", "search", "429")


def test_a_failing_stats_hook_does_not_fail_the_call() -> None:
    def broken(*_: str) -> None:
        raise ConnectionError("metrics sink down")

    stats = CallStats(on_call=broken)
    stats.record_call("jira", "myself", "ok")
    assert stats.count() == 1

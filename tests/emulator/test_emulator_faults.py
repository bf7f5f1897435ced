"""Fault knobs, counters and authentication through the control endpoint and the real client."""

from __future__ import annotations

import time

import pytest
import requests
from atlassian import Jira

from tests.emulator.conftest import AUTH, Running, serve
from emulator.app import create_emulator
from emulator.faults import Knobs, KnobError, updated_knobs


def test_forced_429_carries_retry_after_and_rate_limit_headers(cloud: Running) -> None:
    cloud.faults(rate_limit_next=1, retry_after_s=7)
    first = requests.get(f"{cloud.url}/rest/api/3/myself", auth=AUTH, timeout=5)
    second = requests.get(f"{cloud.url}/rest/api/3/myself", auth=AUTH, timeout=5)
    assert first.status_code == 429 and second.status_code == 200
    assert first.headers["Retry-After"] == "7"
    assert first.headers["X-RateLimit-Remaining"] == "0" and "X-RateLimit-Reset" in first.headers


def test_error_fraction_is_deterministic_for_a_seed(cloud: Running) -> None:
    def outcomes() -> list[int]:
        cloud.faults(seed=42, error_fraction=0.5, error_status=502)
        return [requests.get(f"{cloud.url}/rest/api/2/serverInfo", auth=AUTH, timeout=5).status_code
                for _ in range(20)]

    first, second = outcomes(), outcomes()
    assert first == second and {502, 200} == set(first)


def test_counters_count_calls_by_endpoint_and_status(cloud: Running) -> None:
    cloud.control("DELETE", "counters")
    jira = Jira(url=cloud.url, username=AUTH[0], password=AUTH[1], cloud=True)
    jira.issue("PAY-1")
    jira.issue("PAY-2")
    requests.get(f"{cloud.url}/rest/api/2/issue/NOPE-1", auth=AUTH, timeout=5)
    counters = cloud.counters()
    assert counters["calls"]["GET /rest/api/2/issue/{reference}"] == {"200": 2, "404": 1}
    assert counters["total_calls"] == 3


def test_latency_slows_every_call(cloud: Running) -> None:
    cloud.faults(latency_ms=150)
    started = time.perf_counter()
    requests.get(f"{cloud.url}/rest/api/2/myself", auth=AUTH, timeout=5)
    assert time.perf_counter() - started >= 0.15


def test_unknown_or_malformed_knobs_are_refused(cloud: Running) -> None:
    response = cloud.control("PUT", "faults", json={"error_fracton": 1})
    assert response.status_code == 400 and "error_fraction" in response.json()["error"]
    with pytest.raises(KnobError, match="between 0 and 1"):
        updated_knobs(Knobs(), {"webhook_drop_fraction": 2})


def test_strict_auth_requires_a_configured_user_and_token() -> None:
    with serve(create_emulator(require_auth=True)) as running:
        url = f"{running.url}/rest/api/3/myself"
        assert requests.get(url, timeout=5).status_code == 401
        assert requests.get(url, auth=("alice@acme.example", "wrong"), timeout=5).status_code == 401
        ok = requests.get(url, auth=("alice@acme.example", "alice-token"), timeout=5)
        assert ok.status_code == 200 and ok.json()["displayName"] == "Alice Park"
        bearer = requests.get(url, headers={"Authorization": "Bearer bob-token"}, timeout=5)
        assert bearer.json()["displayName"] == "Bob Mensah"


def test_default_auth_accepts_any_credentials(cloud: Running) -> None:
    response = requests.get(f"{cloud.url}/rest/api/3/myself", headers={"Authorization": "Bearer whatever"}, timeout=5)
    assert response.status_code == 200


def test_state_persists_across_restarts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "state.json"
    with serve(create_emulator(data_path=data)) as running:
        Jira(url=running.url, username=AUTH[0], password="x", cloud=True).issue_update(
            "PAY-4", fields={"summary": "Survives a restart"})
    with serve(create_emulator(data_path=data)) as running:
        issue = Jira(url=running.url, username=AUTH[0], password="x", cloud=True).issue("PAY-4")
        assert issue["fields"]["summary"] == "Survives a restart"

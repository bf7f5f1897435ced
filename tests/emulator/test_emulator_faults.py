"""Fault knobs, counters and authentication through the control endpoint and the real client."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from atlassian import Jira

from emulator.app import create_emulator
from emulator.faults import KnobError, Knobs, updated_knobs
from tests.emulator.conftest import AUTH, Running, serve


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
        return [requests.get(f"{cloud.url}/rest/api/2/serverInfo", auth=AUTH, timeout=5).status_code for _ in range(20)]

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


def test_state_persists_across_restarts(tmp_path) -> None:
    data = tmp_path / "state.json"
    with serve(create_emulator(data_path=data)) as running:
        Jira(url=running.url, username=AUTH[0], password="x", cloud=True).issue_update(
            "PAY-4", fields={"summary": "Survives a restart"}
        )
    with serve(create_emulator(data_path=data)) as running:
        issue = Jira(url=running.url, username=AUTH[0], password="x", cloud=True).issue("PAY-4")
        assert issue["fields"]["summary"] == "Survives a restart"


# ---------------------------------------------------------------------------- refused writes


def _writes(url: str, reference: str) -> dict[str, requests.Response]:
    """One of each write Jira has on an issue, in an order that leaves each one something to act on."""
    issue = f"{url}/rest/api/2/issue/{reference}"
    link = {"globalId": "okr=1", "object": {"url": "https://example.com/okr/1", "title": "OKR page"}}
    return {
        "edit": requests.put(issue, json={"fields": {"summary": "Refused?"}}, auth=AUTH, timeout=5),
        "set property": requests.put(f"{issue}/properties/okrsync.status", json={"v": 1}, auth=AUTH, timeout=5),
        "delete property": requests.delete(f"{issue}/properties/okrsync.status", auth=AUTH, timeout=5),
        "comment": requests.post(f"{issue}/comment", json={"body": "Check-in"}, auth=AUTH, timeout=5),
        "transition": requests.post(f"{issue}/transitions", json={"transition": {"id": "3"}}, auth=AUTH, timeout=5),
        "add remote link": requests.post(f"{issue}/remotelink", json=link, auth=AUTH, timeout=5),
        "delete remote link": requests.delete(
            f"{issue}/remotelink", params={"globalId": "okr=1"}, auth=AUTH, timeout=5
        ),
    }


def test_refused_writes_answer_403_with_jiras_body_and_reads_still_work(cloud: Running) -> None:
    cloud.emulator.faults.configure({"refuse_write_keys": ["PAY-2"]})
    for reference in ("PAY-2", "pay-2", cloud.emulator.site.issue("PAY-2").id):
        for write, response in _writes(cloud.url, reference).items():
            assert response.status_code == 403, (reference, write, response.text)
            assert response.json() == {
                "errorMessages": ["You do not have permission to edit issues in this project."],
                "errors": {},
            }, (reference, write)
    jira = Jira(url=cloud.url, username=AUTH[0], password=AUTH[1], cloud=True)
    assert jira.issue("PAY-2")["fields"]["summary"] == "One-page checkout"  # nothing was written, reads work
    assert jira.get_issue_property_keys("PAY-2")["keys"] == []
    other = _writes(cloud.url, "PAY-3")
    assert [r.status_code for r in other.values()] == [204, 201, 204, 201, 204, 201, 204]


def test_refused_writes_can_answer_404_and_a_missing_issue_is_still_jiras_404(datacenter: Running) -> None:
    datacenter.emulator.faults.configure({"refuse_write_keys": ["PAY-4", "NOPE-1"], "refuse_write_status": 404})
    for write, response in _writes(datacenter.url, "PAY-4").items():
        assert (response.status_code, response.json()["errorMessages"]) == (404, ["Issue Does Not Exist"]), write
    missing = requests.put(
        f"{datacenter.url}/rest/api/2/issue/NOPE-1", json={"fields": {"summary": "x"}}, auth=AUTH, timeout=5
    )
    assert (missing.status_code, missing.json()["errorMessages"]) == (404, ["Issue Does Not Exist"])
    read = requests.get(f"{datacenter.url}/rest/api/2/issue/PAY-4/properties", auth=AUTH, timeout=5)
    assert read.status_code == 200
    datacenter.emulator.faults.configure({"refuse_write_keys": []})
    assert _writes(datacenter.url, "PAY-4")["edit"].status_code == 204


# ---------------------------------------------------------------------------- Jira's clock


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def test_clock_offset_moves_the_stamps_of_changes_and_their_webhooks(cloud: Running, receiver) -> None:
    register = {"name": "clock", "url": receiver.url, "events": ["jira:issue_updated", "comment_created"]}
    assert requests.post(f"{cloud.url}/rest/webhooks/1.0/webhook", json=register, auth=AUTH, timeout=5).ok
    jira = Jira(url=cloud.url, username=AUTH[0], password=AUTH[1], cloud=True)
    before = _stamp(jira.issue("PAY-4")["fields"]["updated"])
    cloud.emulator.faults.configure({"clock_offset_s": -3600})
    jira.issue_update("PAY-4", fields={"summary": "Edited after the clock went back"})
    jira.issue_add_comment("PAY-4", "Commented after the clock went back")
    now = datetime.now(UTC)
    issue = jira.issue("PAY-4", expand="changelog")
    updated = _stamp(issue["fields"]["updated"])
    assert timedelta(minutes=59) < now - updated < timedelta(minutes=61)
    assert updated > before  # PAY-4 was last touched ten days ago in the scenario
    assert abs(_stamp(issue["changelog"]["histories"][-1]["created"]) - updated) < timedelta(seconds=5)
    comment = issue["fields"]["comment"]["comments"][-1]
    assert abs(_stamp(comment["created"]) - updated) < timedelta(seconds=5) and comment["updated"] == comment["created"]
    bodies = [d["json"] for d in receiver.wait_for(3)]
    edited = next(b for b in bodies if b.get("issue_event_type_name") == "issue_updated")
    assert abs(_stamp(edited["issue"]["fields"]["updated"]) - (now - timedelta(hours=1))) < timedelta(minutes=1)
    assert abs(edited["timestamp"] / 1000 - (now - timedelta(hours=1)).timestamp()) < 60

    cloud.emulator.faults.configure({"clock_offset_s": 7200})  # a timestamp in the future
    jira.issue_update("PAY-4", fields={"summary": "Edited by a clock running ahead"})
    ahead = _stamp(jira.issue("PAY-4")["fields"]["updated"]) - datetime.now(UTC)
    assert timedelta(minutes=119) < ahead < timedelta(minutes=121)
    server_time = _stamp(jira.get_server_info()["serverTime"]) - datetime.now(UTC)
    assert timedelta(minutes=119) < server_time < timedelta(minutes=121)


# ---------------------------------------------------------------------------- failing searches


def test_searches_whose_jql_holds_a_listed_text_fail_every_time(cloud: Running) -> None:
    cloud.emulator.faults.configure({"fail_search_jql": ['"Payment"', "labels = ledger"]})
    failing, fine = 'project = PAY AND summary ~ "Payment"', "project = PAY AND labels = checkout"
    url = f"{cloud.url}/rest/api/3/search"
    for _ in range(3):
        answers = [
            requests.get(f"{url}/jql", params={"jql": failing}, auth=AUTH, timeout=5),
            requests.post(f"{url}/jql", json={"jql": failing}, auth=AUTH, timeout=5),
            requests.post(
                f"{url}/approximate-count", json={"jql": "project = PAY AND labels = ledger"}, auth=AUTH, timeout=5
            ),
        ]
        assert [a.status_code for a in answers] == [500, 500, 500]
        assert all(a.json()["errors"] == {} and "fail_search_jql" in a.json()["errorMessages"][0] for a in answers)
    jira = Jira(url=cloud.url, username=AUTH[0], password=AUTH[1], cloud=True)
    assert [i["key"] for i in jira.enhanced_jql(fine, fields="key")["issues"]] == ["PAY-2", "PAY-3"]
    assert requests.post(f"{url}/approximate-count", json={"jql": fine}, auth=AUTH, timeout=5).json() == {"count": 2}


def test_failing_searches_on_data_center_use_the_configured_status(datacenter: Running) -> None:
    datacenter.emulator.faults.configure({"fail_search_jql": ["OPS"], "fail_search_status": 503})
    for api in ("2", "3"):
        url = f"{datacenter.url}/rest/api/{api}/search"
        assert requests.get(url, params={"jql": "project = OPS"}, auth=AUTH, timeout=5).status_code == 503
        assert requests.post(url, json={"jql": "project = OPS"}, auth=AUTH, timeout=5).status_code == 503
    jira = Jira(url=datacenter.url, username="admin", password="x")
    assert jira.jql("project = PAY", fields="key")["total"] == 5
    datacenter.emulator.faults.configure({"fail_search_jql": []})
    assert jira.jql("project = OPS", fields="key")["total"] == 1


# ---------------------------------------------------------------------------- webhook API


def test_without_the_webhook_api_its_paths_answer_404(datacenter: Running) -> None:
    root = f"{datacenter.url}/rest/webhooks/1.0/webhook"
    hook = {"name": "okrsync", "url": "https://example.com/hook", "events": ["jira:issue_updated"]}
    created = requests.post(root, json=hook, auth=AUTH, timeout=5)
    assert created.status_code == 201
    datacenter.emulator.faults.configure({"webhook_api": False})
    answers = [
        requests.get(root, auth=AUTH, timeout=5),
        requests.post(root, json=hook, auth=AUTH, timeout=5),
        requests.get(created.json()["self"], auth=AUTH, timeout=5),
        requests.delete(created.json()["self"], auth=AUTH, timeout=5),
        requests.get(f"{datacenter.url}/rest/api/2/webhook", auth=AUTH, timeout=5),
    ]
    assert [a.status_code for a in answers] == [404] * 5
    assert answers[0].json() == {"message": f"null for uri: {root}", "status-code": 404}
    assert requests.get(f"{datacenter.url}/rest/api/2/issue/PAY-1", auth=AUTH, timeout=5).status_code == 200
    datacenter.faults(webhook_api="true")  # the control endpoint takes text too
    assert [h["name"] for h in requests.get(root, auth=AUTH, timeout=5).json()] == ["okrsync"]


def test_list_and_boolean_knobs_are_coerced_or_refused() -> None:
    knobs = updated_knobs(
        Knobs(),
        {
            "refuse_write_keys": "SHOP-1, SHOP-2",
            "fail_search_jql": ["a, b", 'c = "d"'],
            "webhook_api": "off",
            "clock_offset_s": "-3600",
        },
    )
    assert knobs.refuse_write_keys == ["SHOP-1", "SHOP-2"] and knobs.fail_search_jql == ["a, b", 'c = "d"']
    assert knobs.webhook_api is False and knobs.clock_offset_s == -3600.0
    assert updated_knobs(Knobs(), {"webhook_api": 1}).webhook_api is True
    with pytest.raises(KnobError, match="'webhook_api' expects true or false"):
        updated_knobs(Knobs(), {"webhook_api": "maybe"})
    with pytest.raises(KnobError, match="'refuse_write_keys' expects a list of str"):
        updated_knobs(Knobs(), {"refuse_write_keys": [{"key": "SHOP-1"}]})
    with pytest.raises(KnobError, match="'webhook_retry_delays_s' expects a list of float"):
        updated_knobs(Knobs(), {"webhook_retry_delays_s": "soon"})

"""Problem programs in `create` mode open one action point per candidate cluster, linked to its
problems, however often the webhooks that made the cluster a candidate arrive."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from sync import action_points
from sync.action_points import AP_PROPERTY, CLAIM_IN_FLIGHT_SECONDS, assignee_field, creating_claim, creating_since
from sync.dirty import DIRTY
from sync.flush import flush
from tests.conftest import run_worker
from webhooks.events import sign

PLATFORM: dict[str, Any] = {
    "users": [{"name": "admin", "accountId": "5b10a2844c20165700ede21g", "email": "admin@acme.example"}],
    "projects": [{"key": "PLAT", "name": "Platform", "components": ["deploy", "search"]}],
    "issues": [
        {
            "key": "PLAT-1",
            "type": "Task",
            "summary": "Old finding",
            "labels": ["retro-finding"],
            "components": ["search"],
            "created": "-100d",
        }
    ],
}
PROGRAM_CONFIG = """
cycles: [{id: now, start: START, end: END}]
okr_sets: []
problem_programs:
  - id: platform
    name: Platform problem reverse-drive
    window: 56d
    sources:
      - {id: retro, name: Retrospective findings, jql: project = PLAT AND labels = retro-finding, owner: "5b10a2844c20165700ede21g"}
      - {id: interruptions, name: R&D interruptions, jql: project = PLAT AND labels = interruption}
    classify:
      labels: {system: problem-system, mechanism: problem-mechanism, people: problem-people}
    theme: component
    threshold: 9
    action_points: {mode: create, project: PLAT, issuetype: Task, label: action-point, due_in: 14d}
"""  # noqa: E501


@pytest.fixture()
def scenario() -> dict[str, Any]:
    return PLATFORM


@pytest.fixture()
def config_text() -> str:
    return PROGRAM_CONFIG


def _create_problem(jira, number: int) -> str:
    created = jira.create_issue(
        {
            "project": {"key": "PLAT"},
            "issuetype": {"name": "Task"},
            "summary": f"Deploy rolled back again ({number})",
            "priority": {"name": "High"},
            "labels": ["retro-finding", "problem-system"],
            "components": [{"name": "deploy"}],
        }
    )
    return str(created["key"])


def _action_points(jira) -> list[dict[str, Any]]:
    return list(
        jira.search(
            "project = PLAT AND labels = action-point",
            fields=["summary", "issuelinks", "duedate", "assignee", "description"],
        )
    )


def test_a_candidate_gets_exactly_one_linked_action_point(stack, connection) -> None:
    emulator, jira = stack["emulator"], stack["jira"]
    problems = [_create_problem(jira, n) for n in range(3)]  # 3 × impact 4 (High) = 12 ≥ 9
    assert emulator.dispatcher.wait_idle(timeout=10)
    last = list(emulator.dispatcher.recent)[-1]
    print("the last delivery is replayed twice more, as a Jira retry would:", last.identifier)
    for _ in range(2):
        _replay(stack, last.body, last.identifier)
    run_worker(connection)
    run_worker(connection)  # the AP's own webhooks come back; nothing more is opened

    aps = _action_points(jira)
    assert len(aps) == 1, [a["key"] for a in aps]
    fields = aps[0]["fields"]
    assert fields["summary"] == "System problems keep recurring in deploy"
    linked = {link.get("inwardIssue", link.get("outwardIssue", {})).get("key") for link in fields["issuelinks"]}
    assert linked == set(problems)
    assert fields["duedate"] and "frequency 3 × impact 4" in str(fields["description"])
    assert fields["assignee"]["accountId"] == "5b10a2844c20165700ede21g"

    _create_problem(jira, 4)  # the cluster grows while its AP is open: still one AP
    assert emulator.dispatcher.wait_idle(timeout=10)
    run_worker(connection)
    assert len(_action_points(jira)) == 1


def _replay(stack: dict[str, Any], body: bytes, identifier: str) -> None:
    """Send a recorded delivery to the service again, with its identifier and signature."""
    headers = {
        "X-Hub-Signature": sign(body, stack["env"]["OKRSYNC_WEBHOOK_SECRET"].encode()),
        "X-Atlassian-Webhook-Identifier": identifier,
        "Content-Type": "application/json",
    }
    answer = requests.post(f"{stack['url']}/webhooks/jira", data=body, headers=headers, timeout=5)
    assert answer.status_code == 200 and answer.json()["status"] == "duplicate"


def test_propose_mode_opens_nothing(stack, connection) -> None:
    runtime, jira = stack["runtime"], stack["jira"]
    text = connection.hget("okrsync:config", "text").decode().replace("mode: create", "mode: propose")
    runtime.config_store.apply(text, "okrs.yaml", "test", datetime.now(UTC))
    for number in range(3):
        _create_problem(jira, number)
    assert stack["emulator"].dispatcher.wait_idle(timeout=10)
    run_worker(connection)
    assert _action_points(jira) == []


@pytest.mark.parametrize(
    ("owner", "assigned"),
    [
        ("Admin@Acme.example", "5b10a2844c20165700ede21g"),
        ("nobody@acme.example", None),
        ("5b10a2844c2016570000dead", None),
    ],  # Jira refuses it: 400
    ids=["known e-mail", "unknown e-mail", "account Jira refuses"],
)
def test_an_owner_is_assigned_when_jira_knows_them_and_the_ap_opened_anyway(stack, connection, owner, assigned) -> None:
    runtime, jira = stack["runtime"], stack["jira"]
    text = connection.hget("okrsync:config", "text").decode()
    assert 'owner: "5b10a2844c20165700ede21g"' in text
    runtime.config_store.apply(
        text.replace('owner: "5b10a2844c20165700ede21g"', f'owner: "{owner}"'),
        "okrs.yaml",
        "test",
        datetime.now(UTC),
    )
    for number in range(3):
        _create_problem(jira, number)
    assert stack["emulator"].dispatcher.wait_idle(timeout=10)
    run_worker(connection)
    [ap] = _action_points(jira)
    assert (ap["fields"].get("assignee") or {}).get("accountId") == assigned
    assert f"Owner (from the problem source): {owner}" in str(ap["fields"]["description"])


class CloudHidingAddresses:
    """Jira Cloud's user search where privacy settings hide e-mail addresses (the emulator always
    shows them): the users a search by address found, as Jira lists them."""

    def __init__(self, *users: dict[str, str]) -> None:
        self.users = list(users)

    def find_users(self, text: str) -> list[dict[str, str]]:
        return self.users


def test_an_address_cloud_hides_is_taken_only_from_a_single_user_found() -> None:
    owner = "dana@acme.example"
    assert assignee_field(CloudHidingAddresses({"accountId": "a-1", "displayName": "Dana"}), owner) == {
        "accountId": "a-1"
    }
    assert assignee_field(CloudHidingAddresses({"accountId": "a-1"}, {"accountId": "a-2"}), owner) is None
    assert assignee_field(CloudHidingAddresses({"accountId": "a-1", "emailAddress": "dan@acme.example"}), owner) is None
    assert assignee_field(CloudHidingAddresses({"name": "dana", "emailAddress": "Dana@acme.example"}), owner) == {
        "name": "dana"
    }


class SiteOfFlavor:
    """A Jira port that knows only its flavour (an owner that is not an e-mail is not looked up)."""

    def __init__(self, flavor: str) -> None:
        self.flavor = flavor

    def find_users(self, text: str) -> list[dict[str, str]]:
        raise AssertionError("an owner that is not an e-mail is not looked up")


def test_an_owner_written_as_an_id_is_an_account_id_on_cloud_and_a_user_name_on_data_center() -> None:
    assert assignee_field(SiteOfFlavor("cloud"), "5b10a2844c20165700ede21g") == {
        "accountId": "5b10a2844c20165700ede21g"
    }
    assert assignee_field(SiteOfFlavor("datacenter"), "jdoe") == {"name": "jdoe"}
    assert assignee_field(SiteOfFlavor("datacenter"), None) is None


def _claim(connection) -> tuple[str, str]:
    (claim,) = [key.decode() for key in connection.scan_iter("okrsync:ap-claim:platform/*")]
    return claim, connection.get(claim).decode()


def test_an_ap_keeps_its_claim_in_a_property_and_its_description_for_people(stack, connection) -> None:
    jira = stack["jira"]
    for number in range(3):
        _create_problem(jira, number)
    assert stack["emulator"].dispatcher.wait_idle(timeout=10)
    run_worker(connection)
    [ap] = _action_points(jira)
    assert "okrsync" not in str(ap["fields"]["description"])  # no marker among the words people read
    assert jira.get_property(ap["key"], AP_PROPERTY) == {
        "claim": "platform/system/deploy",
        "program": "platform",
        "cluster": {"category": "system", "theme": "deploy"},
    }
    assert _claim(connection)[1] == ap["key"]


def test_a_worker_that_stopped_between_creating_and_recording_an_ap_opens_no_second(
    stack, connection, monkeypatch
) -> None:
    """The worker created the AP and stopped before recording it or linking the problems: its claim
    says "creating" since then. Once that is longer ago than a creation can take, a flush finds the AP
    in Jira by its property, records it and links it; no second AP is opened."""
    jira, runtime = stack["jira"], stack["runtime"]
    problems = [_create_problem(jira, number) for number in range(3)]
    assert stack["emulator"].dispatcher.wait_idle(timeout=10)
    monkeypatch.setattr(action_points, "_record", lambda *arguments, **named: None)  # it stops here
    run_worker(connection)
    [ap] = _action_points(jira)
    claim, held = _claim(connection)
    assert creating_since(held) is not None and ap["fields"]["issuelinks"] == []
    connection.sadd(DIRTY, "*")
    flush(runtime)  # a flush soon after: the creation may still be under way, nothing is done
    assert len(_action_points(jira)) == 1 and _claim(connection)[1] == held
    monkeypatch.undo()

    connection.set(claim, creating_claim(time.time() - CLAIM_IN_FLIGHT_SECONDS - 1))  # that was long ago
    connection.sadd(DIRTY, "*")
    flush(runtime)
    [found] = _action_points(jira)
    assert found["key"] == ap["key"] and _claim(connection)[1] == ap["key"]
    linked = {
        link.get("inwardIssue", link.get("outwardIssue", {})).get("key") for link in found["fields"]["issuelinks"]
    }
    assert linked == set(problems)


def test_a_creation_that_never_reached_jira_is_made_once_its_claim_is_stale(stack, connection) -> None:
    jira = stack["jira"]
    for number in range(3):
        _create_problem(jira, number)
    assert stack["emulator"].dispatcher.wait_idle(timeout=10)
    claim = "okrsync:ap-claim:platform/system/deploy"
    connection.set(claim, creating_claim(time.time() - CLAIM_IN_FLIGHT_SECONDS - 1))  # its worker died before Jira
    run_worker(connection)
    [ap] = _action_points(jira)
    assert connection.get(claim).decode() == ap["key"] and len(ap["fields"]["issuelinks"]) == 3

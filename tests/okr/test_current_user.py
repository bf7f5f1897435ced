"""currentUser() is the service's own Jira account: given to the pure evaluation as ``current_user``
and to ``okrsync evaluate`` as ``--user``; without it currentUser() matches no one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mapping.loader import load_config_document
from okr.evaluate import evaluate_config, evaluation_input
from okr.live import IndexedMirror
from okrsync.cli import main

AT = datetime(2026, 11, 15, 12, tzinfo=UTC)
BOT = "5b10ac8d82e05b22cc7d4ef5"  # the service's account id (Cloud)
METRICS = {
    "mine": {"description": "issues assigned to the service", "jql": "project = OPS AND assignee = currentUser()"},
    "not_mine": {"description": "assigned to someone else", "jql": "project = OPS AND NOT assignee = currentUser()"},
    "mine_share": {
        "description": "share assigned to the service",
        "aggregate": "ratio",
        "jql": "project = OPS",
        "numerator_jql": "assignee in (currentUser())",
    },
}
DOCUMENT: dict[str, Any] = {
    "cycles": [{"id": "Q4", "start": "2026-10-01", "end": "2026-12-31"}],
    "metrics": METRICS,
    "okr_sets": [
        {
            "id": "s",
            "name": "S",
            "cycle": "Q4",
            "objectives": [
                {
                    "id": "O1",
                    "title": "t",
                    "key_results": [
                        {"id": f"KR{n}", "title": f"k{n}", "metric": metric, "baseline": 0, "target": 10}
                        for n, metric in enumerate(METRICS, 1)
                    ],
                }
            ],
        }
    ],
}
CONFIG = load_config_document(DOCUMENT)
ASSIGNEES = [BOT, BOT, "5b109f2e9729b51b54dc274d", None]  # two the service's, one someone else's, one unassigned


def _documents() -> list[dict[str, Any]]:
    return [
        {
            "key": f"OPS-{n}",
            "id": str(10000 + n),
            "project": "OPS",
            "issuetype": "Task",
            "labels": [],
            "components": [],
            "statusCategory": "new",
            "created": "2026-11-01T00:00:00.000Z",
            "custom": {},
            "assignee": assignee,
        }
        for n, assignee in enumerate(ASSIGNEES, 1)
    ]


def _currents(report: dict[str, Any]) -> dict[str, Any]:
    return {kr["metric"]: kr["current"] for o in report["okr_sets"][0]["objectives"] for kr in o["key_results"]}


def test_without_a_current_user_current_user_matches_no_one() -> None:
    given = evaluation_input(AT, CONFIG, _documents())
    assert given.current_user is None and given.jql_context.current_user is None
    assert _currents(evaluate_config(CONFIG, given)) == {"mine": 0, "not_mine": 3, "mine_share": 0}


@pytest.mark.parametrize("user", [BOT, BOT.upper()])
def test_current_user_is_the_account_given_to_the_evaluation(user: str) -> None:
    given = evaluation_input(AT, CONFIG, _documents(), current_user=user)
    assert given.jql_context.current_user == user
    assert _currents(evaluate_config(CONFIG, given)) == {"mine": 2, "not_mine": 1, "mine_share": 50}


def test_a_long_lived_mirror_gives_the_same_numbers_for_the_current_user() -> None:
    documents = _documents()
    live = IndexedMirror(CONFIG.zone, {}, documents)
    kept = evaluate_config(CONFIG, evaluation_input(AT, CONFIG, live.documents(), live=live, current_user=BOT))
    passed = evaluate_config(CONFIG, evaluation_input(AT, CONFIG, documents, current_user=BOT))
    assert _currents(kept) == _currents(passed) == {"mine": 2, "not_mine": 1, "mine_share": 50}
    assert live.matching("assignee = currentUser()", AT) is None  # who asks is the evaluation's: not kept
    nobody = evaluate_config(CONFIG, evaluation_input(AT, CONFIG, live.documents(), live=live))
    assert _currents(nobody) == {"mine": 0, "not_mine": 3, "mine_share": 0}


# --- okrsync evaluate --user ------------------------------------------------------------------------------


def _issue(n: int, assignee: str | None) -> dict[str, Any]:
    return {
        "id": str(10000 + n),
        "key": f"OPS-{n}",
        "fields": {
            "project": {"key": "OPS"},
            "issuetype": {"name": "Task"},
            "status": {"name": "To Do", "statusCategory": {"key": "new"}},
            "labels": [],
            "components": [],
            "created": "2026-11-01T00:00:00.000+0000",
            "assignee": {"accountId": assignee} if assignee else None,
        },
    }


@pytest.fixture()
def files(tmp_path: Path) -> list[str]:
    (tmp_path / "okrs.yaml").write_text(yaml.safe_dump(DOCUMENT))
    (tmp_path / "issues.jsonl").write_text("".join(json.dumps(_issue(n, a)) + "\n" for n, a in enumerate(ASSIGNEES, 1)))
    return [
        "evaluate",
        "--config",
        str(tmp_path / "okrs.yaml"),
        "--issues",
        str(tmp_path / "issues.jsonl"),
        "--at",
        "2026-11-15T12:00:00Z",
        "--json",
    ]


def test_evaluate_command_without_user_counts_no_issue_as_the_current_users(files: list[str]) -> None:
    result = CliRunner().invoke(main, files)
    assert result.exit_code == 0, result.output
    assert _currents(json.loads(result.output)) == {"mine": 0, "not_mine": 3, "mine_share": 0}


def test_evaluate_command_with_user_counts_the_issues_assigned_to_it(files: list[str]) -> None:
    result = CliRunner().invoke(main, files + ["--user", BOT])
    assert result.exit_code == 0, result.output
    assert _currents(json.loads(result.output)) == {"mine": 2, "not_mine": 1, "mine_share": 50}


def test_evaluate_command_refuses_a_blank_user(files: list[str]) -> None:
    result = CliRunner().invoke(main, files + ["--user", " "])
    assert result.exit_code == 2 and "--user" in result.output and "an empty user" in result.output
    assert "Traceback" not in result.output

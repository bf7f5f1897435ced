"""The admin problem review's order and words (pure), and the page over a real evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import redis
from flask.testing import FlaskClient

from okrsync.admin.context import admin_context
from okrsync.admin.document import apply_config_text
from okrsync.admin.problem_view import keys_of, problem_review, review_order
from okrsync.app import create_app
from okrsync.settings import Settings
from sync.documents import issue_document
from sync.mirror import RedisMirror
from tests.okrsync.admin.conftest import config_text, jira_issue, recompute
from tests.okrsync.admin.test_pages import sign_in

JIRA = "https://jira.example.com"


def cluster(category: str, score: float, candidate: bool = False) -> dict[str, object]:
    return {"category": category, "theme": "t", "score": score, "candidate": candidate, "problems": []}


def test_candidates_come_first_then_clusters_by_score_and_untriaged_last() -> None:
    clusters = [cluster("untriaged", 50), cluster("system", 4), cluster("people", 9), cluster("mechanism", 12, True)]
    assert [(c["category"], c["score"]) for c in review_order(clusters)] == [
        ("mechanism", 12),
        ("people", 9),
        ("system", 4),
        ("untriaged", 50),
    ]


def test_keys_link_to_jira_with_their_summaries_and_aps_carry_owner_due_and_status() -> None:
    result = {
        "clusters": [{**cluster("system", 6, True), "problems": ["PLAT-1"]}],
        "untriaged": ["PLAT-2"],
        "action_points": [{"key": "PLAT-9", "cluster": None, "flags": [], "effectiveness": None}],
    }
    issues = {
        "PLAT-1": {"summary": "Deploys fail on Fridays"},
        "PLAT-9": {"summary": "Freeze window", "assignee": "acc-1", "duedate": "2026-12-17", "status": "In Progress"},
    }
    assert keys_of(result) == ["PLAT-1", "PLAT-2", "PLAT-9"]
    review = problem_review(result, issues, {"acc-1": "Ana Ruiz"}, JIRA)
    assert review["clusters"][0]["issues"] == [
        {"key": "PLAT-1", "url": f"{JIRA}/browse/PLAT-1", "summary": "Deploys fail on Fridays"}
    ]
    assert review["untriaged"] == [{"key": "PLAT-2", "url": f"{JIRA}/browse/PLAT-2", "summary": None}]
    ap = review["action_points"][0]
    assert (ap["owner"], ap["due"], ap["status"], ap["summary"]) == (
        "Ana Ruiz",
        "17 Dec 2026",
        "In Progress",
        "Freeze window",
    )
    assert problem_review(result, {}, {}, None)["action_points"][0]["url"] is None


PROGRAM = """\
problem_programs:
  - id: shop-problems
    name: Shop problems
    window: 30d
    review_every: 14d
    sources:
      - {id: retro, name: Retro findings, jql: project = SHOP AND labels = retro}
    classify:
      labels: {system: problem-system, mechanism: problem-mechanism, people: problem-people}
    theme: component
    impact: {default: 3}
    threshold: 6
    action_points: {mode: propose, project: SHOP, issuetype: Task, label: action-point}
"""


def test_the_page_lists_clusters_in_review_order_with_linked_keys_and_the_ap_table(
    api: FlaskClient, admin_settings: Settings, connection: redis.Redis
) -> None:
    runtime = admin_context(admin_settings, connection).runtime
    apply_config_text(runtime, config_text() + PROGRAM, "alice", source="okrs.yaml")
    now = datetime.now(UTC)
    issues = [jira_issue(f"SHOP-{n}", "Bug", now - timedelta(days=n), ["retro", "problem-system"]) for n in (1, 2)]
    issues += [jira_issue(f"SHOP-{n}", "Bug", now - timedelta(days=1), ["retro"]) for n in (5, 6, 7)]
    mirror = RedisMirror(connection)
    for issue in issues:
        mirror.upsert(issue_document(issue), 1)
    recompute(connection)
    client = create_app(admin_settings.model_copy(update={"jira_url": JIRA}), connection=connection).test_client()
    sign_in(client)
    page = client.get("/admin/problems").data.decode()
    assert "Clusters (candidates first, then by score, untriaged last)" in page
    link = f'<a href="{JIRA}/browse/SHOP-1">SHOP-1</a> <span class="muted">Bug SHOP-1</span>'
    assert link in page
    print(page[page.index("<h3>Clusters") : page.index("Action-point backlog")])
    assert "<th>Owner</th><th>Due</th><th>Status</th>" in page

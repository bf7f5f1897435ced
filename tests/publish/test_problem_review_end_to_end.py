"""Dated problem reviews end to end: the emulator's Jira and Confluence, a real worker and scheduler. The
first review is a dated child page of the program's page; a problem raised in Jira after it is the only
"new" one of the next review, whose "since" is the previous review's time (not a rolling window); an
action point overdue more than `escalate_after` is escalated to the program owner, by display name."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from okrsync.local_stack import LocalStack
from publish.confluence import formatting as fmt
from publish.confluence.regions import page_regions
from sync.problem_reviews import run_problem_reviews
from sync.review_records import latest_review
from sync.runtime import forget_runtimes
from tests.conftest import QUEUE
from tests.publish.stack import CONFIG, INTERVAL, SCENARIO, _edit_hook, wait_for
from tests.support.stack import pages_options
from tests.support.waiting import settle

OWNER = SCENARIO["users"][0]  # Site Admin
PROGRAM = f"""
problem_programs:
  - id: platform
    name: Platform reverse-drive
    window: 56d
    review_every: 14d
    owner: {OWNER["accountId"]}
    sources:
      - {{id: retro, name: Retro findings, jql: project = SHOP AND labels = retro}}
    classify:
      labels: {{system: problem-system, mechanism: problem-mechanism, people: problem-people}}
    threshold: 6
    action_points: {{project: SHOP, label: action-point}}
    confluence: {{space: OKR, title: Problem review, parent: OKRs}}
"""
EARLIER = {
    "key": "SHOP-12",
    "type": "Task",
    "summary": "Deploy froze during the sale",
    "labels": ["retro", "problem-system"],
    "created": "-5d",
}


@pytest.fixture()
def stack(connection: redis.Redis, tmp_path: Path) -> Iterator[dict[str, Any]]:
    scenario = {**SCENARIO, "issues": [*SCENARIO["issues"], EARLIER]}
    options = pages_options(scenario, CONFIG + PROGRAM, connection, tmp_path, INTERVAL, _edit_hook)
    try:
        with LocalStack(options) as local:
            yield {"local": local, "runtime": local.runtime, "log": options.log}
    finally:
        forget_runtimes()


def _regions(page: Any) -> dict[str, str]:
    return {name: html.unescape(markup) for name, markup in page_regions(page.body).items()}


def _page(runtime: Any, title: str) -> Any:
    return runtime.confluence.find_page("OKR", title)


def _first_review(runtime: Any) -> dict[str, Any]:
    """Today's review, written by this process or by the stack's own scheduler (due at once: none yet)."""
    wait_for(lambda: _page(runtime, "Problem review"), what="the program's page")
    (run,) = run_problem_reviews(runtime, "platform", force=True)
    assert run.outcome in ("created", "already"), run.sentence()
    record: dict[str, Any] = wait_for(lambda: latest_review(runtime.redis, "platform"), what="the review's record")
    return record


def test_the_next_review_counts_new_problems_from_the_previous_reviews_time(stack, connection) -> None:
    runtime, local = stack["runtime"], stack["local"]
    first = _first_review(runtime)
    first_page = wait_for(lambda: _page(runtime, f"Problem review — {first['day']}"), what="the first dated review")
    assert first_page.parent_id == _page(runtime, "Problem review").id
    regions = _regions(first_page)
    assert "The program's first review: new problems count from" in regions["header"]
    assert "SHOP-12" in regions["review-new"]  # created 5 days ago: within one review_every back

    today = datetime.now(UTC).date()
    raised = runtime.jira.create_issue(
        {
            "project": {"key": "SHOP"},
            "issuetype": {"name": "Task"},
            "summary": "Refunds stuck in the queue",
            "labels": ["retro", "problem-people"],
        }
    )
    runtime.jira.create_issue(
        {
            "project": {"key": "SHOP"},
            "issuetype": {"name": "Task"},
            "summary": "Freeze-proof deploys",
            "labels": ["action-point"],
            "duedate": f"{today - timedelta(days=10):%Y-%m-%d}",
        }
    )
    settle(connection, local.emulator, queue_name=QUEUE)

    then = datetime.fromisoformat(first["at"]) + timedelta(days=14)
    (run,) = run_problem_reviews(runtime, "platform", now=then)  # due: review_every has passed
    assert run.outcome == "created", run.sentence()
    second = latest_review(runtime.redis, "platform")
    assert second is not None and second["day"] == f"{then:%Y-%m-%d}" and second["since"] == first["at"]
    assert second["new"] == [raised["key"]]  # only the problem raised after the first review
    page = _page(runtime, f"Problem review — {then:%Y-%m-%d}")
    regions = _regions(page)
    since = fmt.local_time(datetime.fromisoformat(first["at"]), UTC)
    assert f"New problems count from the previous review ({since})" in regions["header"]
    assert (
        f"New since the last review ({fmt.local_day(datetime.fromisoformat(first['at']), UTC)})"
        in regions["review-new"]
    )
    assert "Refunds stuck in the queue" in regions["review-new"] and "SHOP-12" not in regions["review-new"]
    overdue = (date.fromisoformat(second["day"]) - (today - timedelta(days=10))).days
    assert f"overdue {overdue} days" in regions["review-escalations"]
    assert f"escalated to {OWNER['displayName']}" in regions["review-escalations"]
    assert [r.outcome for r in run_problem_reviews(runtime, "platform", now=then, force=True)] == ["already"]
    assert "Traceback" not in stack["log"].read_text()

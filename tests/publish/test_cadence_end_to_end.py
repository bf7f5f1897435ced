"""The rituals end to end: the emulator's Jira and Confluence, a real worker and scheduler. Whoever runs
a ritual (the stack's own scheduler, this process as a second one, a run after lost claims) there is
one digest and one review under the set's page; a person's decisions stay; owners show by name; the
close page keeps the learnings people wrote through `close --again`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from okrsync.local_stack import LocalStack
from publish.confluence.cadence_pages import DECISIONS
from publish.confluence.close_page import LEARNED
from publish.confluence.regions import page_regions
from sync import keys
from sync.cadence import run_due_rituals, run_rituals
from sync.close import close_cycle
from sync.close_page import write_close_pages
from sync.runtime import forget_runtimes
from tests.publish.stack import CONFIG, INTERVAL, SCENARIO, _edit_hook, wait_for
from tests.support.stack import pages_options

KNOWN, UNKNOWN = "5b10a2844c20165700ede21g", "5b10ffff0000000000dead01"  # the scenario's admin, and nobody
OWNED = CONFIG.replace(
    "          - id: KR1\n",
    f"          - id: KR1\n            owner: [{KNOWN}, {UNKNOWN}]\n            roles: {{accountable: {KNOWN}}}\n",
)
DECIDED = "<p>Decided: one more QA engineer for payments from next month.</p>"


@pytest.fixture()
def stack(connection: redis.Redis, tmp_path: Path) -> Iterator[dict[str, Any]]:
    options = pages_options(SCENARIO, OWNED, connection, tmp_path, INTERVAL, _edit_hook)
    try:
        with LocalStack(options) as local:
            yield {"runtime": local.runtime, "confluence": local.runtime.confluence, "log": options.log}
    finally:
        forget_runtimes()


def titled(stack: dict[str, Any], title: str) -> Any:
    return stack["confluence"].find_page("OKR", title)


def test_one_digest_and_one_review_under_the_set_page_whoever_runs_them(stack) -> None:
    runtime = stack["runtime"]
    set_page = wait_for(lambda: titled(stack, "Shop OKRs"), what="the set page")
    wait_for(lambda: "Site Admin" in set_page_body(stack), what="owners by name on the set page")
    for ritual in ("weekly", "monthly"):
        (run,) = run_rituals(runtime, ritual)  # this process, beside the stack's own scheduler
        assert run.outcome in ("created", "already", "exists"), run.sentence()
        assert [r.outcome for r in run_rituals(runtime, ritual)] == ["already"]
    week, month = run_rituals(runtime, "weekly")[0].period, run_rituals(runtime, "monthly")[0].period
    digest = wait_for(lambda: titled(stack, f"Shop OKRs — week {week}"), what="the digest")
    review = wait_for(lambda: titled(stack, f"Shop OKRs — review {month}"), what="the review")
    assert digest.parent_id == set_page.id and review.parent_id == set_page.id
    assert run_due_rituals(runtime) == []  # a second scheduler finds both written
    assert list(page_regions(digest.body))[:2] == ["header", "digest-moved"]
    roles = page_regions(review.body)["review-roles"]
    assert "Site Admin (accountable)" in roles and f"{UNKNOWN} (unknown user)" in roles


def test_a_persons_decisions_stay_through_lost_claims_and_flushes(stack) -> None:
    runtime, confluence = stack["runtime"], stack["confluence"]
    wait_for(lambda: "<td>40% → 20% → 10%</td>" in set_page_body(stack), what="the set page at 20%")
    (run,) = run_rituals(runtime, "monthly")
    title = f"Shop OKRs — review {run.period}"
    review = wait_for(lambda: titled(stack, title), what="the review")
    heading = f"<h2>{DECISIONS}</h2>"
    assert heading in review.body
    confluence.update_page(review, review.body.replace(f"{heading}<p />", heading + DECIDED), "a person's decisions")
    for claim in runtime.redis.scan_iter(f"{keys.CADENCE_CLAIM_PREFIX}*"):
        runtime.redis.delete(claim)  # as if Redis had lost them: the page's title still guards the month
    assert [r.outcome for r in run_rituals(runtime, "monthly")] == ["exists"]
    runtime.jira.update_fields("SHOP-2", {"labels": []})  # a flush rewrites the set page, never the review
    wait_for(lambda: "<td>40% → 10% → 10%</td>" in set_page_body(stack), what="the flush to write the set page")
    kept = titled(stack, title)
    assert kept.version == review.version + 1 and DECIDED in kept.body
    assert len(confluence_titles(stack, title)) == 1
    assert "Traceback" not in stack["log"].read_text()


def set_page_body(stack: dict[str, Any]) -> str:
    found = titled(stack, "Shop OKRs")
    return found.body if found else ""


def confluence_titles(stack: dict[str, Any], title: str) -> list[Any]:
    found = titled(stack, title)
    return [found] if found else []


def test_the_close_page_keeps_the_learnings_through_close_again(stack) -> None:
    runtime, confluence = stack["runtime"], stack["confluence"]
    wait_for(lambda: "<td>40% → 20% → 10%</td>" in set_page_body(stack), what="the set page at 20%")
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # the cycle ends today
    close_cycle(runtime, "now", "e2e", now=tomorrow)
    (run,) = write_close_pages(runtime, now=tomorrow)
    assert (run.outcome, run.detail) == ("created", "Shop OKRs — close now"), run.sentence()
    page = titled(stack, "Shop OKRs — close now")
    assert page.parent_id == titled(stack, "Shop OKRs").id
    room = f"<h3>{LEARNED} (O1)</h3><p />"
    learned = "<p>Escaped defects fell once contract tests ran on every merge.</p>"
    confluence.update_page(page, page.body.replace(room, room.replace("<p />", learned)), "a person's learnings")
    close_cycle(runtime, "now", "e2e", again=True, now=tomorrow + timedelta(hours=1))
    (again,) = write_close_pages(runtime, now=tomorrow + timedelta(hours=1))
    assert again.outcome in ("refreshed", "already"), again.sentence()  # the stack's worker may have been first
    kept = wait_for(lambda: (p := titled(stack, "Shop OKRs — close now")) and "1 earlier close(s)" in p.body and p)
    assert learned in kept.body

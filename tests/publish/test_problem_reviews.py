"""Problem reviews as dated records and dated child pages: once per day, due every review_every, "new"
counted from the previous review, the clusters below the threshold and covered, escalations naming
the program owner; the program's own page counts new problems from the latest review too."""

from __future__ import annotations

from datetime import timedelta

import pytest

from okrsync.cadence_command import run_cadence
from okrsync.cli_errors import CommandSetupError
from publish.confluence.regions import page_regions
from sync.cadence import CadenceError
from sync.confluence_writer import publish_due_pages
from sync.problem_reviews import owed_problem_reviews, run_problem_reviews
from sync.review_records import latest_review
from tests.publish.sample import AT, CONFIG
from tests.publish.test_cadence import JiraUsers
from tests.publish.test_publish import later, publish

FIRST, SECOND = "Problem review — 2026-11-15", "Problem review — 2026-11-29"


@pytest.fixture()
def reviewed(page_runtime):
    text = CONFIG.replace("    review_every: 14d\n", "    review_every: 14d\n    owner: pm-lead\n")
    page_runtime.config_store.apply(text, "okrs.yaml", "test", AT)
    page_runtime.jira = JiraUsers({"pm-lead": "Pat Lead", "ops-lead": "Olu Ops"})
    publish(page_runtime)
    return page_runtime


def test_a_review_is_a_dated_page_under_the_program_page_once_a_day(reviewed, confluence) -> None:
    (run,) = run_problem_reviews(reviewed, now=AT, force=True)
    assert (run.outcome, run.detail) == ("created", FIRST)
    assert [r.outcome for r in run_problem_reviews(reviewed, now=AT + timedelta(hours=2), force=True)] == ["already"]
    page = confluence.titled(FIRST)
    assert page.parent_id == confluence.titled("Problem review").id and page.space == "PLAT"
    regions = page_regions(page.body)
    assert list(regions) == ["header", "review-new", "review-below", "review-covered", "review-escalations"]
    assert "first review: new problems count from 1 Nov 2026" in regions["header"]
    assert "PLAT-9" in regions["review-escalations"] and "escalated to Pat Lead" in regions["review-escalations"]
    assert "overdue 14 days (due 1 Nov)" in regions["review-escalations"]
    record = latest_review(reviewed.redis, "platform")
    assert record["day"] == "2026-11-15" and "PLAT-9" in record["escalations"]


def test_the_next_review_is_due_after_review_every_and_counts_from_the_previous(reviewed, confluence) -> None:
    run_problem_reviews(reviewed, now=AT, force=True)
    assert run_problem_reviews(reviewed, now=AT + timedelta(days=13)) == []  # not due yet
    assert owed_problem_reviews(reviewed, AT + timedelta(days=13)) == []
    assert owed_problem_reviews(reviewed, AT + timedelta(days=14)) == [("platform", "2026-11-29")]
    (run,) = run_problem_reviews(reviewed, now=AT + timedelta(days=14))
    assert run.outcome == "created"
    header = page_regions(confluence.titled(SECOND).body)["header"]
    assert "New problems count from the previous review (15 Nov 2026, 12:00 UTC)" in header
    assert "New since the last review (15 Nov 2026)" in page_regions(confluence.titled(SECOND).body)["review-new"]


def test_the_program_page_counts_new_problems_from_the_latest_review(reviewed, confluence) -> None:
    run_problem_reviews(reviewed, now=AT - timedelta(days=3), force=True)
    publish(reviewed, escaped=("SHOP-2",))  # inside the pages interval: pending
    publish_due_pages(reviewed, later())
    page = confluence.titled("Problem review")
    assert "problems created 12 Nov 2026 – 15 Nov 2026" in page_regions(page.body)["review"]


def test_bad_program_choices_are_one_sentence(reviewed) -> None:
    with pytest.raises(CadenceError, match="there is no problem program 'nope'"):
        run_problem_reviews(reviewed, "nope", now=AT)
    with pytest.raises(CommandSetupError, match="--program goes with `okrsync cadence problems`"):
        run_cadence(reviewed, "monthly", None, "platform")


def test_a_review_run_again_the_same_day_keeps_that_days_record(reviewed, confluence) -> None:
    from sync import keys

    run_problem_reviews(reviewed, now=AT, force=True)
    first = latest_review(reviewed.redis, "platform")
    for claim in reviewed.redis.scan_iter(f"{keys.CADENCE_CLAIM_PREFIX}*"):
        reviewed.redis.delete(claim)  # as if Redis had lost the claims: the page's title still guards the day
    (again,) = run_problem_reviews(reviewed, now=AT + timedelta(hours=2), force=True)
    assert again.outcome == "exists"
    assert latest_review(reviewed.redis, "platform") == first  # the next review still counts from the first time
    run_problem_reviews(reviewed, now=AT + timedelta(days=14))
    header = page_regions(confluence.titled(SECOND).body)["header"]
    assert "New problems count from the previous review (15 Nov 2026, 12:00 UTC)" in header

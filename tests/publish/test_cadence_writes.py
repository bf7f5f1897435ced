"""Every ritual page's latest write (and a failure since) is recorded where it is written, and Sync
health lists it: the weekly digest, the monthly review, the close page, the dated problem review."""

from __future__ import annotations

from datetime import timedelta

from okrsync.admin.health import collect_health
from sync.cadence import run_rituals
from sync.cadence_writes import PAGES, cadence_writes, record_failed, record_written
from sync.close import close_cycle
from sync.close_page import write_close_pages
from sync.confluence_writer import publish_due_pages
from sync.problem_reviews import run_problem_reviews
from tests.publish.sample import AT
from tests.publish.test_cadence import WEEK_TITLE
from tests.publish.test_close_page import CLOSED_AT, TITLE
from tests.publish.test_publish import later, publish


def _listed(runtime, kind: str) -> dict:
    (page,) = [p for p in collect_health(runtime.redis, runtime.config_store)["pages"] if p["kind"] == kind]
    return page


def test_the_weekly_digest_is_listed_with_its_write_time(page_runtime, confluence) -> None:
    publish(page_runtime)
    assert [p["kind"] for p in collect_health(page_runtime.redis, page_runtime.config_store)["pages"]] == [
        "okr_set",
        "problem_program",
    ]
    run_rituals(page_runtime, "weekly", now=AT)
    digest = _listed(page_runtime, "weekly_digest")
    assert (digest["id"], digest["space"], digest["title"]) == ("shop", "SHOP", WEEK_TITLE)
    assert (digest["written"], digest["written_at"], digest["failed_at"]) == (True, AT.isoformat(), None)


def test_a_failed_digest_keeps_the_last_write_and_says_why_until_the_next_write(page_runtime, confluence) -> None:
    publish(page_runtime)
    run_rituals(page_runtime, "weekly", now=AT)
    shop = confluence.titled("Shop OKRs")
    del confluence.pages[shop.id]
    later = AT + timedelta(days=7)
    (failed,) = run_rituals(page_runtime, "weekly", now=later)
    assert failed.outcome == "failed"
    digest = _listed(page_runtime, "weekly_digest")
    assert digest["title"] == WEEK_TITLE and digest["written_at"] == AT.isoformat()
    assert digest["failed_at"] == later.isoformat()
    assert digest["reason"].startswith("“Shop OKRs — week 2026-W47” not written: the set's page “Shop OKRs” is not")
    confluence.add("SHOP", "Shop OKRs", shop.body)
    run_rituals(page_runtime, "weekly", now=later)
    digest = _listed(page_runtime, "weekly_digest")
    assert (digest["title"], digest["failed_at"], digest["reason"]) == ("Shop OKRs — week 2026-W47", None, None)


def test_the_monthly_review_close_page_and_dated_review_are_listed_with_their_writes(page_runtime, confluence) -> None:
    publish(page_runtime)
    run_rituals(page_runtime, "monthly", now=AT)
    run_problem_reviews(page_runtime, now=AT, force=True)
    close_cycle(page_runtime, "2026-Q4", "alice", now=CLOSED_AT)
    write_close_pages(page_runtime, now=CLOSED_AT)
    recorded = {ritual: record["title"] for (_, ritual), record in cadence_writes(page_runtime.redis).items()}
    assert recorded == {
        "monthly": "Shop OKRs — review 2026-11",
        "problems": "Problem review — 2026-11-15",
        "close": TITLE,
    }
    assert _listed(page_runtime, "monthly_review")["written_at"] == AT.isoformat()
    assert _listed(page_runtime, "problem_review")["written_at"] == AT.isoformat()
    assert _listed(page_runtime, "close_page")["written_at"] == CLOSED_AT.isoformat()


def test_records_that_cannot_be_read_are_left_out(connection) -> None:
    connection.hset(PAGES, "shop/weekly", "not json")
    connection.hset(PAGES, "shop/monthly", "[1, 2]")
    record_failed(connection, "ops", "weekly", "Ops — week 2026-W49", "Confluence answered 503", AT)
    failure = {"failed_title": "Ops — week 2026-W49", "failed_at": AT.isoformat(), "reason": "Confluence answered 503"}
    assert cadence_writes(connection) == {("ops", "weekly"): failure}
    record_written(connection, "shop", "weekly", "Shop — week 2026-W49", None, AT)
    assert cadence_writes(connection)[("shop", "weekly")]["written_at"] == AT.isoformat()


def test_a_set_page_that_failed_says_why_until_it_is_written(page_runtime, confluence) -> None:
    confluence.down = True
    publish(page_runtime)
    page = _listed(page_runtime, "okr_set")
    assert page["failed_at"] is not None and page["written_at"] is None and page["reason"]
    confluence.down = False
    publish_due_pages(page_runtime, later())
    page = _listed(page_runtime, "okr_set")
    assert page["written_at"] is not None and (page["failed_at"], page["reason"]) == (None, None)

"""Publishing pages against a recording Confluence on the real Redis: create, coalesce, skip, 409."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from okr.evaluate import evaluate_config, evaluation_input
from okr.report import Report
from publish.confluence.regions import page_regions
from sync.confluence_writer import (
    MAX_ATTEMPTS,
    PENDING,
    REPORT,
    STATE,
    STATS,
    publish_due_pages,
    publish_pages,
    read_trends,
)
from sync.history import record_readings
from sync.runtime import Runtime
from tests.publish.fakes import FakeConfluence
from tests.publish.sample import AT, documents

PAGES_INTERVAL = 0.2  # seconds a page waits after its last write (the scheduler test)
PERSON = "<p>Decided on Monday: we stop the payment rewrite.</p>"


def publish(
    runtime: Runtime, escaped: tuple[str, ...] = ("SHOP-2", "SHOP-3"), use_mirror: bool = False
) -> dict[str, Any]:
    """Evaluate with these bugs labelled escaped and publish, as a flush does."""
    config = runtime.config_store.current()
    assert config is not None
    docs = [
        {**d, "labels": ["escaped"] if d["key"] in escaped else [label for label in d["labels"] if label != "escaped"]}
        if d["key"].startswith("SHOP-") and d["key"] != "SHOP-1"
        else d
        for d in documents()
    ]
    given = evaluation_input(AT, config, docs)
    report = evaluate_config(config, given)
    runtime.redis.set(REPORT, json.dumps(report, default=str))
    if use_mirror:
        for version, document in enumerate(docs, start=100):
            runtime.mirror.upsert(document, version)
    typed = Report.from_dict(report)
    record_readings(runtime.redis, config, typed, {"kind": "webhook"})
    publish_pages(runtime, config, typed, AT, given=None if use_mirror else given, trigger={"kind": "webhook"})
    return report


def stats(runtime: Runtime) -> dict[str, int]:
    return {k.decode(): int(float(v)) for k, v in runtime.redis.hgetall(STATS).items()}


def later(seconds: float = 31) -> datetime:
    return datetime.fromtimestamp(time.time() + seconds, UTC)


def test_the_first_sync_creates_both_pages_the_set_page_under_its_parent(page_runtime, confluence) -> None:
    publish(page_runtime)
    okrs, review = confluence.titled("Shop OKRs"), confluence.titled("Problem review")
    assert okrs.parent_id == confluence.titled("OKRs").id and okrs.space == "SHOP"
    assert (review.space, review.parent_id) == ("PLAT", None)
    assert list(page_regions(okrs.body)) == ["as-of", "summary", "objective-O1", "notes"]
    assert list(page_regions(review.body))[1:] == ["action-points", "effectiveness", "review", "candidates"]
    assert stats(page_runtime)["page_writes"] == 2 and stats(page_runtime)["page_creates"] == 2


def test_a_missing_parent_is_reported_and_the_page_created_anyway(page_runtime, confluence, caplog) -> None:
    del confluence.pages[confluence.titled("OKRs").id]
    with caplog.at_level(logging.WARNING):
        publish(page_runtime)
    assert confluence.titled("Shop OKRs").parent_id is None
    assert "parent page 'OKRs' not found in space SHOP" in caplog.text and "move the page under it" in caplog.text


def test_an_unchanged_recomputation_calls_confluence_not_at_all(page_runtime, confluence) -> None:
    publish(page_runtime)
    confluence.calls.clear()
    publish_due_pages(page_runtime, later())
    publish(page_runtime)
    assert confluence.calls == [] and confluence.titled("Shop OKRs").version == 1


def test_without_a_remembered_digest_the_page_is_read_but_not_written(page_runtime, confluence) -> None:
    publish(page_runtime)
    for key in ("set:shop", "program:platform"):
        page_runtime.redis.hdel(STATE + key, "digest", "written_at")
    publish(page_runtime, use_mirror=True)
    assert {p.title: p.version for p in confluence.pages.values()} == {"OKRs": 1, "Shop OKRs": 1, "Problem review": 1}
    assert not any(call.startswith("update") for call in confluence.calls)


def test_a_change_inside_the_interval_waits_then_lands_once_with_a_summary(page_runtime, confluence) -> None:
    publish(page_runtime)
    publish(page_runtime, escaped=("SHOP-2",))  # 10% escaped: O1.KR1 done
    publish(page_runtime, escaped=("SHOP-2", "SHOP-3", "SHOP-4", "SHOP-5"))  # 40%: back to the baseline
    page = confluence.titled("Shop OKRs")
    assert page.version == 1 and page_runtime.redis.hexists(PENDING, "set:shop")
    publish_due_pages(page_runtime, later(5))  # still inside the interval
    assert confluence.titled("Shop OKRs").version == 1
    publish_due_pages(page_runtime, later())
    assert confluence.titled("Shop OKRs").version == 2 and not page_runtime.redis.hexists(PENDING, "set:shop")
    assert confluence.messages[page.id][-1] == "O1.KR1 on_track → off_track, 0.67 → 0.00"
    assert stats(page_runtime)["page_deferred"] == 4  # two flushes × two pages


def test_trends_grow_only_when_a_value_moves(page_runtime) -> None:
    for escaped in [("SHOP-2", "SHOP-3"), ("SHOP-2", "SHOP-3"), ("SHOP-2",), ("SHOP-2",)]:
        publish(page_runtime, escaped=escaped)
    config = page_runtime.config_store.current()
    assert config is not None
    assert read_trends(page_runtime.redis, config.okr_sets[0])["O1.KR1"] == [20.0, 10.0]


def test_a_person_saving_between_our_read_and_write_keeps_their_edit(page_runtime, confluence) -> None:
    publish(page_runtime)
    page_id = confluence.titled("Shop OKRs").id

    def person_saves_once(fake: FakeConfluence, page: Any) -> None:
        fake.before_update = None
        fake.edit(page.id, fake.pages[page.id].body + PERSON)

    confluence.before_update = person_saves_once
    publish(page_runtime, escaped=("SHOP-2",))
    publish_due_pages(page_runtime, later())
    page = confluence.pages[page_id]
    assert page.version == 3 and page.body.endswith(PERSON)
    assert "okrsync-objective-O1" in page.body and "0.67 → 1.00" in confluence.messages[page_id][-1]
    assert stats(page_runtime)["page_conflicts"] == 1


def test_a_page_that_keeps_changing_is_retried_later_and_never_fails_the_flush(page_runtime, confluence) -> None:
    publish(page_runtime)
    page_id = confluence.titled("Shop OKRs").id
    confluence.before_update = lambda fake, page: fake.edit(page.id, fake.pages[page.id].body + PERSON) and None
    publish(page_runtime, escaped=("SHOP-2",))
    publish_due_pages(page_runtime, later())
    assert confluence.calls.count(f"update {page_id}") == MAX_ATTEMPTS
    assert stats(page_runtime)["page_failures"] == 1 and page_runtime.redis.hexists(PENDING, "set:shop")
    confluence.before_update = None
    publish_due_pages(page_runtime, later(62))
    assert not page_runtime.redis.hexists(PENDING, "set:shop")
    assert confluence.pages[page_id].body.count(PERSON) == MAX_ATTEMPTS


def test_confluence_down_is_logged_and_retried(page_runtime, confluence, caplog) -> None:
    confluence.down = True
    with caplog.at_level(logging.WARNING):
        publish(page_runtime)
    assert "Confluence page 'Shop OKRs' (space SHOP) not updated" in caplog.text
    assert page_runtime.redis.hexists(PENDING, "set:shop")
    confluence.down = False
    publish_due_pages(page_runtime, later())
    assert confluence.titled("Shop OKRs").version == 1 and not page_runtime.redis.hgetall(PENDING)


def test_a_deleted_page_is_created_again(page_runtime, confluence) -> None:
    publish(page_runtime)
    del confluence.pages[confluence.titled("Shop OKRs").id]
    publish(page_runtime, escaped=("SHOP-2",))
    publish_due_pages(page_runtime, later())
    assert "okrsync-summary" in confluence.titled("Shop OKRs").body


def test_a_renamed_page_is_still_updated_by_its_id(page_runtime, confluence) -> None:
    from dataclasses import replace

    publish(page_runtime)
    page = confluence.titled("Shop OKRs")
    confluence.pages[page.id] = replace(page, title="Shop OKRs (Q4, final)")
    publish(page_runtime, escaped=("SHOP-2",))
    publish_due_pages(page_runtime, later())
    assert confluence.pages[page.id].version == 2 and len(confluence.pages) == 3


def test_without_confluence_nothing_is_recorded(page_runtime) -> None:
    page_runtime.confluence = None
    publish(page_runtime)
    publish_due_pages(page_runtime, later())
    assert not page_runtime.redis.keys("okrsync:pages:*")


def test_the_scheduler_has_a_worker_publish_due_pages_and_enqueues_that_once(page_runtime, confluence) -> None:
    from rq import Queue

    from okrsync.periodic import Periodic
    from sync.jobs import publish_waiting_pages
    from sync.runtime import forget_runtimes, install_runtime
    from sync.scheduling import PAGES_FLAG, PAGES_JOB

    page_runtime.settings = page_runtime.settings.model_copy(update={"pages_interval_seconds": PAGES_INTERVAL})
    publish(page_runtime)
    publish(page_runtime, escaped=("SHOP-2",))  # inside the interval: pending
    assert confluence.titled("Shop OKRs").version == 1 and page_runtime.redis.hlen(PENDING) == 2
    time.sleep(PAGES_INTERVAL + 0.1)  # the behaviour under test: the pending pages fall due once the interval passed
    confluence.calls.clear()
    periodic = Periodic(page_runtime)
    periodic.round()
    periodic.round()
    waiting = [
        job
        for job in Queue(page_runtime.settings.queue_name, connection=page_runtime.redis).jobs
        if job.func_name == PAGES_JOB
    ]
    assert len(waiting) == 1 and confluence.calls == []  # the scheduler itself reads and writes no page
    install_runtime(page_runtime)
    try:
        publish_waiting_pages(page_runtime.redis)  # what the worker runs
    finally:
        forget_runtimes()
    assert confluence.titled("Shop OKRs").version == 2 and page_runtime.redis.hlen(PENDING) == 0
    assert not page_runtime.redis.exists(PAGES_FLAG)


def test_a_due_page_published_meanwhile_by_a_flush_is_not_written_again(page_runtime, confluence) -> None:
    from sync.confluence_writer import _publish, page_targets

    publish(page_runtime)
    config = page_runtime.config_store.current()
    report = Report.from_dict(json.loads(page_runtime.redis.get(REPORT)))
    [target] = [t for t in page_targets(config) if t.key == "set:shop"]
    assert not page_runtime.redis.hexists(PENDING, target.key)  # the flush wrote it: nothing pending
    confluence.calls.clear()
    assert _publish(page_runtime, config, report, [target], time.time(), None, None, only_pending=True) == 0
    assert confluence.calls == []

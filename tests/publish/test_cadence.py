"""The rituals against a recording Confluence on the real Redis: one page per set and period whoever
runs it (twice, two schedulers at once, after a restart), people's words kept, names looked up."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from okr.history import Reading
from okrsync.cadence_command import RITUALS
from okrsync.settings import Settings
from publish.confluence.cadence_pages import DECISIONS
from publish.confluence.regions import page_regions
from sync import keys
from sync.cadence import CadenceError, run_due_rituals, run_ritual, run_rituals
from sync.history import history_key
from sync.people import PEOPLE, REFRESH_SECONDS, refresh_people
from sync.runtime import Runtime, new_runtime
from tests.conftest import QUEUE, SECRET
from tests.publish.fakes import FakeConfluence
from tests.publish.sample import AT, CONFIG
from tests.publish.test_publish import publish

WEEK_TITLE = "Shop OKRs — week 2026-W46"  # AT is Sunday 2026-11-15
REVIEW_TITLE = "Shop OKRs — review 2026-11"
PERSON = "<p>We move one QA engineer to payments from December.</p>"


class JiraUsers:
    """The Jira calls the rituals make: /user (a few people known) and comments."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known, self.asked, self.comments = known, [], []

    def user(self, reference: str) -> dict[str, Any] | None:
        self.asked.append(reference)
        return {"displayName": self.known[reference]} if reference in self.known else None

    def add_comment(self, key: str, body: str) -> dict[str, Any]:
        self.comments.append((key, body))
        return {"id": str(len(self.comments))}


def children(confluence: FakeConfluence, title: str) -> list[Any]:
    return [p for p in confluence.pages.values() if p.title == title]


def second_runtime(page_runtime: Runtime, confluence: FakeConfluence, tmp_path: Path) -> Runtime:
    """Another process on the same Redis: a second scheduler, or the first one after a restart."""
    settings = Settings(webhook_secret=SECRET, data_dir=tmp_path, queue_name=QUEUE, _env_file=None)
    return new_runtime(settings, page_runtime.redis, confluence=confluence)


def test_the_weekly_digest_is_written_once_under_the_set_page(page_runtime, confluence) -> None:
    publish(page_runtime)
    first = run_rituals(page_runtime, "weekly", now=AT)
    again = run_rituals(page_runtime, "weekly", now=AT + timedelta(hours=5))
    assert [(r.outcome, r.period, r.detail) for r in first] == [("created", "2026-W46", WEEK_TITLE)]
    assert [r.outcome for r in again] == ["already"]
    assert "already written once; not written again" in again[0].sentence()
    (digest,) = children(confluence, WEEK_TITLE)
    assert digest.parent_id == confluence.titled("Shop OKRs").id and digest.space == "SHOP"
    assert "digest-moved" in page_regions(digest.body)


def test_two_schedulers_at_once_and_a_restart_make_one_page(page_runtime, confluence, tmp_path) -> None:
    publish(page_runtime)
    config, other = page_runtime.config_store.current(), second_runtime(page_runtime, confluence, tmp_path)
    from sync.confluence_writer import latest_report

    report = latest_report(page_runtime.redis)
    start, outcomes = threading.Barrier(2), []

    def scheduler(runtime: Runtime) -> None:
        start.wait()
        outcomes.append(run_ritual(runtime, config, report, config.okr_sets[0], "monthly", AT, force=False).outcome)

    threads = [threading.Thread(target=scheduler, args=(r,)) for r in (page_runtime, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["already", "created"], ["created", "exists"])
    restarted = second_runtime(page_runtime, confluence, tmp_path)
    wednesday = AT + timedelta(days=3)  # week 47: its digest is due; November's review is written
    assert [(r.ritual, r.outcome) for r in run_due_rituals(restarted, wednesday)] == [("weekly", "created")]
    assert run_due_rituals(restarted, wednesday + timedelta(hours=1)) == []
    assert len(children(confluence, REVIEW_TITLE)) == 1 and len(children(confluence, "Shop OKRs — week 2026-W47")) == 1


def test_lost_claims_still_never_write_a_period_twice(page_runtime, confluence) -> None:
    publish(page_runtime)
    run_rituals(page_runtime, "monthly", now=AT)
    review = confluence.titled(REVIEW_TITLE)
    confluence.edit(review.id, review.body.replace(f"<h2>{DECISIONS}</h2><p />", f"<h2>{DECISIONS}</h2>{PERSON}"))
    for key in page_runtime.redis.scan_iter(f"{keys.CADENCE_CLAIM_PREFIX}*"):
        page_runtime.redis.delete(key)  # Redis lost what it had: the title is the last guard
    assert [r.outcome for r in run_rituals(page_runtime, "monthly", now=AT)] == ["exists"]
    publish(page_runtime, escaped=("SHOP-2",))  # a later flush writes the set page, never the review
    kept = confluence.titled(REVIEW_TITLE)
    assert kept.version == 2 and kept.body.endswith(f"<h2>{DECISIONS}</h2>{PERSON}")
    assert len(children(confluence, REVIEW_TITLE)) == 1


def test_the_next_review_compares_with_the_stored_figures(page_runtime, confluence) -> None:
    publish(page_runtime)
    run_rituals(page_runtime, "monthly", now=AT)
    publish(page_runtime, escaped=("SHOP-2", "SHOP-3", "SHOP-4", "SHOP-5"))
    december = datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert [r.outcome for r in run_rituals(page_runtime, "monthly", now=december)] == ["created"]
    lights = page_regions(confluence.titled("Shop OKRs — review 2026-12").body)["review-lights"]
    assert "Compared with the previous review (2026-11)." in lights
    november = page_regions(confluence.titled(REVIEW_TITLE).body)["review-lights"]
    assert "nothing earlier to compare with" in november


def test_what_moved_is_read_from_the_recorded_readings(page_runtime, confluence) -> None:
    publish(page_runtime)
    then = AT - timedelta(days=9)
    old = Reading(then.isoformat(), 50.0, None, 0.0, 0.0, "off_track", (), None, 10, None, {"kind": "schedule"})
    page_runtime.redis.zadd(history_key(("shop", "O1.KR1")), {old.to_json(): then.timestamp()})
    run_rituals(page_runtime, "weekly", now=AT)
    moved = page_regions(confluence.titled(WEEK_TITLE).body)["digest-moved"]
    assert "What moved since 8 Nov 2026" in moved
    assert "value 50% → 20%" in moved and "health off track →" in moved


def test_not_due_before_the_cadence_day_and_one_sentence_without_a_page(page_runtime, confluence) -> None:
    text = CONFIG.replace(
        "    confluence: {space: SHOP, title: Shop OKRs, parent: OKRs}\n",
        "    confluence: {space: SHOP, title: Shop OKRs, parent: OKRs}\n"
        "    cadence: {weekly: friday, monthly: 25, timezone: Asia/Shanghai}\n",
    )
    page_runtime.config_store.apply(text, "okrs.yaml", "test", AT)
    publish(page_runtime)
    thursday = datetime(2026, 11, 19, 15, 59, tzinfo=UTC)  # 23:59 Thursday in Shanghai
    assert run_due_rituals(page_runtime, thursday) == []
    assert [r.outcome for r in run_due_rituals(page_runtime, thursday + timedelta(minutes=2))] == ["created"]
    assert [r.detail for r in run_rituals(page_runtime, "monthly", now=thursday, force=False)] == [
        "due on day 25 of the month"
    ]
    with pytest.raises(CadenceError, match="there is no OKR set 'nope'"):
        run_rituals(page_runtime, "weekly", set_id="nope", now=AT)


def test_a_missing_set_page_gives_the_claim_back(page_runtime, confluence) -> None:
    page_runtime.redis.set(keys.REPORT, "{}")  # not a report: nothing is evaluated yet
    with pytest.raises(CadenceError, match="nothing is evaluated yet"):
        run_rituals(page_runtime, "weekly", now=AT)
    publish(page_runtime)
    shop = confluence.titled("Shop OKRs")
    del confluence.pages[shop.id]
    (failed,) = run_rituals(page_runtime, "weekly", now=AT)
    assert failed.outcome == "failed" and "the set's page “Shop OKRs” is not in space SHOP yet" in failed.detail
    confluence.add("SHOP", "Shop OKRs", shop.body)
    assert [r.outcome for r in run_rituals(page_runtime, "weekly", now=AT)] == ["created"]


def test_people_show_by_display_name_and_unknown_users_say_so(page_runtime, confluence) -> None:
    text = CONFIG.replace(
        "            owner: qa@example.com\n",
        "            owner: [qa@example.com, ghost-7]\n            roles: {accountable: qa@example.com}\n",
    )
    page_runtime.config_store.apply(text, "okrs.yaml", "test", AT)
    page_runtime.jira = JiraUsers({"qa@example.com": "Quinn Q", "lead@example.com": "Lee D"})
    publish(page_runtime)
    summary = page_regions(confluence.titled("Shop OKRs").body)
    assert "owner Lee D" in summary["summary"]
    assert "Quinn Q (accountable), ghost-7 (unknown user)" in summary["objective-O1"]
    run_rituals(page_runtime, "monthly", now=AT)
    roles = page_regions(confluence.titled(REVIEW_TITLE).body)["review-roles"]
    assert "accountable: Quinn Q" in roles and "ghost-7 (unknown user)" in roles
    asked = list(page_runtime.jira.asked)
    refresh_people(page_runtime, ["qa@example.com", "ghost-7"])
    assert page_runtime.jira.asked == asked  # cached: Jira is asked again only after a day
    refresh_people(page_runtime, ["ghost-7"], clock=AT.timestamp() + 10**9 + REFRESH_SECONDS)
    assert page_runtime.jira.asked[-1] == "ghost-7" and page_runtime.redis.hexists(PEOPLE, "ghost-7")


def test_the_digest_is_commented_on_the_sets_issue_when_asked(page_runtime, confluence) -> None:
    text = CONFIG.replace(
        "    confluence: {space: SHOP, title: Shop OKRs, parent: OKRs}\n",
        "    confluence: {space: SHOP, title: Shop OKRs, parent: OKRs}\n"
        "    jira_issue: SHOP-100\n    cadence: {digest_comment: true}\n",
    )
    page_runtime.config_store.apply(text, "okrs.yaml", "test", AT)
    page_runtime.jira = JiraUsers({})
    publish(page_runtime)
    run_rituals(page_runtime, "weekly", now=AT)
    run_rituals(page_runtime, "weekly", now=AT)
    assert [key for key, _ in page_runtime.jira.comments] == ["SHOP-100"]
    assert "“Shop OKRs — week 2026-W46”" in page_runtime.jira.comments[0][1]


def test_the_command_runs_a_ritual_and_says_what_it_wrote(page_runtime, confluence, capsys) -> None:
    from okr.cadence import period
    from okrsync.cadence_command import run_cadence
    from okrsync.cli_errors import CommandSetupError

    assert RITUALS == ("weekly", "monthly", "problems")
    publish(page_runtime)
    week, today = period("weekly", datetime.now(UTC).date()), datetime.now(UTC).date()
    run_cadence(page_runtime, "weekly", "shop", None)
    run_cadence(page_runtime, "weekly", None, None)
    run_cadence(page_runtime, "problems", None, "platform")
    assert capsys.readouterr().out.splitlines() == [
        f"shop: weekly digest {week} written: “Shop OKRs — week {week}”",
        f"shop: weekly digest {week} already written once; not written again",
        f"platform: problem review {today} written: “Problem review — {today}”",
    ]
    assert children(confluence, f"Shop OKRs — week {week}")[0].parent_id == confluence.titled("Shop OKRs").id
    with pytest.raises(CommandSetupError, match="`problems` takes --program ID"):
        run_cadence(page_runtime, "problems", "shop", None)
    with pytest.raises(CommandSetupError, match="--program goes with `okrsync cadence problems`"):
        run_cadence(page_runtime, "weekly", None, "platform")


def test_the_scheduler_has_a_worker_write_the_owed_rituals_once(page_runtime, confluence) -> None:
    from rq import Queue

    from okrsync.periodic import Periodic
    from sync.cadence import owed_rituals
    from sync.jobs import run_cadence_rituals
    from sync.problem_reviews import owed_problem_reviews
    from sync.runtime import forget_runtimes, install_runtime
    from sync.scheduling import CADENCE_JOB

    page_runtime.redis.set(keys.REPORT, "{}")
    assert owed_rituals(page_runtime) == []  # nothing is owed under a set page the writer has not written yet
    publish(page_runtime)
    assert {ritual for _, ritual, _ in owed_rituals(page_runtime)} == {"weekly", "monthly"}
    confluence.calls.clear()
    periodic = Periodic(page_runtime)
    periodic.round()
    periodic.round(force=True)
    queue = Queue(page_runtime.settings.queue_name, connection=page_runtime.redis)
    assert len([job for job in queue.jobs if job.func_name == CADENCE_JOB]) == 1
    assert confluence.calls == []  # the scheduler itself reads and writes no page
    install_runtime(page_runtime)
    try:
        # what the worker runs: the week's digest, the month's review and the program's problem review
        assert run_cadence_rituals(page_runtime.redis) == {"written": 3, "failed": 0}
        assert run_cadence_rituals(page_runtime.redis) == {"written": 0, "failed": 0}
    finally:
        forget_runtimes()
    assert owed_rituals(page_runtime) == [] and owed_problem_reviews(page_runtime) == []

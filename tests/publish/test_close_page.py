"""A closed cycle's page: rendered well-formed with a people's part after each objective (pure), and
written once per freeze under the set's page; `close --again` refreshes the panels and keeps the
learnings people wrote."""

from __future__ import annotations

from datetime import UTC, datetime

from okr.closing import CloseRecord, freeze
from okr.report import Report
from publish.confluence.close_page import LEARNED, CloseInput, ProgramOutcome, close_page, learned_room
from publish.confluence.regions import page_regions
from sync.close import close_cycle
from sync.close_page import owed_close_pages, program_text, write_close_pages
from tests.publish.sample import config, evaluated
from tests.publish.test_publish import publish
from tests.publish.test_render import parsed

CLOSED_AT = datetime(2027, 1, 4, 6, tzinfo=UTC)
TITLE = "Shop OKRs — close 2026-Q4"
LEARNING = "<p>We learned that contract tests catch refunds bugs; next quarter we add them to checkout.</p>"


def record() -> CloseRecord:
    cfg, _, report = evaluated()
    return freeze(Report.from_dict(report), cfg, "2026-Q4", CLOSED_AT.isoformat(), "alice")


def close_input(**changes) -> CloseInput:
    cfg = config()
    values = {
        "config": cfg,
        "okr_set": cfg.okr_sets[0],
        "record": record(),
        "page_title": "Shop OKRs",
        "at": CLOSED_AT,
        "tz": UTC,
        "kr_changes": {
            "O1.KR1": [{"at": "2026-11-03T10:00:00+00:00", "field": "target", "from": 5, "to": 10, "author": "bob"}]
        },
        "programs": (ProgramOutcome("Platform reverse-drive", "3 cluster(s) (1 above the threshold)"),),
    }
    return CloseInput(**{**values, **changes})


def test_the_close_page_is_well_formed_with_the_learnings_after_each_objective() -> None:
    page = close_page(close_input())
    body = page.new_page_body()
    parsed(body)
    assert page.title == TITLE
    assert list(page_regions(body)) == ["header", "close-O1", "close-changes", "close-programs"]
    room = learned_room(config().okr_sets[0].objectives[0])
    assert room.startswith(f"<h3>{LEARNED} (O1)</h3>")
    assert body.index("okrsync-close-O1") < body.index(room) < body.index("okrsync-close-changes")
    assert all(room not in markup for markup in page_regions(body).values())  # the people's, outside the panels
    regions = page_regions(body)
    assert "Final score" in regions["close-O1"] and "outcome" in regions["close-O1"] and "epics" in regions["close-O1"]
    assert "Platform reverse-drive" in regions["close-programs"]
    assert "O1.KR1: target changed on 3 Nov 2026 from 5 to 10 (bob)" in regions["close-changes"]
    assert "frozen at 4 Jan 2027, 06:00 UTC by alice" in regions["header"]


def test_a_programs_results_in_words() -> None:
    program = {
        "clusters": [{"candidate": True}, {"candidate": False}],
        "action_points": [
            {"effectiveness": "effective", "flags": []},
            {"effectiveness": None, "flags": ["overdue"]},
        ],
    }
    assert program_text(program) == (
        "2 cluster(s) (1 above the threshold); 2 action point(s): 1 effective, 0 ineffective, 1 overdue"
    )


def test_the_close_page_is_written_once_and_again_keeps_the_learnings(page_runtime, confluence) -> None:
    publish(page_runtime)
    close_cycle(page_runtime, "2026-Q4", "alice", now=CLOSED_AT)
    assert owed_close_pages(page_runtime) == [("shop", "2026-Q4")]
    (run,) = write_close_pages(page_runtime, now=CLOSED_AT)
    assert (run.outcome, run.detail) == ("created", TITLE)
    assert write_close_pages(page_runtime, now=CLOSED_AT) == [] and owed_close_pages(page_runtime) == []
    page = confluence.titled(TITLE)
    assert page.parent_id == confluence.titled("Shop OKRs").id
    room = learned_room(config().okr_sets[0].objectives[0])
    confluence.edit(page.id, page.body.replace(room, room.replace("<p />", LEARNING)))
    close_cycle(page_runtime, "2026-Q4", "bob", again=True, now=CLOSED_AT.replace(hour=9))
    (again,) = write_close_pages(page_runtime, now=CLOSED_AT.replace(hour=9))
    assert again.outcome == "refreshed", again.sentence()
    kept = confluence.titled(TITLE)
    assert LEARNING in kept.body and "by bob; frozen anew after 1 earlier close(s)" in kept.body
    assert len([p for p in confluence.pages.values() if p.title == TITLE]) == 1


def test_the_changes_in_the_cycle_name_definitions_targets_and_scope() -> None:
    import dataclasses

    from okr.scope import ScopeFacts

    frozen = record()
    ref = "shop/O1.KR1"
    scope = ScopeFacts("2026-10-01T00:00:00+00:00", False, 3, 1, 1, 0, (("SHOP-7", "2026-11-12T09:00:00+00:00"),), None)
    descoped = dataclasses.replace(frozen.key_results[ref], scope=scope)
    changed = dataclasses.replace(frozen, key_results={**frozen.key_results, ref: descoped})
    history = {
        "escaped_share": [
            {"at": "2026-09-01T00:00:00+00:00", "version": "v-first"},  # its first definition: not a change
            {"at": "2026-11-20T10:00:00+00:00", "version": "v-second"},
            {"at": "2027-01-02T10:00:00+00:00", "version": "v-after"},  # after the cycle
        ]
    }
    regions = page_regions(close_page(close_input(record=changed, metric_history=history)).new_page_body())
    changes = regions["close-changes"]
    assert "O1.KR1: the definition of escaped_share changed on 20 Nov 2026 to v-second" in changes
    assert "v-first" not in changes and "v-after" not in changes
    assert "O1.KR1: target changed on 3 Nov 2026 from 5 to 10 (bob)" in changes
    assert "O1.KR1: scope: 3 epics at start, 1 added, 1 dropped unfinished (SHOP-7 on 12 Nov)" in changes

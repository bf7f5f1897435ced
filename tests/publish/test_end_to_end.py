"""Pages end to end: a Jira change in the emulator reaches the Confluence page through the service's
webhook, a real worker (flush → publish) and a real scheduler (coalesced publishes)."""

from __future__ import annotations

import re
import time
from typing import Any

from okrsync.admin.health import call_summary
from publish.confluence.regions import page_regions
from tests.conftest import QUEUE
from tests.publish.stack import INTERVAL, wait_for
from tests.support.waiting import settle

NO_PAGE_WRITE_SECONDS = INTERVAL + 0.3  # long enough for a publish made pending to go out
ABOVE, BETWEEN, BELOW = (
    "<p>Above: our own intro.</p>",
    "<p>Between: a decision from the review.</p>",
    "<p>Below: links and notes.</p>",
)


def page(stack: dict[str, Any]) -> Any:
    return stack["confluence"].find_page("OKR", "Shop OKRs")


def current_of_kr1(stack: dict[str, Any]) -> str | None:
    found = page(stack)
    if found is None:
        return None
    match = re.search(r"<td>40% → ([^ ]+) → 10%</td>", page_regions(found.body).get("objective-O1", ""))
    return match.group(1) if match else None


def set_escaped(stack: dict[str, Any], count: int) -> None:
    """Label the first ``count`` of the ten bugs escaped: the KR's current value becomes count × 10%."""
    for number in range(2, 12):
        stack["jira"].update_fields(f"SHOP-{number}", {"labels": ["escaped"] if number < 2 + count else []})


def add_people_text(stack: dict[str, Any]) -> None:
    found = page(stack)
    body = found.body
    first = body.index("<ac:structured-macro")
    between = body.index(
        '<ac:structured-macro ac:name="details" ac:schema-version="1"><ac:parameter ac:name="id">okrsync-objective-O2'
    )
    body = ABOVE + body[:first] + body[first:between] + BETWEEN + body[between:] + BELOW
    stack["confluence"].update_page(found, body, "a person's notes")


def test_the_page_is_created_under_its_parent_with_people_room(pages_stack) -> None:
    created = wait_for(lambda: page(pages_stack), what="the page to be created")
    parent = pages_stack["confluence"].find_page("OKR", "OKRs")
    assert created.parent_id == parent.id
    assert list(page_regions(created.body)) == ["as-of", "summary", "objective-O1", "objective-O2", "notes"]
    assert "Contract tests &lt;for&gt; payments &amp; refunds" in created.body
    assert f'href="{pages_stack["site_url"]}/browse/SHOP-1"' in created.body
    assert wait_for(lambda: current_of_kr1(pages_stack)) == "20%"


def test_kr_changes_reach_the_page_and_people_text_survives_ten_updates(pages_stack, connection) -> None:
    wait_for(lambda: current_of_kr1(pages_stack) == "20%", what="the first page")
    settle(connection, pages_stack["emulator"], queue_name=QUEUE)
    add_people_text(pages_stack)
    for round_ in range(10):
        count = 3 + round_ % 3  # 30%, 40%, 50%, 30%, …: every round moves the KR
        started = time.monotonic()
        set_escaped(pages_stack, count)
        wait_for(
            lambda count=count: current_of_kr1(pages_stack) == f"{count * 10}%",
            seconds=INTERVAL + 10,
            what=f"the KR at {count * 10}% on the page",
        )
        assert time.monotonic() - started < INTERVAL + 5
    body = page(pages_stack).body
    assert body.startswith(ABOVE) and body.endswith(BELOW) and body.count(BETWEEN) == 1
    assert body.index(BETWEEN) < body.index("okrsync-objective-O2")
    assert "Traceback" not in pages_stack["log"].read_text()


def test_an_edit_during_an_update_is_kept_and_the_update_lands(pages_stack, connection) -> None:
    wait_for(lambda: current_of_kr1(pages_stack) == "20%", what="the first page")
    pages_stack["edit"].armed = True
    set_escaped(pages_stack, 4)
    wait_for(lambda: current_of_kr1(pages_stack) == "40%", what="the update after the conflict")
    assert pages_stack["edit"].done
    assert "<p>Saved by a person during the update.</p>" in page(pages_stack).body
    assert int(connection.hget("okrsync:stats", "page_conflicts") or 0) >= 1


def test_a_conflict_with_a_persons_edit_is_counted_as_retried_not_refused(pages_stack, connection) -> None:
    wait_for(lambda: current_of_kr1(pages_stack) == "20%", what="the first page")
    pages_stack["edit"].armed = True
    set_escaped(pages_stack, 4)
    wait_for(lambda: current_of_kr1(pages_stack) == "40%", what="the update after the conflict")
    confluence = next(entry for entry in call_summary(connection) if entry["system"] == "confluence")
    assert confluence["conflicts"] >= 1 and confluence["errors"] == 0, confluence


def test_an_unchanged_recomputation_does_not_bump_the_version(pages_stack, connection) -> None:
    from sync.dirty import mark_all
    from sync.scheduling import schedule_flush

    wait_for(lambda: current_of_kr1(pages_stack) == "20%", what="the first page")
    settle(connection, pages_stack["emulator"], queue_name=QUEUE)  # a pending publish goes out first
    version = page(pages_stack).version
    writes = int(connection.hget("okrsync:stats", "page_writes") or 0)
    pages_stack["jira"].update_fields("SHOP-7", {"priority": {"name": "Low"}})  # not on the page (its summary is)
    mark_all(connection, {"kind": "schedule"})
    schedule_flush(connection, QUEUE)
    settle(connection, pages_stack["emulator"], queue_name=QUEUE)
    time.sleep(NO_PAGE_WRITE_SECONDS)  # a negative wait: nothing may be written within a pages interval and more
    assert page(pages_stack).version == version
    assert int(connection.hget("okrsync:stats", "page_writes") or 0) == writes

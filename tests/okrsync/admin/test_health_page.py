"""The sync health page in plain words: the verdict on top, every number explained where it stands,
every Confluence page with its last write, times in the configuration's zone to the minute."""

from __future__ import annotations

from datetime import UTC, datetime

import redis
from flask.testing import FlaskClient

from connector.errors import ConnectorError
from okrsync.admin.health import PAGE_STATE
from sync.failures import FailureStore, Situation
from tests.okrsync.admin.conftest import mirror_issues, recompute
from tests.okrsync.admin.test_pages import sign_in

ISO_TIME = ("+00:00", "T0", "T1", "T2")


def test_the_page_says_all_current_and_explains_each_number(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    mirror_issues(connection)
    recompute(connection)
    sign_in(api)
    page = api.get("/admin/health").data.decode()
    assert '<p class="verdict ok" id="verdict"><strong>All current</strong></p>' in page
    assert (
        "every write to Jira (issue properties, fields, check-in comments, remote links) since the service started"
        in page
    )
    assert "Written issues: the issues of the set's projects the service has written to" in page
    assert "Times in UTC" in page
    shown = [page[max(0, page.find(m) - 160) : page.find(m) + 40] for m in ISO_TIME if m in page]
    assert not shown, f"a time is shown in ISO form: {shown}"


def test_refused_writes_give_the_count_and_since_when(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    since = datetime.now(UTC).replace(hour=9, minute=14, second=5).timestamp()
    store = FailureStore(connection)
    for target in ("property:SHOP-1", "fields:SHOP-2"):
        store.record(target, target.split(":")[1], ConnectorError("refused", status=403), Situation(1, 1), since)
    sign_in(api)
    page = api.get("/admin/health").data.decode()
    assert '<p class="verdict bad" id="verdict"><strong>2 targets failing since 09:14</strong></p>' in page
    assert f"{datetime.now(UTC).day} " in page and ", 09:14</td>" in page


def test_jira_never_answering_says_jira_is_unreachable(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    since = datetime.now(UTC).replace(hour=6, minute=1).timestamp()
    FailureStore(connection).record("property:SHOP-1", "SHOP-1", ConnectorError("no answer"), Situation(1, 1), since)
    sign_in(api)
    page = api.get("/admin/health").data.decode()
    assert "<strong>Jira unreachable since 06:01</strong>" in page
    assert ", 06:01</td><td>1</td><td>at " in page and " UTC</td>" not in page  # tried again at 06:01 + 30 s


def test_every_page_failing_says_confluence_is_unreachable_and_lists_the_pages(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    failed = datetime(2026, 12, 1, 7, 30, tzinfo=UTC).timestamp()
    connection.hset(PAGE_STATE + "set:shop", mapping={"failed_at": str(failed)})
    sign_in(api)
    page = api.get("/admin/health").data.decode()
    assert "<strong>Confluence unreachable since 1 Dec 2026, 07:30</strong>" in page
    assert "OKR / Shop OKRs" in page and "not written yet" in page and "failed 1 Dec 2026, 07:30" in page


def test_a_programs_latest_dated_review_is_listed_with_its_write(connection: redis.Redis) -> None:
    from okrsync.admin.health import review_page
    from sync.review_records import store_review

    assert review_page(connection, "plat", "PLAT", "Platform problem review") is None
    for day in ("2026-11-26", "2026-12-03"):
        store_review(connection, "plat", {"at": f"{day}T08:00:00+00:00", "day": day})
    page = review_page(connection, "plat", "PLAT", "Platform problem review")
    assert page is not None and page["kind"] == "problem_review"
    assert page["title"] == "Platform problem review — 2026-12-03" and page["written_at"] == "2026-12-03T08:00:00+00:00"


def test_the_overview_and_kr_page_round_values_with_their_unit_and_name_the_definition(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    mirror_issues(connection)
    recompute(connection)
    sign_in(api)
    overview = api.get("/admin/").data.decode()
    assert "40 → <strong>30</strong> → 10 %" in overview
    assert 'Shop <span class="muted small">team · cycle now · alice@example.com</span>' in overview
    assert not any(mark in overview for mark in ISO_TIME), "a time is shown in ISO form"
    detail = api.get("/admin/sets/shop/krs/KR1").data.decode()
    assert '<span title="v-' in detail and ">definition v1 (since " in detail
    assert not any(mark in detail for mark in ISO_TIME), "a time is shown in ISO form"


def test_a_sets_latest_monthly_review_is_listed_with_its_write(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    from okrsync.admin.health import MONTHLY_REVIEWS, monthly_review_page

    assert monthly_review_page(connection, "shop", "OKR", "Shop OKRs") is None
    connection.hset(MONTHLY_REVIEWS, "shop@2026-10", '{"at": "2026-11-01T08:00:00+00:00"}')
    connection.hset(MONTHLY_REVIEWS, "shop@2026-11", '{"at": "2026-12-01T08:05:00+00:00", "figures": {}}')
    connection.hset(MONTHLY_REVIEWS, "shops@2026-12", "not json")
    page = monthly_review_page(connection, "shop", "OKR", "Shop OKRs")
    assert page is not None and (page["title"], page["written_at"]) == (
        "Shop OKRs — review 2026-11",
        "2026-12-01T08:05:00+00:00",
    )
    sign_in(api)
    html = api.get("/admin/health").data.decode()
    assert "OKR / Shop OKRs — review 2026-11" in html and "1 Dec 2026, 08:05" in html


def test_a_weekly_digest_is_listed_linked_with_its_write_and_state(
    api: FlaskClient, configured: str, connection: redis.Redis
) -> None:
    from sync.cadence_writes import record_failed, record_written

    at = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    record_written(connection, "shop", "weekly", "Shop OKRs — week 2026-W49", "https://wiki.example.com/p/9", at)
    sign_in(api)
    page = api.get("/admin/health").data.decode()
    row = page[page.index('<tr class="page" id="page-weekly_digest-shop">') :].split("</tr>")[0]
    assert 'OKR / <a href="https://wiki.example.com/p/9">Shop OKRs — week 2026-W49</a>' in row
    assert "latest weekly digest of OKR set shop" in row and "30 Nov 2026, 07:05" in row
    assert '<span class="lozenge h-on_track">written</span>' in row
    assert "<strong>All current</strong>" in page and "at most once per page every 30 s" in page
    later = at.replace(day=7, month=12)
    record_failed(connection, "shop", "weekly", "Shop OKRs — week 2026-W50", "Confluence answered 503", later)
    page = api.get("/admin/health").data.decode()
    row = page[page.index('<tr class="page" id="page-weekly_digest-shop">') :].split("</tr>")[0]
    assert "30 Nov 2026, 07:05" in row and '<span class="flag">failed 7 Dec 2026, 07:05</span>' in row
    assert "“Shop OKRs — week 2026-W50” not written: Confluence answered 503" in row
    assert "tried again at the scheduler's next round" in row
    assert "<strong>1 target failing since 7 Dec 2026, 07:05</strong>" in page


def test_a_failing_set_page_says_why(api: FlaskClient, configured: str, connection: redis.Redis) -> None:
    failed = datetime(2026, 12, 1, 7, 30, tzinfo=UTC).timestamp()
    connection.hset(
        PAGE_STATE + "set:shop",
        mapping={"written_at": str(failed - 60), "failed_at": str(failed), "reason": "Confluence answered 403"},
    )
    sign_in(api)
    row = api.get("/admin/health").data.decode().split('<tr class="page" id="page-okr_set-shop">')[1].split("</tr>")[0]
    assert 'failed 1 Dec 2026, 07:30</span> <span class="small">Confluence answered 403</span>' in row
    assert "tried again once 30 s have passed" in row

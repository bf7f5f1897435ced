"""The problem review page agrees with the admin problem review: clusters in the one review order
(candidates first, then by score, untriaged last), issue keys linked to the site's /browse/KEY with
their summaries, and the action-point table with summary, owner by display name, due day and status."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from datetime import UTC, date
from typing import Any

from okr.metrics import FilterCache, program_result
from okr.problems.review import cluster_facts, review_order
from okr.timeframe import day_said
from okrsync.admin.problem_view import review_order as admin_order
from publish.confluence.dated_review import DatedReview, dated_review_page
from publish.confluence.regions import page_regions
from publish.confluence.review_page import cluster_text, problem_review_page
from sync.documents import issue_document
from tests.publish.sample import context, documents, evaluated, jira_issue

AC, RI = "http://atlassian.com/content", "http://atlassian.com/resource/identifier"
BROWSE = "https://acme.atlassian.net/browse/"
RETRO = ["retro"]  # a problem of the source with no category label: untriaged


def _docs() -> list[dict[str, Any]]:
    """The sample's problems, three untriaged ones scoring above every candidate, one mechanism problem
    below the threshold, and PLAT-9 assigned to an account with a display name."""
    extra = [
        jira_issue(f"PLAT-{n}", "Task", f"Unsorted finding {n}", f"2026-11-0{n - 30}T09:00:00.000+0000", labels=RETRO)
        for n in (31, 32, 33)
    ]
    extra.append(
        jira_issue(
            "PLAT-40",
            "Task",
            "Hand-over skipped",
            "2026-11-10T09:00:00.000+0000",
            labels=["retro", "problem-mechanism"],
            components=["Handover"],
        )
    )
    found = [d for d in documents() if d["key"] != "PLAT-9"]
    plat9 = next(d for d in documents() if d["key"] == "PLAT-9")
    return [*found, *(issue_document(i) for i in extra), {**plat9, "assignee": "acc-9"}]


def _page() -> tuple[Any, Any]:
    cfg, given, _ = evaluated(_docs())
    program = cfg.problem_programs[0]
    result = program_result(program, given, FilterCache())
    page = problem_review_page(program, result, replace(context(), names={"acc-9": "Dana Deploy"}))
    return result, page


def _region(page: Any, name: str) -> ElementTree.Element:
    body = page_regions(page.new_page_body())[name]
    return ElementTree.fromstring(f'<root xmlns:ac="{AC}" xmlns:ri="{RI}">{body}</root>')


def _rows(table: ElementTree.Element) -> list[list[ElementTree.Element]]:
    return [list(tr) for tr in table.iter("tr")][1:]


def _text(element: ElementTree.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_clusters_are_listed_in_the_admin_pages_order() -> None:
    result, page = _page()
    *_, table = _region(page, "candidates").iter("table")  # after the chart macro's table
    listed = [_text(row[1]) for row in _rows(table) if len(row) == 5]
    expected = [cluster_text(c.ref) for c in review_order(result.clusters, cluster_facts)]
    assert listed == expected == ["system · Search", "system · Deploy", "mechanism · Handover", "untriaged · no theme"]
    as_json = [{"category": c.ref.category, "candidate": c.candidate, "score": c.score} for c in result.clusters]
    assert [c["category"] for c in admin_order(as_json)] == ["system", "system", "mechanism", "untriaged"]
    untriaged = next(c for c in result.clusters if c.ref.category == "untriaged")
    assert untriaged.score > max(c.score for c in result.candidates)  # last although it scores highest


def test_each_cluster_row_says_what_it_needs_with_its_problems_linked() -> None:
    _, page = _page()
    *_, table = _region(page, "candidates").iter("table")  # after the chart macro's table
    rows = {_text(row[1]): row for row in _rows(table)}
    search = rows["system · Search"]
    assert [(a.get("href"), a.text) for a in search[3].iter("a")] == [
        (BROWSE + "PLAT-5", "PLAT-5"),
        (BROWSE + "PLAT-4", "PLAT-4"),
    ]
    assert "PLAT-5 Search times out 5" in _text(search[3])
    assert "AP CANDIDATE" in _text(search[4]) and "owner pm@example.com · due 29 Nov" in _text(search[4])
    deploy = rows["system · Deploy"]
    assert "AP OPEN" in _text(deploy[4]) and [a.get("href") for a in deploy[4].iter("a")] == [BROWSE + "PLAT-9"]
    assert _text(rows["mechanism · Handover"][4]) == "below the threshold (6)"
    assert _text(rows["untriaged · no theme"][4]) == "needs a category before it can count"
    assert "PLAT-31 Unsorted finding 31" in _text(rows["untriaged · no theme"][3])


def test_the_action_point_table_has_summary_owner_due_day_and_status() -> None:
    _, page = _page()
    (table,) = _region(page, "action-points").iter("table")
    header = [_text(th) for th in next(table.iter("tr"))]
    assert header == ["AP", "Summary", "Owner", "Due", "Status", "Cluster", "Flags"]
    cells = {_text(row[0]): [_text(c) for c in row[1:6]] for row in _rows(table)}
    assert cells["PLAT-9"] == ["Fix the deploy pipeline", "Dana Deploy", "1 Nov", "To Do", "system · Deploy"]
    assert cells["PLAT-8"] == ["Freeze-proof deploys", "ops-lead", "20 Oct", "Done", "system · Deploy"]
    links = [a.get("href") for a in table.iter("a")]
    assert links == [BROWSE + "PLAT-8", BROWSE + "PLAT-9"]


def test_a_due_day_reads_as_a_person_says_it() -> None:
    assert day_said(date(2026, 12, 12), date(2026, 11, 15)) == "12 Dec"
    assert day_said(date(2027, 1, 4), date(2026, 11, 15)) == "4 Jan 2027"


def test_the_dated_review_lists_its_clusters_in_the_same_order_with_their_problems_linked() -> None:
    result, _ = _page()
    cfg, _, _ = evaluated(_docs())
    review = DatedReview(cfg.problem_programs[0], result, date(2026, 11, 15), "Problem review", UTC, None, BROWSE[:-8])
    below = _region(dated_review_page(review), "review-below")
    items = [_text(li) for li in below.iter("li")]
    assert [i.split(" ", 3)[:3] for i in items] == [["mechanism", "·", "Handover"], ["untriaged", "·", "no"]]
    assert "PLAT-40 Hand-over skipped" in items[0] and "need a category" in items[1]
    assert [a.get("href") for a in below.iter("a")][:2] == [BROWSE + "PLAT-40", BROWSE + "PLAT-33"]
    covered = _text(_region(dated_review_page(review), "review-covered"))
    assert "system · Deploy 4 × 4 = 16, covered by PLAT-9 GreyAP OPEN" in covered and "PLAT-20 Deploy froze" in covered

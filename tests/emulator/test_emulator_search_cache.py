"""The emulator's search answers are reused from page to page, and every issue write is seen at once:
created, edited, transitioned, commented and deleted issues between two pages; queries that read the
clock follow it; sub-tasks follow their parent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

import emulator.context
from emulator.app import create_emulator
from emulator.search import JqlContext, compile_jql
from emulator.search_cache import SearchCache
from tests.emulator.conftest import AUTH, Running, bulk_scenario, serve


@pytest.fixture
def small() -> Iterator[Running]:
    """BULK-1 … BULK-5 (labels alpha/beta) and SMALL-1, on Jira Cloud."""
    with serve(create_emulator(bulk_scenario(5), flavor="cloud")) as running:
        yield running


def page(running: Running, jql: str, size: int = 50, token: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"jql": jql, "fields": ["summary"], "maxResults": size}
    if token:
        body["nextPageToken"] = token
    answer = requests.post(f"{running.url}/rest/api/3/search/jql", json=body, auth=AUTH, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def keys(running: Running, jql: str) -> list[str]:
    return [issue["key"] for issue in page(running, jql)["issues"]]


def count(running: Running, jql: str) -> int:
    answer = requests.post(
        f"{running.url}/rest/api/3/search/approximate-count", json={"jql": jql}, auth=AUTH, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["count"])


def call(running: Running, method: str, path: str, **kwargs: Any) -> requests.Response:
    answer = requests.request(method, f"{running.url}/rest/api/3/{path}", auth=AUTH, timeout=10, **kwargs)
    assert answer.status_code < 300, answer.text
    return answer


def test_a_walk_builds_the_facts_of_each_issue_once_not_once_per_page(
    bulk_cloud: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []
    real = emulator.context.issue_facts

    def counted(site: Any, issue: Any, now: Any = None) -> dict[str, Any]:
        built.append(issue.id)
        return real(site, issue, now)

    monkeypatch.setattr(emulator.context, "issue_facts", counted)
    bulk_cloud.emulator.searches = SearchCache()  # cold, whatever other tests asked before
    walked, pages, token = [], 0, None
    while True:
        answer = page(bulk_cloud, "project = BULK ORDER BY key ASC", size=100, token=token)
        walked += [issue["key"] for issue in answer["issues"]]
        pages += 1
        if answer["isLast"]:
            break
        token = answer["nextPageToken"]
    assert pages == 13 and len(walked) == len(set(walked)) == 1234
    assert len(built) == 1234  # every issue of the project once, for 13 pages; not SMALL-1, out of the query


@pytest.mark.parametrize(
    ("jql", "found", "facts_built"),
    [
        ("project = SMALL", ["SMALL-1"], 1),
        ("project in (SMALL, BULK) AND labels = nothing", [], 6),
        ("project = BULK AND project = SMALL", [], 0),
        ("project = SMALL OR labels = nothing", ["SMALL-1"], 6),  # an alternative: every issue is read
        ("NOT project = BULK", ["SMALL-1"], 6),
        ("project != BULK", ["SMALL-1"], 6),
        ("project = SMALL AND NOT labels = nothing", [], 6),  # an empty field meets no negated clause
    ],
)
def test_a_search_reads_only_the_projects_its_clauses_require(
    small: Running, monkeypatch: pytest.MonkeyPatch, jql: str, found: list[str], facts_built: int
) -> None:
    built: list[str] = []
    real = emulator.context.issue_facts

    def counted(site: Any, issue: Any, now: Any = None) -> dict[str, Any]:
        built.append(issue.id)
        return real(site, issue, now)

    monkeypatch.setattr(emulator.context, "issue_facts", counted)
    assert keys(small, jql) == found and len(built) == facts_built


def test_a_page_after_a_delete_is_cut_from_the_issues_as_they_are_now(small: Running) -> None:
    first = page(small, "project = BULK ORDER BY key ASC", size=2)
    assert [i["key"] for i in first["issues"]] == ["BULK-1", "BULK-2"]
    call(small, "DELETE", "issue/BULK-1")
    second = page(small, "project = BULK ORDER BY key ASC", size=2, token=first["nextPageToken"])
    assert [i["key"] for i in second["issues"]] == ["BULK-4", "BULK-5"] and second["isLast"]
    assert count(small, "project = BULK") == 4


def test_created_and_edited_issues_are_found_by_the_next_search(small: Running) -> None:
    assert keys(small, "project = BULK AND labels = gamma") == []
    call(small, "PUT", "issue/BULK-2", json={"update": {"labels": [{"add": "gamma"}]}})
    assert keys(small, "project = BULK AND labels = gamma") == ["BULK-2"]
    created = call(
        small,
        "POST",
        "issue",
        json={
            "fields": {
                "project": {"key": "BULK"},
                "summary": "New one",
                "issuetype": {"name": "Task"},
                "labels": ["gamma"],
            }
        },
    )
    assert keys(small, "project = BULK AND labels = gamma ORDER BY key DESC") == [created.json()["key"], "BULK-2"]
    assert count(small, "project = BULK AND labels = gamma") == 2
    call(small, "PUT", "issue/BULK-2", json={"update": {"labels": [{"remove": "gamma"}]}})
    assert keys(small, "project = BULK AND labels = gamma") == [created.json()["key"]]


def test_a_transition_moves_an_issue_between_searches(small: Running) -> None:
    done_before = set(keys(small, "project = BULK AND statusCategory = Done"))
    open_key = next(k for k in keys(small, "project = BULK ORDER BY key ASC") if k not in done_before)
    done = next(
        t
        for t in call(small, "GET", f"issue/{open_key}/transitions").json()["transitions"]
        if t["to"]["statusCategory"]["key"] == "done"
    )
    call(small, "POST", f"issue/{open_key}/transitions", json={"transition": {"id": done["id"]}})
    assert set(keys(small, "project = BULK AND statusCategory = Done")) == done_before | {open_key}


def test_comments_are_searchable_as_soon_as_they_are_written_edited_or_deleted(small: Running) -> None:
    assert keys(small, 'project = BULK AND text ~ "zebra"') == []
    comment = call(small, "POST", "issue/BULK-3/comment", json={"body": "a plain note"}).json()
    assert keys(small, 'project = BULK AND text ~ "zebra"') == []
    call(small, "PUT", f"issue/BULK-3/comment/{comment['id']}", json={"body": "a zebra crossing"})
    assert keys(small, 'project = BULK AND text ~ "zebra"') == ["BULK-3"]
    call(small, "DELETE", f"issue/BULK-3/comment/{comment['id']}")
    assert keys(small, 'project = BULK AND text ~ "zebra"') == []


def test_a_query_that_reads_the_clock_follows_it_without_any_write() -> None:
    app = create_emulator(
        {
            "users": [{"name": "admin"}],
            "projects": [{"key": "T", "name": "T"}],
            "issues": [
                {"project": "T", "summary": "old", "created": "-3d"},
                {"project": "T", "summary": "new", "created": "-1h"},
            ],
        },
        flavor="cloud",
    )
    site_emulator = app.extensions["emulator"]
    clock = {"now": datetime.now(UTC)}
    site_emulator.now = lambda: clock["now"]  # type: ignore[method-assign]
    with site_emulator.site.lock:
        assert [i.key for i in site_emulator.search("project = T AND created >= -2d", None)[1]] == ["T-2"]
        clock["now"] += timedelta(days=5)
        assert site_emulator.search("project = T AND created >= -2d", None)[1] == []
        assert [i.key for i in site_emulator.search("project = T AND created <= now()", None)[1]] == ["T-1", "T-2"]


def test_only_relative_dates_and_date_functions_make_a_query_read_the_clock() -> None:
    context = JqlContext(now=datetime(2024, 5, 1, tzinfo=UTC))
    reads = {
        text: compile_jql(text, context).reads_clock
        for text in (
            "project = T",
            'created >= "2024-01-01"',
            "updated >= 2024-01-01 ORDER BY updated",
            "updated >= -15m",
            'created > "-2w"',
            "duedate <= endOfDay()",
            "resolved >= startOfDay(-1d)",
            "assignee = currentUser()",
        )
    }
    assert reads == {
        "project = T": False,
        'created >= "2024-01-01"': False,
        "updated >= 2024-01-01 ORDER BY updated": False,
        "updated >= -15m": True,
        'created > "-2w"': True,
        "duedate <= endOfDay()": True,
        "resolved >= startOfDay(-1d)": True,
        "assignee = currentUser()": False,
    }


def test_currentuser_answers_are_kept_apart_per_user() -> None:
    scenario = {
        "users": [{"name": "admin", "email": "admin@acme.example"}, {"name": "bob", "email": "bob@acme.example"}],
        "projects": [{"key": "T", "name": "T"}],
        "issues": [
            {"project": "T", "summary": "Admin's", "assignee": "admin"},
            {"project": "T", "summary": "Bob's", "assignee": "bob"},
        ],
    }
    with serve(create_emulator(scenario, flavor="cloud")) as running:

        def mine(login: str) -> list[str]:
            answer = requests.post(
                f"{running.url}/rest/api/3/search/jql",
                auth=(login, "x"),
                timeout=10,
                json={"jql": "project = T AND assignee = currentUser()", "fields": ["summary"]},
            )
            assert answer.status_code == 200, answer.text
            return [issue["key"] for issue in answer.json()["issues"]]

        assert mine("admin@acme.example") == ["T-1"]
        assert mine("bob@acme.example") == ["T-2"]
        assert mine("admin@acme.example") == ["T-1"]


def test_sub_tasks_follow_their_parent_through_creation_and_deletion(small: Running) -> None:
    def subtasks() -> list[str]:
        fields = call(small, "GET", "issue/BULK-1", params={"fields": "subtasks"}).json()["fields"]
        return [s["key"] for s in fields["subtasks"]]

    assert subtasks() == []
    child = call(
        small,
        "POST",
        "issue",
        json={
            "fields": {
                "project": {"key": "BULK"},
                "summary": "Part",
                "issuetype": {"name": "Sub-task"},
                "parent": {"key": "BULK-1"},
            }
        },
    ).json()
    assert subtasks() == [child["key"]]
    call(small, "DELETE", f"issue/{child['key']}")
    assert subtasks() == []


def test_sub_tasks_follow_a_parent_change_and_other_edits_keep_the_children_index(
    small: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    def subtasks(key: str) -> list[str]:
        fields = call(small, "GET", f"issue/{key}", params={"fields": "subtasks"}).json()["fields"]
        return [s["key"] for s in fields["subtasks"]]

    fields = {"project": {"key": "BULK"}, "summary": "Part", "issuetype": {"name": "Sub-task"}}
    first = call(small, "POST", "issue", json={"fields": {**fields, "parent": {"key": "BULK-1"}}}).json()["key"]
    second = call(small, "POST", "issue", json={"fields": {**fields, "parent": {"key": "BULK-1"}}}).json()["key"]
    assert subtasks("BULK-1") == [first, second] and subtasks("BULK-2") == []
    site = small.emulator.site
    built: list[int] = []
    monkeypatch.setattr(site, "issues", _CountedValues(site.issues, built))
    call(small, "PUT", f"issue/{second}", json={"fields": {"summary": "Renamed"}})
    assert subtasks("BULK-1") == [first, second] and built == []  # an edit of other fields: no new index
    call(small, "PUT", f"issue/{first}", json={"fields": {"parent": {"key": "BULK-2"}}})
    assert subtasks("BULK-1") == [second] and subtasks("BULK-2") == [first] and len(built) == 1


class _CountedValues(dict):  # type: ignore[type-arg]
    """A dict of issues that records each pass over its values."""

    def __init__(self, issues: dict[str, Any], passes: list[int]) -> None:
        super().__init__(issues)
        self.passes = passes

    def values(self) -> Any:
        self.passes.append(1)
        return super().values()


def test_issue_links_follow_their_creation_and_deletion_once_the_issues_were_rendered(small: Running) -> None:
    def linked(key: str) -> list[str]:
        fields = call(small, "GET", f"issue/{key}", params={"fields": "issuelinks"}).json()["fields"]
        return [(link.get("outwardIssue") or link.get("inwardIssue"))["key"] for link in fields["issuelinks"]]

    assert linked("BULK-1") == [] and linked("BULK-2") == []  # rendered: the links' index is built
    for other in ("BULK-2", "BULK-3"):
        body = {"type": {"name": "Blocks"}, "inwardIssue": {"key": "BULK-1"}, "outwardIssue": {"key": other}}
        call(small, "POST", "issueLink", json=body)
    assert linked("BULK-1") == ["BULK-2", "BULK-3"] and linked("BULK-2") == ["BULK-1"]
    first = call(small, "GET", "issue/BULK-2", params={"fields": "issuelinks"}).json()["fields"]["issuelinks"][0]
    call(small, "DELETE", f"issueLink/{first['id']}")
    assert linked("BULK-1") == ["BULK-3"] and linked("BULK-2") == [] and linked("BULK-3") == ["BULK-1"]


def test_the_search_cache_forgets_everything_at_a_new_revision_and_keeps_only_the_newest() -> None:
    cache = SearchCache(kept=2)
    nobody: frozenset[str] = frozenset()
    cache.put(("a", nobody), 1, [])
    cache.put(("b", nobody), 1, [])
    assert cache.get(("a", nobody), 1) == []  # "a" is now the most recently used
    cache.put(("c", nobody), 1, [])
    assert cache.get(("b", nobody), 1) is None and cache.get(("a", nobody), 1) == [] and len(cache) == 2
    assert cache.get(("a", nobody), 2) is None and len(cache) == 0

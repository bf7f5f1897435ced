"""The Jira port over real HTTP against the emulator, Cloud and Data Center."""

from __future__ import annotations

from typing import Any

import pytest

from connector import AuthError, BadRequest, CallStats, ConnectorError, NotFound, webhook_id
from connector.jira import property_value

CLOUD_SEARCH = "GET /rest/api/3/search/jql"
DC_SEARCH = "GET /rest/api/2/search"


# ---------------------------------------------------------------------------- search


def test_cloud_search_pages_lazily_with_next_page_token(bulk_cloud: Any, make_jira: Any, bulk_size: int) -> None:
    jira = make_jira(bulk_cloud, flavor="cloud")
    before = bulk_cloud.calls(CLOUD_SEARCH)
    issues = jira.search("project = BULK ORDER BY key", fields=["summary", "status"])
    first = next(issues)
    assert bulk_cloud.calls(CLOUD_SEARCH) == before + 1  # lazily: one page fetched so far
    keys = [first["key"]] + [issue["key"] for issue in issues]
    assert len(keys) == len(set(keys)) == bulk_size
    assert set(first["fields"]) == {"summary", "status"}
    assert bulk_cloud.calls(CLOUD_SEARCH) == before + 3  # 100 + 100 + 60
    assert jira.stats.count("jira", "search", "ok") == 3


def test_cloud_search_pages_come_one_call_at_a_time(bulk_cloud: Any, make_jira: Any, bulk_size: int) -> None:
    jira = make_jira(bulk_cloud, flavor="cloud")
    sizes = [len(page) for page in jira.search_pages("project = BULK", fields=["key"], page_size=500)]
    assert sizes == [100, 100, bulk_size - 200]  # Cloud serves at most 100 issues with fields a page


def test_datacenter_search_pages_with_start_at(bulk_datacenter: Any, make_jira: Any, bulk_size: int) -> None:
    jira = make_jira(bulk_datacenter, flavor="datacenter")
    pages = list(jira.search_pages("project = BULK ORDER BY key", fields=["summary"], page_size=120))
    assert [len(p) for p in pages] == [120, 120, bulk_size - 240]
    assert len({issue["key"] for page in pages for issue in page}) == bulk_size
    assert bulk_datacenter.calls(DC_SEARCH) >= 3
    assert bulk_datacenter.calls("GET /rest/api/3/search/jql") == 0


def test_count_on_both_flavours(bulk_cloud: Any, bulk_datacenter: Any, make_jira: Any, bulk_size: int) -> None:
    assert make_jira(bulk_cloud, flavor="cloud").count("project = BULK") == bulk_size
    assert bulk_cloud.calls("POST /rest/api/3/search/approximate-count", "200") >= 1
    assert make_jira(bulk_datacenter, flavor="datacenter").count("project = BULK") == bulk_size


def test_search_can_expand_the_changelog(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    [issue] = list(jira.search("key = PAY-2", fields=["status"], expand_changelog=True))
    assert [h["items"][0]["toString"] for h in issue["changelog"]["histories"]][:1] == ["In Progress"]


def test_cloud_search_with_reconcile_issues_posts_the_query(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud, flavor="cloud")
    just_changed = int(jira.get_issue("PAY-3", fields=["summary"])["id"])
    keys = [
        i["key"] for i in jira.search("project = PAY ORDER BY key", fields=["summary"], reconcile_issues=[just_changed])
    ]
    assert "PAY-3" in keys
    assert cloud.calls("POST /rest/api/3/search/jql", "200") == 1


def test_a_bad_query_is_a_bad_request_quoting_jira(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud, flavor="cloud")
    with pytest.raises(BadRequest) as caught:
        list(jira.search("flavour = vanilla"))
    error = caught.value
    assert error.status == 400 and error.method == "GET" and error.url == "/rest/api/3/search/jql"
    assert "Field 'flavour' does not exist" in str(error) and "search" in str(error)
    assert jira.stats.count("jira", "search", "4xx") == 1


# ---------------------------------------------------------------------------- flavour and site


@pytest.mark.parametrize(("site_fixture", "expected"), [("cloud", "cloud"), ("datacenter", "datacenter")])
def test_the_flavour_is_read_once_from_server_info(
    request: pytest.FixtureRequest, make_jira: Any, site_fixture: str, expected: str
) -> None:
    site = request.getfixturevalue(site_fixture)
    jira = make_jira(site)
    assert jira.flavor == expected
    assert jira.count("project = PAY") == 5
    assert jira.flavor == expected
    assert site.calls("GET /rest/api/2/serverInfo") == 1


def test_myself_and_fields(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    assert jira.myself()["emailAddress"] == "admin@acme.example"
    names = {field["name"]: field["id"] for field in jira.fields()}
    assert names["Story Points"] == "customfield_10016"


# ---------------------------------------------------------------------------- issues


def test_property_round_trip_and_none_when_absent(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    assert jira.get_property("PAY-1", "okrsync.status") is None
    status = {"krs": [{"id": "O1.KR1", "score": 0.4, "health": "at_risk"}], "asOf": "2026-10-20T10:00:00Z"}
    jira.set_property("PAY-1", "okrsync.status", status)
    assert jira.get_property("PAY-1", "okrsync.status") == status
    jira.set_property("PAY-1", "okrsync.status", {"krs": []})
    assert jira.get_property("PAY-1", "okrsync.status") == {"krs": []}


def test_field_updates_are_visible_on_re_read(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    jira.update_fields("PAY-3", {"summary": "Remember saved cards (v2)", "customfield_10016": 8})
    fields = jira.get_issue("PAY-3", fields=["summary", "customfield_10016"])["fields"]
    assert fields == {"summary": "Remember saved cards (v2)", "customfield_10016": 8}


def test_unknown_issue_is_not_found(cloud: Any, make_jira: Any) -> None:
    with pytest.raises(NotFound) as caught:
        make_jira(cloud).get_issue("PAY-999")
    assert caught.value.status == 404 and caught.value.url == "/rest/api/2/issue/PAY-999"


def test_comments(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    comment = jira.add_comment("PAY-1", "O1.KR1 at_risk → on_track")
    assert comment["body"] == "O1.KR1 at_risk → on_track" and comment["id"]
    with pytest.raises(BadRequest, match="comment: Comment body can not be empty"):
        jira.add_comment("PAY-1", "")


@pytest.mark.parametrize("flavor", ["cloud", "datacenter"])
def test_comment_properties_ride_with_the_comment_and_come_back_with_it(
    flavor: str, request: pytest.FixtureRequest, make_jira: Any
) -> None:
    jira = make_jira(request.getfixturevalue(flavor), flavor=flavor)
    checkin = {"marker": "okrsync-checkin:0123456789ab", "health": {"from": "at_risk", "to": "on_track"}}
    for number in range(3):
        jira.add_comment("PAY-1", f"a person's comment {number}")
    posted = jira.add_comment("PAY-1", "O1.KR1 at risk → on track.", {"okrsync.checkin": checkin})
    assert posted["body"] == "O1.KR1 at risk → on track."
    newest = next(jira.comments("PAY-1", newest_first=True, page_size=2))
    assert newest["id"] == posted["id"] and property_value(newest, "okrsync.checkin") == checkin
    every = list(jira.comments("PAY-1", page_size=2))  # oldest first, two a page
    assert every[-1]["id"] == posted["id"] and len(every) >= 4
    assert [property_value(c, "okrsync.checkin") for c in every[:-1]] == [None] * (len(every) - 1)
    assert jira.get_comment_property(posted["id"], "okrsync.checkin") == checkin
    assert jira.get_comment_property(posted["id"], "other") is None


def test_an_issue_is_created_with_its_properties(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    fields = {"project": {"key": "PAY"}, "issuetype": {"name": "Task"}, "summary": "Action point"}
    created = jira.create_issue(fields, {"okrsync.actionpoint": {"claim": "platform/system/deploy"}})
    assert jira.get_property(created["key"], "okrsync.actionpoint") == {"claim": "platform/system/deploy"}


def test_create_issue_and_link_it(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    created = jira.create_issue(
        {
            "project": {"key": "PAY"},
            "issuetype": {"name": "Task"},
            "summary": "Action point: add checkout alerting",
            "labels": ["action-point"],
        }
    )
    assert created["key"].startswith("PAY-") and created["id"]
    jira.link_issues("Relates", created["key"], "PAY-4")
    links = jira.get_issue(created["key"], fields=["issuelinks"])["fields"]["issuelinks"]
    assert [link["outwardIssue"]["key"] for link in links if "outwardIssue" in link] == ["PAY-4"]


def test_create_issue_without_a_project_says_what_is_missing(cloud: Any, make_jira: Any) -> None:
    with pytest.raises(BadRequest, match="project"):
        make_jira(cloud).create_issue({"summary": "orphan"})


# ---------------------------------------------------------------------------- webhooks


def test_webhook_register_list_delete(cloud: Any, make_jira: Any) -> None:
    jira = make_jira(cloud)
    assert jira.list_webhooks() == []
    hook = jira.register_webhook(
        "OKR Sync",
        "https://okrsync.example/webhooks/jira",
        ["jira:issue_created", "jira:issue_updated"],
        "project in (PAY, OPS)",
        "s3cret",
    )
    listed = jira.list_webhooks()
    assert [(h["name"], h["filters"]["issue-related-events-section"]) for h in listed] == [
        ("OKR Sync", "project in (PAY, OPS)")
    ]
    jira.delete_webhook(webhook_id(hook))
    assert jira.list_webhooks() == []
    with pytest.raises(NotFound):
        jira.delete_webhook(webhook_id(hook))


# ---------------------------------------------------------------------------- credentials


def test_basic_credentials_of_a_scenario_user_get_in(strict_cloud: Any, make_jira: Any) -> None:
    assert make_jira(strict_cloud).myself()["emailAddress"] == "admin@acme.example"


def test_a_personal_access_token_is_sent_as_bearer(strict_cloud: Any, make_jira: Any) -> None:
    assert make_jira(strict_cloud, user=None, token="alice-token").myself()["emailAddress"] == "alice@acme.example"


def test_refused_credentials_say_which_variables_to_fix(strict_cloud: Any, make_jira: Any) -> None:
    jira = make_jira(strict_cloud, token="wrong-token-123")
    with pytest.raises(AuthError) as caught:
        jira.myself()
    message = str(caught.value)
    assert "OKRSYNC_JIRA_USER" in message and "OKRSYNC_JIRA_TOKEN" in message and "401" in message
    assert "wrong-token-123" not in message and "wrong-token-123" not in repr(jira.settings)
    assert caught.value.status == 401 and caught.value.url == "/rest/api/2/myself"
    assert strict_cloud.calls("GET /rest/api/2/myself") == 1  # an auth failure is never retried


def test_a_user_without_a_token_is_a_setup_error(cloud: Any, make_jira: Any) -> None:
    with pytest.raises(ConnectorError, match="OKRSYNC_JIRA_TOKEN"):
        make_jira(cloud, token=None)


def test_stats_are_shared_between_ports(cloud: Any, make_jira: Any) -> None:
    stats = CallStats()
    make_jira(cloud, flavor="cloud", stats=stats).myself()
    make_jira(cloud, flavor="cloud", stats=stats).get_issue("PAY-1")
    assert stats.snapshot()["calls"] == {"jira": {"get_issue": {"ok": 1}, "myself": {"ok": 1}}}


# ---------------------------------------------------------------------------- users


def test_users_are_found_by_e_mail_and_name_on_both_flavours(cloud: Any, datacenter: Any, make_jira: Any) -> None:
    on_cloud, on_dc = make_jira(cloud, flavor="cloud"), make_jira(datacenter, flavor="datacenter")
    assert [u["accountId"] for u in on_cloud.find_users("Alice@Acme.example")] == ["5b10ac8d82e05b22cc7d4ef5"]
    assert [u["displayName"] for u in on_cloud.find_users("mensah")] == ["Bob Mensah"]
    assert [u["name"] for u in on_dc.find_users("alice@acme.example")] == ["alice"]
    assert [u["name"] for u in on_dc.find_users("bob")] == ["bob"]
    assert on_cloud.find_users("nobody@acme.example") == []
    assert [u["displayName"] for u in on_cloud.find_users("acme.example")] == []  # prefixes, not any substring
    assert cloud.calls("GET /rest/api/2/user/search") == 4 and datacenter.calls("GET /rest/api/2/user/search") == 2


def test_a_user_is_read_by_account_id_on_cloud_and_by_key_or_name_on_data_center(
    cloud: Any, datacenter: Any, make_jira: Any
) -> None:
    on_cloud, on_dc = make_jira(cloud, flavor="cloud"), make_jira(datacenter, flavor="datacenter")
    assert on_cloud.user("5b10ac8d82e05b22cc7d4ef5")["displayName"] == "Alice Park"
    assert on_cloud.user("5b10ffff0000000000dead01") is None
    assert on_dc.user("bob")["displayName"] == "Bob Mensah"  # found by its key
    assert on_dc.user("nobody") is None  # neither a key nor a user name
    assert cloud.calls("GET /rest/api/2/user") == 2 and datacenter.calls("GET /rest/api/2/user") == 3

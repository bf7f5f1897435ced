"""The Confluence port over real HTTP: find, create, update with versions, 409 on a stale one."""

from __future__ import annotations

from typing import Any

import pytest

from connector import Conflict, ConfluencePort, ConfluenceSettings, NotFound, Page
from connector.confluence import confluence_base_url, first_result

UPDATE = "PUT /wiki/rest/api/content/{page_id}"


def test_find_page_reads_body_and_version(cloud: Any, make_confluence: Any) -> None:
    home = make_confluence(cloud).find_page("OKR", "OKRs home")
    assert home is not None
    assert (home.space, home.title, home.version, home.parent_id) == ("OKR", "OKRs home", 1, None)
    assert "<h1>Objectives</h1>" in home.body


def test_a_missing_page_is_none(cloud: Any, make_confluence: Any) -> None:
    assert make_confluence(cloud).find_page("OKR", "No such page") is None


def test_create_then_find_and_get(cloud: Any, make_confluence: Any) -> None:
    confluence = make_confluence(cloud)
    home = confluence.find_page("OKR", "OKRs home")
    created = confluence.create_page("OKR", "Shop OKRs 2026 Q4", "<p>as of today</p>", parent_id=home.id)
    assert (created.version, created.body, created.parent_id) == (1, "<p>as of today</p>", home.id)
    assert confluence.find_page("OKR", "Shop OKRs 2026 Q4") == created
    assert confluence.get_page(created.id) == created


def test_update_sends_the_next_version_with_its_message(cloud: Any, make_confluence: Any) -> None:
    confluence = make_confluence(cloud)
    page = confluence.create_page("OKR", "Platform problem review", "<p>v1</p>")
    updated = confluence.update_page(page, "<p>v2</p>", "O1.KR2 at_risk → on_track")
    assert (updated.version, updated.body, updated.title) == (2, "<p>v2</p>", "Platform problem review")
    again = confluence.get_page(page.id)
    assert (again.version, again.body) == (2, "<p>v2</p>")
    assert cloud.app.extensions["emulator"].site.pages[page.id].message == "O1.KR2 at_risk → on_track"


def test_a_stale_version_is_a_conflict_and_is_not_retried(cloud: Any, make_confluence: Any, fake_time: Any) -> None:
    confluence = make_confluence(cloud)
    page = confluence.create_page("OKR", "Contested", "<p>v1</p>")
    confluence.update_page(page, "<p>a person's edit</p>", "edited by hand")
    with pytest.raises(Conflict) as caught:
        confluence.update_page(page, "<p>ours</p>", "O1 refreshed")
    assert caught.value.status == 409 and caught.value.method == "PUT"
    assert "re-read" in str(caught.value)
    assert fake_time.waits == [] and cloud.calls(UPDATE, "409") == 1
    assert confluence.get_page(page.id).body == "<p>a person's edit</p>"


def test_an_unknown_page_id_is_not_found(cloud: Any, make_confluence: Any) -> None:
    with pytest.raises(NotFound) as caught:
        make_confluence(cloud).get_page("424242")
    assert caught.value.url == "/wiki/rest/api/content/424242"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://acme.atlassian.net", "https://acme.atlassian.net/wiki"),
        ("https://acme.atlassian.net/wiki/", "https://acme.atlassian.net/wiki"),
        ("https://confluence.acme.example", "https://confluence.acme.example"),
    ],
)
def test_cloud_site_urls_gain_wiki(given: str, expected: str) -> None:
    assert confluence_base_url(given) == expected


def test_title_lookups_of_every_client_shape() -> None:
    page = {"id": "1", "title": "T"}
    assert first_result({"results": [page]}) == page
    assert first_result({"results": []}) is None
    assert first_result(page) == page
    assert first_result([page]) == page
    assert first_result(None) is None


def test_pages_are_plain_values() -> None:
    assert Page("1", "T", "OKR", 3, "<p/>") == Page("1", "T", "OKR", 3, "<p/>", parent_id=None)


def test_a_cloud_site_gets_the_v1_content_client_with_an_exact_timeout() -> None:
    port = ConfluencePort(
        ConfluenceSettings(url="https://acme.atlassian.net", user="me@acme.example", token="t", timeout=2.5)
    )
    assert port.client.url == "https://acme.atlassian.net/wiki"
    assert callable(port.client.get_page_by_id) and callable(port.client.create_page)
    assert port.client.timeout == 2.5

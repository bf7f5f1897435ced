"""Confluence v1 and v2 through atlassian-python-api and plain HTTP: versions, 409, titles, children."""

from __future__ import annotations

import pytest
import requests
from atlassian import Confluence
from requests import HTTPError

from tests.emulator.conftest import AUTH, Running


def confluence(running: Running) -> Confluence:
    return Confluence(url=f"{running.url}/wiki", username=AUTH[0], password=AUTH[1])


def test_create_find_update_and_read_back(cloud: Running) -> None:
    client = confluence(cloud)
    home = client.get_page_by_title("OKR", "OKRs home")["results"][0]
    created = client.create_page("OKR", "Q4 Payments", "<p>draft</p>", parent_id=home["id"])
    assert created["version"]["number"] == 1
    client.update_page(created["id"], "Q4 Payments", "<p>final &amp; reviewed</p>")
    page = client.get_page_by_id(created["id"], expand="body.storage,version,ancestors")
    assert page["version"]["number"] == 2
    assert page["body"]["storage"]["value"] == "<p>final &amp; reviewed</p>"
    assert [a["title"] for a in page["ancestors"]] == ["OKRs home"]
    children = client.get_page_child_by_type(home["id"], type="page")
    assert {c["title"] for c in children} >= {"Q3 Payments", "Q4 Payments"}
    assert [s["key"] for s in client.get_all_spaces()["results"]] == ["OKR"]


def test_a_stale_version_is_answered_409(cloud: Running) -> None:
    client = confluence(cloud)
    page = client.get_page_by_title("OKR", "Q3 Payments", expand="version")["results"][0]
    current = page["version"]["number"]
    update = {
        "id": page["id"],
        "type": "page",
        "title": page["title"],
        "body": {"storage": {"value": "<p>new</p>", "representation": "storage"}},
        "version": {"number": current + 1},
    }
    client.put(f"rest/api/content/{page['id']}", data=update)
    with pytest.raises(HTTPError) as raised:
        client.put(f"rest/api/content/{page['id']}", data=update)  # same number again: now stale
    assert raised.value.response.status_code == 409
    assert (
        raised.value.response.json()["message"]
        == f"Version must be incremented on update. Current version is: {current + 1}"
    )


def test_duplicate_titles_and_missing_versions_are_refused(cloud: Running) -> None:
    client = confluence(cloud)
    with pytest.raises(HTTPError) as duplicate:
        client.create_page("OKR", "OKRs home", "<p>again</p>")
    assert duplicate.value.response.status_code == 400
    response = requests.put(
        f"{cloud.url}/wiki/rest/api/content/65000", auth=AUTH, timeout=5, json={"title": "OKRs home", "type": "page"}
    )
    assert response.status_code == 400 and "version" in response.json()["message"]


def test_v2_pages_create_list_update_and_conflict(cloud: Running) -> None:
    base = f"{cloud.url}/wiki/api/v2"
    space = requests.get(f"{base}/spaces", params={"keys": "OKR"}, auth=AUTH, timeout=5).json()["results"][0]
    created = requests.post(
        f"{base}/pages",
        auth=AUTH,
        timeout=5,
        json={
            "spaceId": space["id"],
            "status": "current",
            "title": "v2 page",
            "body": {"representation": "storage", "value": "<p>one</p>"},
        },
    ).json()
    update = {
        "id": created["id"],
        "status": "current",
        "title": "v2 page",
        "body": {"representation": "storage", "value": "<p>two</p>"},
        "version": {"number": 2},
    }
    assert requests.put(f"{base}/pages/{created['id']}", json=update, auth=AUTH, timeout=5).status_code == 200
    conflict = requests.put(f"{base}/pages/{created['id']}", json=update, auth=AUTH, timeout=5)
    assert conflict.status_code == 409 and conflict.json()["errors"][0]["code"] == "CONFLICT"
    read = requests.get(f"{base}/pages/{created['id']}", params={"body-format": "storage"}, auth=AUTH, timeout=5).json()
    assert read["version"]["number"] == 2 and read["body"]["storage"]["value"] == "<p>two</p>"
    listed = requests.get(f"{base}/pages", params={"space-id": space["id"], "limit": 1}, auth=AUTH, timeout=5).json()
    assert len(listed["results"]) == 1 and listed["_links"]["next"].startswith("/wiki/api/v2/pages?cursor=")
    rest = requests.get(f"{cloud.url}{listed['_links']['next']}", auth=AUTH, timeout=5).json()
    assert rest["results"][0]["id"] != listed["results"][0]["id"]


def test_unknown_pages_and_spaces_are_404(cloud: Running) -> None:
    assert requests.get(f"{cloud.url}/wiki/rest/api/content/1", auth=AUTH, timeout=5).status_code == 404
    assert (
        requests.post(
            f"{cloud.url}/wiki/rest/api/content",
            auth=AUTH,
            timeout=5,
            json={"type": "page", "title": "x", "space": {"key": "NOPE"}},
        ).status_code
        == 404
    )

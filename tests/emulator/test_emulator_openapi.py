"""The emulator's answers validate against Atlassian's OpenAPI documents (openapi-core), as kept in
tests/fixtures/openapi/: the operations the product and the emulator use, with every component they reference.

One deliberate leniency: Jira writes times as ``2019-02-15T19:01:52.971+0000`` (offset without a
colon) although its document declares RFC 3339 ``date-time``. The emulator sends what Jira really
sends, so ``date-time`` here also accepts that offset form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.validation.response.exceptions import DataValidationError

from emulator.app import create_emulator
from tests.emulator.conftest import AUTH, Running, serve

JIRA_HOST = "https://your-domain.atlassian.net"
CONFLUENCE_V2_HOST = "https://acme.atlassian.net/wiki/api/v2"
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$")


def jira_date_time(value: Any) -> bool:
    return not isinstance(value, str) or bool(DATE_TIME.match(value))


def openapi(spec: dict[str, Any]) -> OpenAPI:
    config = Config(spec_validator_cls=None, extra_format_validators={"date-time": jira_date_time})
    return OpenAPI.from_dict(spec, config=config)


@pytest.fixture(scope="session")
def jira_api(jira_spec: dict[str, Any]) -> OpenAPI:
    return openapi(jira_spec)


@pytest.fixture(scope="session")
def confluence_v1_api(confluence_v1_spec: dict[str, Any]) -> OpenAPI:
    # The document's server is scheme-relative ("//your-domain.atlassian.net"), which path finding cannot match.
    return openapi({**confluence_v1_spec, "servers": [{"url": JIRA_HOST}]})


@pytest.fixture(scope="session")
def confluence_v2_api(confluence_v2_spec: dict[str, Any]) -> OpenAPI:
    return openapi(confluence_v2_spec)


@pytest.fixture(scope="module")
def site() -> Iterator[Running]:
    with serve(create_emulator(flavor="cloud")) as running:
        yield running


def call(running: Running, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{running.url}{path}", auth=AUTH, timeout=5, **kwargs)


def check(api: OpenAPI, host: str, response: requests.Response, spec_path: str | None = None) -> None:
    """Validate ``response`` against the operation its request maps to under ``host``.

    A 204 carries no body, so only its absence is checked; an error status whose documented response
    declares no content (Confluence's 409) is checked for being documented, not for its body.
    """
    sent = response.request
    path = spec_path or re.sub(r"^https?://[^/]+", "", sent.url or "")
    body = sent.body if isinstance(sent.body, (bytes, type(None))) else str(sent.body).encode()
    request = requests.Request(sent.method, host + path, data=body, headers=dict(sent.headers))
    if response.status_code == 204:
        assert not response.content
        return
    try:
        api.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
    except DataValidationError as exc:
        undocumented_body = response.status_code >= 400 and "Valid mimetypes: []" in str(exc)
        if not undocumented_body:
            raise


def check_jira(api: OpenAPI, response: requests.Response) -> None:
    """v2 paths validate against their v3 twins: the document describes v3 only."""
    path = re.sub(r"^https?://[^/]+", "", response.request.url or "").replace("/rest/api/2/", "/rest/api/3/")
    check(api, JIRA_HOST, response, path)


JIRA_READS = [
    "/rest/api/3/search/jql?jql=project%3DPAY&fields=*all&expand=changelog",
    "/rest/api/3/search/jql?jql=project%3DPAY&maxResults=2",
    "/rest/api/3/issue/PAY-2?expand=changelog",
    "/rest/api/2/issue/PAY-3",
    "/rest/api/3/issue/PAY-3/comment",
    "/rest/api/3/issue/PAY-3/properties",
    "/rest/api/3/issue/PAY-3/transitions",
    "/rest/api/3/issue/PAY-3/editmeta",
    "/rest/api/2/issue/PAY-2/editmeta",
    "/rest/api/3/field",
    "/rest/api/3/myself",
    "/rest/api/3/user/search?query=alice",
    "/rest/api/3/serverInfo",
    "/rest/api/3/project",
    "/rest/api/3/project/search",
    "/rest/api/3/project/PAY",
]


@pytest.mark.parametrize("path", JIRA_READS)
def test_jira_reads_follow_the_document(site: Running, jira_api: OpenAPI, path: str) -> None:
    response = call(site, "GET", path)
    assert response.status_code == 200, response.text
    assert response.json(), "an empty answer proves nothing about its shape"
    check_jira(jira_api, response)


def test_jira_writes_follow_the_document(site: Running, jira_api: OpenAPI) -> None:
    created = call(
        site,
        "POST",
        "/rest/api/3/issue",
        json={"fields": {"project": {"key": "PAY"}, "issuetype": {"name": "Task"}, "summary": "Validated"}},
    )
    assert created.status_code == 201
    key = created.json()["key"]
    responses = [
        created,
        call(site, "PUT", f"/rest/api/3/issue/{key}", json={"fields": {"summary": "Validated again"}}),
        call(site, "PUT", f"/rest/api/3/issue/{key}/properties/okr", json={"progress": 0.5}),
        call(site, "GET", f"/rest/api/3/issue/{key}/properties/okr"),
        call(site, "POST", f"/rest/api/3/issue/{key}/comment", json={"body": "noted"}),
        call(
            site,
            "POST",
            "/rest/api/3/issueLink",
            json={"type": {"name": "Blocks"}, "inwardIssue": {"key": key}, "outwardIssue": {"key": "PAY-1"}},
        ),
        call(site, "POST", f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": "3"}}),
        call(site, "POST", "/rest/api/3/search/jql", json={"jql": "project = PAY", "fields": ["summary"]}),
        call(site, "POST", "/rest/api/3/search/approximate-count", json={"jql": "project = PAY"}),
        call(site, "GET", "/rest/api/3/search/jql?jql=project%20%3D%20PAY%20AND"),
        call(site, "DELETE", f"/rest/api/3/issue/{key}"),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        check_jira(jira_api, response)


def test_comment_properties_follow_the_document(site: Running, jira_api: OpenAPI) -> None:
    checkin = {"key": "okrsync.checkin", "value": {"marker": "okrsync-checkin:0123456789ab"}}
    posted = call(site, "POST", "/rest/api/3/issue/PAY-3/comment", json={"body": "on track", "properties": [checkin]})
    assert posted.status_code == 201
    base = f"/rest/api/3/comment/{posted.json()['id']}/properties"
    responses = [
        posted,
        call(site, "GET", "/rest/api/3/issue/PAY-3/comment?expand=properties&orderBy=-created&maxResults=2"),
        call(site, "GET", base),
        call(site, "GET", f"{base}/okrsync.checkin"),
        call(site, "PUT", f"{base}/team.note", json={"seen": True}),
        call(site, "PUT", f"{base}/team.note", json={"seen": False}),
        call(site, "DELETE", f"{base}/team.note"),
        call(site, "GET", f"{base}/team.note"),
    ]
    for response in responses:
        assert response.status_code < 500, response.text
        check_jira(jira_api, response)
    assert responses[1].json()["comments"][0]["properties"] == [checkin]


CONFLUENCE_V1_READS = [
    "/wiki/rest/api/content?spaceKey=OKR&title=OKRs%20home&expand=body.storage,version",
    "/wiki/rest/api/content/65000?expand=body.storage,version,ancestors,history",
    "/wiki/rest/api/content/65000/history",
    "/wiki/rest/api/content/65000/child/page",
    "/wiki/rest/api/content/65000/child",
    "/wiki/rest/api/space",
    "/wiki/rest/api/space/OKR",
]


@pytest.mark.parametrize("path", CONFLUENCE_V1_READS)
def test_confluence_v1_reads_follow_the_document(site: Running, confluence_v1_api: OpenAPI, path: str) -> None:
    response = call(site, "GET", path)
    assert response.status_code == 200, response.text
    check(confluence_v1_api, JIRA_HOST, response)


def test_confluence_v1_writes_follow_the_document(site: Running, confluence_v1_api: OpenAPI) -> None:
    created = call(
        site,
        "POST",
        "/wiki/rest/api/content",
        json={
            "type": "page",
            "title": "Validated page",
            "space": {"key": "OKR"},
            "body": {"storage": {"value": "<p>a</p>", "representation": "storage"}},
        },
    )
    page_id = created.json()["id"]
    update = {
        "type": "page",
        "title": "Validated page",
        "version": {"number": 2},
        "body": {"storage": {"value": "<p>b</p>", "representation": "storage"}},
    }
    updated = call(site, "PUT", f"/wiki/rest/api/content/{page_id}", json=update)
    stale = call(site, "PUT", f"/wiki/rest/api/content/{page_id}", json=update)
    assert (created.status_code, updated.status_code, stale.status_code) == (200, 200, 409)
    for response in (created, updated, stale):
        check(confluence_v1_api, JIRA_HOST, response)


def test_confluence_v2_follows_the_document(site: Running, confluence_v2_api: OpenAPI) -> None:
    space = call(site, "GET", "/wiki/api/v2/spaces?keys=OKR")
    space_id = space.json()["results"][0]["id"]
    created = call(
        site,
        "POST",
        "/wiki/api/v2/pages",
        json={
            "spaceId": space_id,
            "status": "current",
            "title": "v2 validated",
            "body": {"representation": "storage", "value": "<p>a</p>"},
        },
    )
    page_id = created.json()["id"]
    responses = [
        space,
        created,
        call(site, "GET", f"/wiki/api/v2/spaces/{space_id}"),
        call(site, "GET", f"/wiki/api/v2/pages?space-id={space_id}&body-format=storage&limit=1"),
        call(site, "GET", f"/wiki/api/v2/pages/{page_id}?body-format=storage"),
        call(
            site,
            "PUT",
            f"/wiki/api/v2/pages/{page_id}",
            json={
                "id": page_id,
                "status": "current",
                "title": "v2 validated",
                "body": {"representation": "storage", "value": "<p>b</p>"},
                "version": {"number": 2},
            },
        ),
        call(site, "GET", "/wiki/api/v2/pages/65000/children"),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        path = re.sub(r"^https?://[^/]+/wiki/api/v2", "", response.request.url or "")
        check(confluence_v2_api, CONFLUENCE_V2_HOST, response, path)


def test_jira_remote_links_follow_the_document(site: Running, jira_api: OpenAPI) -> None:
    """The list (``GET …/remotelink``) is left out: the document declares one object there, though its
    own example, like Jira, answers an array of them."""
    link = {"globalId": "okr=validated", "object": {"url": "https://example.com/okr", "title": "OKR page"}}
    created = call(site, "POST", "/rest/api/3/issue/PAY-4/remotelink", json=link)
    assert created.status_code == 201
    link_id = created.json()["id"]
    responses = [
        created,
        call(site, "POST", "/rest/api/3/issue/PAY-4/remotelink", json=link),
        call(site, "GET", f"/rest/api/3/issue/PAY-4/remotelink/{link_id}"),
        call(site, "PUT", f"/rest/api/3/issue/PAY-4/remotelink/{link_id}", json=link),
        call(site, "DELETE", "/rest/api/3/issue/PAY-4/remotelink?globalId=okr%3Dvalidated"),
    ]
    for response in responses:
        assert response.status_code < 300, response.text
        check_jira(jira_api, response)

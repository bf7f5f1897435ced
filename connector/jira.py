"""The Jira port: the handful of Jira calls the product makes, for Cloud and Data Center.

Cloud searches with ``/rest/api/3/search/jql`` and ``nextPageToken`` (the old ``/search`` is gone
there); Data Center with ``/rest/api/2/search`` and ``startAt``/``total``. When the flavour is not
configured it is read once from ``serverInfo``. Every call goes through ``Transport.call``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import orjson
import requests
from atlassian import Jira

from connector.errors import BadRequest, ConnectorError, NotFound
from connector.retry import DEFAULT_POLICY, RetryPolicy
from connector.stats import CallStats
from connector.transport import Credentials, Transport, check_url, client_options, keep_exact_timeout

Flavor = Literal["cloud", "datacenter"]
CLOUD_PAGE_LIMIT = 100  # Jira Cloud returns at most 100 issues a page unless only ids/keys are asked for
WEBHOOKS = "rest/webhooks/1.0/webhook"
SEARCH_JQL = "rest/api/3/search/jql"


@dataclass(frozen=True)
class JiraSettings:
    url: str
    user: str | None
    token: str | None
    flavor: Flavor | None = None
    timeout: float = 30

    def __repr__(self) -> str:  # the token never reaches a log line
        return f"JiraSettings(url={self.url!r}, user={self.user!r}, flavor={self.flavor!r}, timeout={self.timeout})"


def flavor_of(server_info: dict[str, Any]) -> Flavor:
    """``deploymentType`` "Cloud" is Jira Cloud; "Server" and "DataCenter" both speak the v2 search."""
    return "cloud" if str(server_info.get("deploymentType", "")).lower() == "cloud" else "datacenter"


def webhook_id(registration: dict[str, Any]) -> str:
    """A registration's id: Jira's admin API gives it only as the last segment of ``self``."""
    return str(registration.get("id") or str(registration.get("self", "")).rstrip("/").rsplit("/", 1)[-1])


def entity_properties(properties: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Properties as a create body carries them: ``[{"key": …, "value": …}]``."""
    return [{"key": key, "value": value} for key, value in properties.items()]


def property_value(entity: Mapping[str, Any], name: str) -> Any | None:
    """The value of the property ``name`` among an expanded entity's ``properties`` (None: not there)."""
    for item in entity.get("properties") or []:
        if isinstance(item, dict) and item.get("key") == name:
            return item.get("value")
    return None


def search_page(body: bytes, request: str) -> dict[str, Any]:
    """A search answer's body: a JSON object whose ``issues`` is a list of objects (checked for the page,
    not per issue). Anything else is a ConnectorError that quotes the start of the body."""
    try:
        page = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ConnectorError(
            f"Jira search ({request}) answered a body that is not JSON ({exc}): {_start(body)!r}; "
            "check OKRSYNC_JIRA_URL points at the Jira site itself, not a proxy's sign-in page"
        ) from exc
    issues = page.get("issues", []) if isinstance(page, dict) else None
    if not isinstance(issues, list) or not all(isinstance(issue, dict) for issue in issues):
        raise ConnectorError(
            f"Jira search ({request}) answered JSON without a list of issues, expected "
            f'{{"issues": [{{"id": …, "key": …, "fields": {{…}}}}, …]}}: {_start(body)!r}'
        )
    return page


def _start(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace")
    return text + ("…" if len(body) > limit else "")


def _dicts(answer: Any) -> list[dict[str, Any]]:
    """The objects of a list answer; anything else (an empty body) is no objects."""
    return [item for item in answer if isinstance(item, dict)] if isinstance(answer, list) else []


class JiraPort:
    """The Jira calls the product makes; one Transport runs them all (retries, errors, counts)."""

    def __init__(
        self,
        settings: JiraSettings,
        policy: RetryPolicy = DEFAULT_POLICY,
        stats: CallStats | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.stats = stats if stats is not None else CallStats()
        credentials = Credentials(settings.user, settings.token, "OKRSYNC_JIRA")
        check_url(settings.url, "OKRSYNC_JIRA")
        self.client = Jira(
            settings.url.rstrip("/"),
            cloud=settings.flavor == "cloud",
            **client_options(Jira, credentials, settings.timeout, session),
        )
        keep_exact_timeout(self.client, settings.timeout)
        self.transport = Transport("jira", credentials, policy, self.stats, site=settings.url.rstrip("/"))
        self._flavor: Flavor | None = settings.flavor
        self._flavor_lock = threading.Lock()

    # ------------------------------------------------------------------ site

    @property
    def flavor(self) -> Flavor:
        """The configured flavour, else the one ``serverInfo`` reports (asked once, then remembered)."""
        if self._flavor is None:
            with self._flavor_lock:
                if self._flavor is None:
                    detected = flavor_of(self.server_info())
                    self.client.cloud = detected == "cloud"
                    self._flavor = detected
        return self._flavor

    def server_info(self) -> dict[str, Any]:
        return self._call("server_info", self.client.get_server_info, "GET", "rest/api/2/serverInfo")

    def myself(self) -> dict[str, Any]:
        return self._call("myself", self.client.myself, "GET", "rest/api/2/myself")

    def fields(self) -> list[dict[str, Any]]:
        """Every system and custom field (``/field``): resolves "Story Points" to ``customfield_10016``."""
        return self._call("fields", self.client.get_all_fields, "GET", "rest/api/2/field") or []

    # ------------------------------------------------------------------ catalogs (what `okrsync init` reads)

    def projects(self) -> list[dict[str, Any]]:
        """The projects the account sees (Cloud: ``/project/search``, every page; Data Center: ``/project``)."""
        path = "rest/api/2/project/search" if self.flavor == "cloud" else "rest/api/2/project"
        return _dicts(self._call("projects", self.client.projects, "GET", path))

    def project(self, key: str) -> dict[str, Any]:
        """One project with its issue types and components (``/project/{key}``)."""
        return self._call("project", lambda: self.client.project(key), "GET", f"rest/api/2/project/{key}") or {}

    def issue_types(self) -> list[dict[str, Any]]:
        return _dicts(self._call("issue_types", self.client.get_issue_types, "GET", "rest/api/2/issuetype"))

    def statuses(self) -> list[dict[str, Any]]:
        """Every status with its ``statusCategory`` (key ``new``, ``indeterminate`` or ``done``)."""
        return _dicts(self._call("statuses", self.client.get_all_statuses, "GET", "rest/api/2/status"))

    def priorities(self) -> list[dict[str, Any]]:
        """The priorities, highest first (the order Jira lists them in)."""
        return _dicts(self._call("priorities", self.client.get_all_priorities, "GET", "rest/api/2/priority"))

    # ------------------------------------------------------------------ search

    def search(
        self,
        jql: str,
        fields: Sequence[str] | None = None,
        expand_changelog: bool = False,
        page_size: int = 100,
        *,
        reconcile_issues: Sequence[int] = (),
    ) -> Iterator[dict[str, Any]]:
        """Issues matching ``jql``, fetched lazily one page (one call) at a time.

        ``fields`` None asks for all fields. ``reconcile_issues`` (Cloud only, ignored on Data Center)
        lists issue ids just changed, so the search sees them despite index lag.
        """
        for page in self.search_pages(jql, fields, expand_changelog, page_size, reconcile_issues=reconcile_issues):
            yield from page

    def search_pages(
        self,
        jql: str,
        fields: Sequence[str] | None = None,
        expand_changelog: bool = False,
        page_size: int = 100,
        *,
        reconcile_issues: Sequence[int] = (),
    ) -> Iterator[list[dict[str, Any]]]:
        """The same search page by page, for progress reporting."""
        wanted = ",".join(fields) if fields else "*all"
        expand = "changelog" if expand_changelog else None
        if self.flavor == "cloud":
            size = max(1, min(page_size, CLOUD_PAGE_LIMIT))
            return self._cloud_pages(jql, wanted, expand, size, list(reconcile_issues))
        return self._datacenter_pages(jql, wanted, expand, max(1, page_size))

    def _cloud_pages(
        self, jql: str, fields: str, expand: str | None, size: int, reconcile: list[int]
    ) -> Iterator[list[dict[str, Any]]]:
        token: str | None = None
        while True:
            if reconcile:
                page = self._cloud_page_posted(jql, fields, expand, size, token, reconcile)
            else:
                page = self._cloud_page(jql, fields, expand, size, token)
            issues = page.get("issues") or []
            if issues:
                yield issues
            token = page.get("nextPageToken")
            if page.get("isLast") or not token or not issues:
                return

    def _cloud_page(self, jql: str, fields: str, expand: str | None, size: int, token: str | None) -> dict[str, Any]:
        """One page of ``GET /search/jql``: the client sends it and checks its status, as ``enhanced_jql``
        does, and the body is parsed from its bytes with orjson (a page is 100 issues of JSON)."""
        params: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": size}
        if token is not None:
            params["nextPageToken"] = token
        if expand is not None:
            params["expand"] = expand

        def send() -> dict[str, Any]:
            response = self.client.get(SEARCH_JQL, params=params, advanced_mode=True)
            self.client.raise_for_status(response)
            return search_page(response.content, "GET /" + SEARCH_JQL)

        return self._call("search", send, "GET", SEARCH_JQL)

    def _cloud_page_posted(
        self, jql: str, fields: str, expand: str | None, size: int, token: str | None, reconcile: list[int]
    ) -> dict[str, Any]:
        """POST form of the search: the only one that carries ``reconcileIssues``; the client has no call for it."""
        body: dict[str, Any] = {
            "jql": jql,
            "fields": fields.split(","),
            "maxResults": size,
            "reconcileIssues": reconcile,
        }
        if token:
            body["nextPageToken"] = token
        if expand:
            body["expand"] = expand
        return self._call(
            "search", lambda: self.client.post("rest/api/3/search/jql", data=body), "POST", "rest/api/3/search/jql"
        )

    def _datacenter_pages(self, jql: str, fields: str, expand: str | None, size: int) -> Iterator[list[dict[str, Any]]]:
        start = 0
        while True:
            page = self._call(
                "search",
                lambda start=start: self.client.jql(jql, fields=fields, start=start, limit=size, expand=expand),
                "GET",
                "rest/api/2/search",
            )
            issues = page.get("issues") or []
            if issues:
                yield issues
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                return

    def count(self, jql: str) -> int:
        """How many issues match: Cloud's approximate count, or Data Center's ``total`` of an empty page."""
        if self.flavor == "cloud":
            answer = self._call(
                "count",
                lambda: self.client.post("rest/api/3/search/approximate-count", data={"jql": jql}),
                "POST",
                "rest/api/3/search/approximate-count",
            )
            return int(answer.get("count", 0))
        answer = self._call(
            "count", lambda: self.client.jql(jql, fields="id", start=0, limit=0), "GET", "rest/api/2/search"
        )
        return int(answer.get("total", 0))

    # ------------------------------------------------------------------ issues

    def get_issue(self, key: str, fields: Sequence[str] | None = None) -> dict[str, Any]:
        wanted = ",".join(fields) if fields else "*all"
        return self._call("get_issue", lambda: self.client.issue(key, fields=wanted), "GET", f"rest/api/2/issue/{key}")

    def get_property(self, key: str, name: str) -> Any | None:
        """The property's value, or None when it was never set.

        Any 404 reads as "absent": Jira words (and localises) the missing-property and missing-issue
        answers differently, and a missing issue surfaces on the next write anyway.
        """
        try:
            answer = self._call(
                "get_property",
                lambda: self.client.get_issue_property(key, name),
                "GET",
                f"rest/api/2/issue/{key}/properties/{name}",
            )
        except NotFound:
            return None
        return (answer or {}).get("value")

    def set_property(self, key: str, name: str, value: Any) -> None:
        self._call(
            "set_property",
            lambda: self.client.set_issue_property(key, name, value),
            "PUT",
            f"rest/api/2/issue/{key}/properties/{name}",
        )

    def update_fields(self, key: str, fields: dict[str, Any]) -> None:
        self._call(
            "update_fields", lambda: self.client.update_issue_field(key, fields), "PUT", f"rest/api/2/issue/{key}"
        )

    def update_issue(self, key: str, update: dict[str, Any]) -> None:
        """Edit with Jira's verbs, ``{"labels": [{"add": "x"}, {"remove": "y"}]}``: only what they name changes."""
        self._call("update_issue", lambda: self.client.edit_issue(key, update), "PUT", f"rest/api/2/issue/{key}")

    def edit_meta(self, key: str) -> dict[str, Any]:
        """The issue's edit screen: ``{"fields": {id: {name, schema, operations, allowedValues…}}}``."""
        path = f"rest/api/2/issue/{key}/editmeta"
        return self._call("edit_meta", lambda: self.client.issue_editmeta(key), "GET", path) or {}

    def add_comment(self, key: str, body: str, properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Post a comment; ``properties`` (key → JSON value) are set on it in the same request, out of
        the text people read (comment properties: Cloud and Data Center alike)."""
        data: dict[str, Any] = {"body": body}
        if properties:
            data["properties"] = entity_properties(properties)
        path = f"rest/api/2/issue/{key}/comment"
        return self._call("add_comment", lambda: self.client.post(path, data=data), "POST", path, idempotent=False)

    def comments(self, key: str, *, newest_first: bool = False, page_size: int = 50) -> Iterator[dict[str, Any]]:
        """The issue's comments with their properties (``expand=properties``: a list of ``{key, value}``
        on each), fetched lazily one page at a time, oldest first or ``newest_first``."""
        path = f"rest/api/2/issue/{key}/comment"
        start = 0
        while True:
            params = {"startAt": start, "maxResults": page_size, "expand": "properties"}
            if newest_first:
                params["orderBy"] = "-created"
            page = self._call("comments", lambda params=params: self.client.get(path, params=params), "GET", path) or {}
            listed = _dicts(page.get("comments"))
            yield from listed
            start += len(listed)
            if not listed or start >= int(page.get("total", 0)):
                return

    def get_comment_property(self, comment_id: str, name: str) -> Any | None:
        """A comment property's value, or None when it was never set (any 404, as for issue properties)."""
        path = f"rest/api/2/comment/{comment_id}/properties/{name}"
        try:
            answer = self._call("get_comment_property", lambda: self.client.get(path), "GET", path)
        except NotFound:
            return None
        return (answer or {}).get("value")

    def find_users(self, text: str) -> list[dict[str, Any]]:
        """Active users whose e-mail or name matches ``text`` (Cloud: ``query``, Data Center: ``username``)."""
        if self.flavor == "cloud":
            send = lambda: self.client.user_find_by_user_string(query=text, limit=10)  # noqa: E731
        else:
            send = lambda: self.client.user_find_by_user_string(username=text, limit=10)  # noqa: E731
        found = self._call("find_users", send, "GET", "rest/api/2/user/search")
        if isinstance(found, str):  # the client answers a misuse with a message instead of a call
            raise BadRequest(f"user search for {text!r} not sent: {found}")
        return [user for user in found if isinstance(user, dict)] if isinstance(found, list) else []

    def user(self, reference: str) -> dict[str, Any] | None:
        """One user (``/user``): by ``accountId`` on Cloud; by ``key``, then ``username``, on Data Center
        (an owner may be written either way there). None when Jira knows no such user."""
        if self.flavor == "cloud":
            ways: list[dict[str, str]] = [{"account_id": reference}]
        else:
            ways = [{"key": reference}, {"username": reference}]
        for way in ways:
            try:
                found = self._call("user", lambda w=way: self.client.user(**w), "GET", "rest/api/2/user")
            except (NotFound, BadRequest):  # Cloud answers a malformed account id 400
                continue
            if isinstance(found, dict) and found:
                return found
        return None

    def create_issue(self, fields: dict[str, Any], properties: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Create an issue from its ``fields``, with issue ``properties`` (key → JSON value) set in the same
        request (the create body's ``properties``); returns Jira's answer with ``id`` and ``key``."""
        data: dict[str, Any] = {"fields": fields}
        if properties:
            data["properties"] = entity_properties(properties)
        path = "rest/api/2/issue"
        return self._call("create_issue", lambda: self.client.post(path, data=data), "POST", path, idempotent=False)

    def link_issues(self, link_type: str, inward_key: str, outward_key: str) -> None:
        link = {"type": {"name": link_type}, "inwardIssue": {"key": inward_key}, "outwardIssue": {"key": outward_key}}
        self._call(
            "link_issues", lambda: self.client.create_issue_link(link), "POST", "rest/api/2/issueLink", idempotent=False
        )

    # ------------------------------------------------------------------ remote issue links

    def remote_links(self, key: str) -> list[dict[str, Any]]:
        """Every remote link on the issue (``GET /issue/{key}/remotelink``)."""
        path = f"rest/api/2/issue/{key}/remotelink"
        return _dicts(self._call("remote_links", lambda: self.client.get_issue_remote_links(key), "GET", path))

    def put_remote_link(self, key: str, link: dict[str, Any]) -> dict[str, Any]:
        """Create the link, or replace the issue's link with the same ``globalId`` (Jira answers 201 or 200).

        The client's own create call cannot send a summary or a status icon: the body goes as it is.
        Repeating it is harmless (the ``globalId`` makes it an update), so it is retried like a read.
        """
        path = f"rest/api/2/issue/{key}/remotelink"
        return self._call("put_remote_link", lambda: self.client.post(path, data=link), "POST", path) or {}

    def delete_remote_link(self, key: str, global_id: str) -> None:
        """Delete the issue's link with this ``globalId`` (``DELETE …/remotelink?globalId=``); NotFound when
        the issue has none. The client has no call for it."""
        path = f"rest/api/2/issue/{key}/remotelink"
        self._call(
            "delete_remote_link",
            lambda: self.client.delete(path, params={"globalId": global_id}),
            "DELETE",
            path,
        )

    # ------------------------------------------------------------------ webhooks (admin API; the client has no calls)

    def list_webhooks(self) -> list[dict[str, Any]]:
        return self._call("list_webhooks", lambda: self.client.get(WEBHOOKS), "GET", WEBHOOKS) or []

    def register_webhook(self, name: str, url: str, events: Sequence[str], jql: str, secret: str) -> dict[str, Any]:
        body = {
            "name": name,
            "url": url,
            "events": list(events),
            "excludeBody": False,
            "filters": {"issue-related-events-section": jql},
            "secret": secret,
        }
        return self._call(
            "register_webhook", lambda: self.client.post(WEBHOOKS, data=body), "POST", WEBHOOKS, idempotent=False
        )

    def delete_webhook(self, webhook_id: str | int) -> None:
        path = f"{WEBHOOKS}/{webhook_id}"
        self._call("delete_webhook", lambda: self.client.delete(path), "DELETE", path)

    # ------------------------------------------------------------------ plumbing

    def _call(self, operation: str, send: Any, method: str, path: str, *, idempotent: bool = True) -> Any:
        return self.transport.call(operation, send, method=method, path="/" + path, idempotent=idempotent)

"""The Confluence port: find, read, create and update pages in storage format (REST v1 content API).

Updates are optimistic: ``update_page`` sends ``version.number = page.version + 1`` for the version
the caller read, so a page someone edited in between answers 409 → Conflict, and the caller
re-reads, merges its owned regions and tries again. That is why the update is a plain PUT and not
the client's ``update_page``, which looks up the current version itself and would overwrite the
human edit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import requests
from atlassian import Confluence

from connector.retry import DEFAULT_POLICY, RetryPolicy
from connector.stats import CallStats
from connector.transport import Credentials, Transport, check_url, client_options, keep_exact_timeout

PAGE_EXPAND = "body.storage,version,space,ancestors"
CONTENT = "rest/api/content"


@dataclass(frozen=True)
class ConfluenceSettings:
    url: str
    user: str | None
    token: str | None
    timeout: float = 30

    def __repr__(self) -> str:  # the token never reaches a log line
        return f"ConfluenceSettings(url={self.url!r}, user={self.user!r}, timeout={self.timeout})"


@dataclass(frozen=True)
class Page:
    id: str
    title: str
    space: str
    version: int
    body: str  # storage format
    parent_id: str | None = None
    url: str | None = None  # where people read it: the answer's ``_links`` base + webui, when it has them


def confluence_base_url(url: str) -> str:
    """Confluence Cloud lives under ``/wiki`` of the site; accept the bare site URL too."""
    base = url.rstrip("/")
    host = urlsplit(base).hostname or ""
    if host.endswith(".atlassian.net") and not base.endswith("/wiki"):
        return base + "/wiki"
    return base


def page_from_content(content: dict[str, Any], body: str | None = None) -> Page:
    """A Page from a v1 content object; ``body`` fills in when the answer carried no storage body."""
    storage = ((content.get("body") or {}).get("storage") or {}).get("value")
    ancestors = content.get("ancestors") or []
    return Page(
        id=str(content["id"]),
        title=str(content.get("title", "")),
        space=str((content.get("space") or {}).get("key", "")),
        version=int((content.get("version") or {}).get("number", 1)),
        body=storage if storage is not None else (body or ""),
        parent_id=str(ancestors[-1]["id"]) if ancestors else None,
        url=web_url(content),
    )


def web_url(content: dict[str, Any]) -> str | None:
    """The page's address in a browser: ``_links.webui`` under ``_links.base`` (a page inside a search
    answer carries no base: it is left relative, for the caller to place under the site)."""
    links = content.get("_links") or {}
    webui = links.get("webui")
    if not webui:
        return None
    return f"{str(links.get('base') or '').rstrip('/')}{webui}"


def first_result(answer: Any) -> dict[str, Any] | None:
    """The page in a title lookup: newer clients return the search answer, older ones the page or None."""
    if not answer:
        return None
    if isinstance(answer, dict) and "results" in answer:
        results = answer.get("results") or []
        return results[0] if results else None
    if isinstance(answer, list):
        return answer[0] if answer else None
    return answer if isinstance(answer, dict) else None


class ConfluencePort:
    """Pages in storage format; one Transport, so retries, errors and counts match the Jira port's."""

    def __init__(
        self,
        settings: ConfluenceSettings,
        policy: RetryPolicy = DEFAULT_POLICY,
        stats: CallStats | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.stats = stats if stats is not None else CallStats()
        credentials = Credentials(settings.user, settings.token, "OKRSYNC_CONFLUENCE")
        check_url(settings.url, "OKRSYNC_CONFLUENCE")
        # cloud=False on every site: it selects the client's v1 content API (/rest/api/content), which
        # Cloud and Data Center both serve; left to guess from an *.atlassian.net host, the client
        # switches to a v2 wrapper that has no get_page_by_id or create_page.
        self.client = Confluence(
            confluence_base_url(settings.url),
            cloud=False,
            **client_options(Confluence, credentials, settings.timeout, session),
        )
        keep_exact_timeout(self.client, settings.timeout)
        self.transport = Transport("confluence", credentials, policy, self.stats, site=settings.url.rstrip("/"))

    def find_page(self, space: str, title: str) -> Page | None:
        """The page titled ``title`` in ``space``, with its storage body and version; None if there is none."""
        answer = self._call(
            "find_page", lambda: self.client.get_page_by_title(space, title, expand=PAGE_EXPAND), "GET", CONTENT
        )
        found = first_result(answer)
        if found is None:
            return None
        if "body" not in found:  # some client versions drop ``expand``; read the page itself
            return self.get_page(str(found["id"]))
        return self._placed(page_from_content(found))

    def get_page(self, page_id: str) -> Page:
        answer = self._call(
            "get_page", lambda: self.client.get_page_by_id(page_id, expand=PAGE_EXPAND), "GET", f"{CONTENT}/{page_id}"
        )
        return self._placed(page_from_content(answer))

    def create_page(self, space: str, title: str, body: str, parent_id: str | None = None) -> Page:
        answer = self._call(
            "create_page",
            lambda: self.client.create_page(space, title, body, parent_id=parent_id, representation="storage"),
            "POST",
            CONTENT,
            idempotent=False,
        )
        return self._placed(page_from_content(answer, body))

    def update_page(self, page: Page, body: str, message: str) -> Page:
        """Write ``body`` as the version after ``page.version``; Conflict (409, not retried) if that is stale."""
        content = {
            "id": page.id,
            "type": "page",
            "title": page.title,
            "status": "current",
            "version": {"number": page.version + 1, "message": message, "minorEdit": False},
            "body": {"storage": {"value": body, "representation": "storage"}},
        }
        path = f"{CONTENT}/{page.id}"
        answer = self._call("update_page", lambda: self.client.put(path, data=content), "PUT", path)
        updated = page_from_content(answer or {"id": page.id}, body)
        return Page(
            id=updated.id,
            title=updated.title or page.title,
            space=updated.space or page.space,
            version=max(updated.version, page.version + 1),
            body=updated.body,
            parent_id=updated.parent_id or page.parent_id,
            url=self._placed(updated).url or page.url,
        )

    def _placed(self, page: Page) -> Page:
        """The page with its address under the site, when the answer gave it relative."""
        if page.url and page.url.startswith("/"):
            return replace(page, url=confluence_base_url(self.settings.url) + page.url)
        return page

    def _call(self, operation: str, send: Any, method: str, path: str, *, idempotent: bool = True) -> Any:
        return self.transport.call(operation, send, method=method, path="/" + path, idempotent=idempotent)

"""A recording Confluence with optimistic locking, for the publishing tests (no HTTP)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from connector.confluence import Page
from connector.errors import BadRequest, Conflict, NotFound, Unavailable


@dataclass
class FakeConfluence:
    pages: dict[str, Page] = field(default_factory=dict)
    messages: dict[str, list[str]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    before_update: Callable[[FakeConfluence, Page], None] | None = None  # a person saving in between
    down: bool = False

    def add(self, space: str, title: str, body: str, parent_id: str | None = None) -> Page:
        page = Page(
            id=str(65000 + len(self.pages)), title=title, space=space, version=1, body=body, parent_id=parent_id
        )
        self.pages[page.id] = page
        return page

    def edit(self, page_id: str, body: str) -> Page:
        """A person saves the page in the editor."""
        page = self.pages[page_id]
        self.pages[page_id] = replace(page, body=body, version=page.version + 1)
        self.messages.setdefault(page_id, []).append("(edited by a person)")
        return self.pages[page_id]

    def find_page(self, space: str, title: str) -> Page | None:
        self._call(f"find {space}/{title}")
        return next((p for p in self.pages.values() if p.space == space and p.title == title), None)

    def get_page(self, page_id: str) -> Page:
        self._call(f"get {page_id}")
        if page_id not in self.pages:
            raise NotFound(f"no page {page_id}", status=404)
        return self.pages[page_id]

    def create_page(self, space: str, title: str, body: str, parent_id: str | None = None) -> Page:
        self._call(f"create {space}/{title}")
        if any(p.space == space and p.title == title for p in self.pages.values()):
            raise BadRequest("A page with this title already exists", status=400)
        page = self.add(space, title, body, parent_id)
        self.messages[page.id] = ["(created)"]
        return page

    def update_page(self, page: Page, body: str, message: str) -> Page:
        self._call(f"update {page.id}")
        if self.before_update is not None:
            self.before_update(self, page)
        current = self.pages[page.id]
        if current.version != page.version:
            raise Conflict(f"Version must be incremented on update. Current version is: {current.version}", status=409)
        self.pages[page.id] = replace(current, body=body, version=current.version + 1)
        self.messages.setdefault(page.id, []).append(message)
        return self.pages[page.id]

    def _call(self, what: str) -> None:
        if self.down:
            raise Unavailable("Confluence answered 503 after retries", status=503)
        self.calls.append(what)

    def titled(self, title: str) -> Page:
        return next(p for p in self.pages.values() if p.title == title)

"""Confluence page operations over the site state: create, update with version checks, find. No Flask.

Callers hold ``site.lock``. ``PageError`` carries the HTTP status Confluence answers with.
"""

from __future__ import annotations

from datetime import datetime

from emulator.state import NotFound, Page, Site, Space
from emulator.timefmt import iso_time


class PageError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def space_or_error(site: Site, reference: str | None) -> Space:
    if not reference:
        raise PageError(400, "A space key (v1: space.key) or space id (v2: spaceId) is required.")
    try:
        return site.space(reference)
    except NotFound:
        raise PageError(404, f"No space with key : {reference}") from None


def _check_title(site: Site, space: Space, title: object, own_id: str | None) -> str:
    if not isinstance(title, str) or not title.strip():
        raise PageError(400, "A page must have a non-empty title.")
    clash = find_by_title(site, space.key, title)
    if clash is not None and clash.id != own_id:
        raise PageError(
            400,
            f"A page with this title already exists: A page already exists with the title "
            f"{title} in the space with key {space.key}",
        )
    return title


def _check_parent(site: Site, space: Space, parent_id: str | None) -> str | None:
    if parent_id is None:
        return None
    parent = site.pages.get(str(parent_id))
    if parent is None or parent.space_key != space.key:
        raise PageError(400, f"The parent page {parent_id} does not exist in space {space.key}.")
    return parent.id


def create_page(
    site: Site, space: Space, title: object, body: str, parent_id: str | None, author: str, now: datetime
) -> Page:
    checked_title = _check_title(site, space, title, None)
    parent = _check_parent(site, space, parent_id)
    stamp = iso_time(now)
    page = Page(
        id=site.next_id("content", 65000),
        space_key=space.key,
        title=checked_title,
        body=body,
        author=author,
        created=stamp,
        updated=stamp,
        parent_id=parent,
    )
    site.pages[page.id] = page
    if space.homepage_id is None:
        space.homepage_id = page.id
    return page


def update_page(
    site: Site,
    page: Page,
    *,
    title: object,
    body: str | None,
    version: object,
    parent_id: str | None,
    message: str,
    author: str,
    now: datetime,
) -> Page:
    """Confluence's optimistic locking: ``version`` must be exactly the current number + 1, else 409."""
    if not isinstance(version, int) or isinstance(version, bool):
        raise PageError(400, "Must supply an incremented version when updating Content. No version supplied.")
    if version != page.version + 1:
        raise PageError(409, f"Version must be incremented on update. Current version is: {page.version}")
    space = site.space(page.space_key)
    page.title = _check_title(site, space, title, page.id)
    if parent_id is not None:
        page.parent_id = _check_parent(site, space, parent_id)
    if body is not None:
        page.body = body
    page.version = version
    page.updated = iso_time(now)
    page.author = author
    page.message = message
    return page


def find_by_title(site: Site, space_key: str, title: str) -> Page | None:
    return next(
        (p for p in site.pages.values() if p.space_key == space_key and p.title == title and p.status == "current"),
        None,
    )


def children_of(site: Site, page_id: str) -> list[Page]:
    return [p for p in site.pages.values() if p.parent_id == page_id and p.status == "current"]


def ancestors_of(site: Site, page: Page) -> list[Page]:
    chain: list[Page] = []
    current = site.pages.get(page.parent_id or "")
    while current is not None and current not in chain:
        chain.insert(0, current)
        current = site.pages.get(current.parent_id or "")
    return chain


def delete_page(site: Site, page: Page) -> None:
    """Children move up to the deleted page's parent, as Confluence does when trashing a page."""
    for child in children_of(site, page.id):
        child.parent_id = page.parent_id
    del site.pages[page.id]
    space = site.space(page.space_key)
    if space.homepage_id == page.id:
        space.homepage_id = None

"""The emulated site's in-memory state: Jira catalog and issues, webhooks, Confluence spaces and pages.

Issues keep *compact* field values (ids and ISO times); ``emulator.jira_json`` turns them into the JSON
each API flavour sends. Every mutation happens under ``Site.lock``, and every issue write moves
``Site.issue_revision`` (``issue_written``), which is what lets a search answer be reused from page to
page; the whole state round-trips through plain JSON so ``--data FILE`` can persist it across restarts.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

FLAVORS = ("cloud", "datacenter")
ISSUE_NOT_FOUND = {  # the 404 errorMessages entry for an issue that does not exist, per flavour
    "cloud": "Issue does not exist or you do not have permission to see it.",
    "datacenter": "Issue Does Not Exist",
}


class NotFound(LookupError):
    """The referenced thing does not exist; the message is the API's errorMessages entry."""


@dataclass
class User:
    account_id: str
    name: str
    display_name: str
    email: str
    key: str = ""
    token: str = ""
    time_zone: str = "UTC"

    def __post_init__(self) -> None:
        self.key = self.key or self.name

    def aliases(self) -> set[str]:
        return {a.lower() for a in (self.account_id, self.name, self.key, self.email, self.display_name) if a}


@dataclass
class Project:
    id: str
    key: str
    name: str
    issue_types: list[str]
    project_type: str = "software"
    lead: str = ""
    components: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Issue:
    id: str
    key: str
    project_id: str
    fields: dict[str, Any]
    changelog: list[dict[str, Any]] = field(default_factory=list)
    comments: list[dict[str, Any]] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    remote_links: list[dict[str, Any]] = field(default_factory=list)

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


@dataclass
class Webhook:
    id: str
    name: str
    url: str
    events: list[str]
    jql: str = ""
    secret: str = ""
    enabled: bool = True
    exclude_body: bool = False
    last_updated: str = ""


@dataclass
class Space:
    id: str
    key: str
    name: str
    type: str = "global"
    homepage_id: str | None = None


@dataclass
class Page:
    id: str
    space_key: str
    title: str
    body: str
    author: str
    created: str
    updated: str
    version: int = 1
    parent_id: str | None = None
    message: str = ""
    status: str = "current"


@dataclass
class Site:
    flavor: str = "cloud"
    title: str = "Emulated Atlassian site"
    server_version: str = ""  # Data Center's version (serverInfo); empty: the default release
    users: list[User] = field(default_factory=list)
    projects: list[Project] = field(default_factory=list)
    issue_types: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    priorities: list[dict[str, Any]] = field(default_factory=list)
    resolutions: list[dict[str, Any]] = field(default_factory=list)
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    edit_screens: dict[str, list[str]] = field(default_factory=dict)  # issue type name → custom field ids on it
    link_types: list[dict[str, Any]] = field(default_factory=list)
    issues: dict[str, Issue] = field(default_factory=dict)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhooks: dict[str, Webhook] = field(default_factory=dict)
    spaces: list[Space] = field(default_factory=list)
    pages: dict[str, Page] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.flavor not in FLAVORS:
            raise ValueError(f"flavor must be one of {', '.join(FLAVORS)}, got {self.flavor!r}")
        self.lock = threading.RLock()
        self._keys = {issue.key.upper(): issue.id for issue in self.issues.values()}
        self.issue_revision = 0  # moves on every issue write; search answers are reused within one revision
        self._children: dict[str, list[Issue]] | None = None  # parent id → children; None: to be indexed
        self._links_by_issue: dict[str, list[dict[str, Any]]] | None = None  # issue id → its links, likewise

    def issue_written(self) -> None:
        """Record that an issue was created, edited, commented or deleted (call it under the lock)."""
        self.issue_revision += 1

    # ------------------------------------------------------------------ ids

    def next_id(self, sequence: str, start: int = 10000) -> str:
        value = self.sequences.get(sequence, start - 1) + 1
        self.sequences[sequence] = value
        return str(value)

    # ------------------------------------------------------------------ lookups

    def user(self, reference: Any) -> User:
        wanted = _reference_text(reference, ("accountId", "name", "key", "emailAddress", "id"))
        for user in self.users:
            if wanted is not None and wanted.lower() in user.aliases():
                return user
        raise NotFound(f"The user '{wanted}' does not exist.")

    def default_user(self) -> User:
        if not self.users:
            raise NotFound("the scenario defines no users")
        return self.users[0]

    def project(self, reference: Any) -> Project:
        wanted = _reference_text(reference, ("key", "id", "name"))
        for project in self.projects:
            if wanted is not None and wanted.lower() in (project.key.lower(), project.id, project.name.lower()):
                return project
        raise NotFound(f"No project could be found with key '{wanted}'.")

    def project_by_id(self, project_id: str) -> Project:
        return self.project(project_id)

    def issue(self, reference: str) -> Issue:
        issue_id = self._keys.get(str(reference).upper(), str(reference))
        if issue_id in self.issues:
            return self.issues[issue_id]
        raise NotFound(ISSUE_NOT_FOUND[self.flavor])

    def children(self, issue_id: str) -> list[Issue]:
        """The issues whose parent is ``issue_id``, in creation order; indexed once and kept while no parent
        link changes, so neither rendering a page of issues nor a burst of edits scans every issue."""
        if self._children is None:
            index: dict[str, list[Issue]] = {}
            for issue in self.issues.values():
                parent = issue.fields.get("parent")
                if parent:
                    index.setdefault(parent, []).append(issue)
            self._children = index
        return list(self._children.get(issue_id, ()))

    def parents_changed(self) -> None:
        """Record that an issue's parent link was set or cleared (call it under the lock): the children's
        index is built again when next asked."""
        self._children = None

    def add_issue(self, issue: Issue) -> None:
        self.issues[issue.id] = issue
        self._keys[issue.key.upper()] = issue.id
        parent = issue.fields.get("parent")
        if parent and self._children is not None:  # the newest issue is its parent's last child
            self._children.setdefault(parent, []).append(issue)
        self.issue_written()

    def remove_issue(self, issue: Issue) -> None:
        self.issues.pop(issue.id, None)
        self._keys.pop(issue.key.upper(), None)
        if issue.fields.get("parent"):
            self.parents_changed()
        self.issue_written()

    def links_of(self, issue_id: str) -> list[dict[str, Any]]:
        """The issue links with ``issue_id`` at either end, in creation order; indexed once and kept while
        no link is added or removed, so rendering an issue does not scan every link of the site."""
        if self._links_by_issue is None:
            index: dict[str, list[dict[str, Any]]] = {}
            for link in self.links.values():
                _index_link(index, link)
            self._links_by_issue = index
        return list(self._links_by_issue.get(issue_id, ()))

    def add_link(self, link: dict[str, Any]) -> None:
        self.links[link["id"]] = link
        if self._links_by_issue is not None:  # the newest link is the last of both its issues
            _index_link(self._links_by_issue, link)

    def remove_link(self, link_id: str) -> dict[str, Any] | None:
        """The link removed, or None if there is no such link."""
        link = self.links.pop(link_id, None)
        if link is not None:
            self._links_by_issue = None
        return link

    def issue_type(self, reference: Any) -> dict[str, Any]:
        return _catalog_entry(self.issue_types, reference, "issue type")

    def status(self, reference: Any) -> dict[str, Any]:
        return _catalog_entry(self.statuses, reference, "status")

    def priority(self, reference: Any) -> dict[str, Any]:
        return _catalog_entry(self.priorities, reference, "priority")

    def resolution(self, reference: Any) -> dict[str, Any]:
        return _catalog_entry(self.resolutions, reference, "resolution")

    def link_type(self, reference: Any) -> dict[str, Any]:
        return _catalog_entry(self.link_types, reference, "issue link type")

    def custom_field(self, field_id: str) -> dict[str, Any] | None:
        return next((f for f in self.custom_fields if f["id"] == field_id), None)

    def on_edit_screen(self, issue_type: str, field_id: str) -> bool:
        """Whether the field is on the edit screen of the issue type (system fields always are; every
        field is, on an issue type the scenario gives no screen)."""
        screen = self.edit_screens.get(issue_type)
        return screen is None or not field_id.startswith("customfield_") or field_id in screen

    def space(self, reference: Any) -> Space:
        wanted = str(reference)
        for space in self.spaces:
            if wanted in (space.key, space.id):
                return space
        raise NotFound(f"No space found with key or id '{wanted}'")

    def page(self, page_id: str) -> Page:
        page = self.pages.get(str(page_id))
        if page is None:
            raise NotFound(f"No content found with id: ContentId{{id={page_id}}}")
        return page

    # ------------------------------------------------------------------ persistence

    def to_json(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Site:
        return cls(
            flavor=data.get("flavor", "cloud"),
            title=data.get("title", "Emulated Atlassian site"),
            server_version=data.get("server_version", ""),
            users=[User(**u) for u in data.get("users", [])],
            projects=[Project(**p) for p in data.get("projects", [])],
            issue_types=data.get("issue_types", []),
            statuses=data.get("statuses", []),
            priorities=data.get("priorities", []),
            resolutions=data.get("resolutions", []),
            custom_fields=data.get("custom_fields", []),
            edit_screens=data.get("edit_screens", {}),
            link_types=data.get("link_types", []),
            issues={k: Issue(**v) for k, v in data.get("issues", {}).items()},
            links=data.get("links", {}),
            webhooks={k: Webhook(**v) for k, v in data.get("webhooks", {}).items()},
            spaces=[Space(**s) for s in data.get("spaces", [])],
            pages={k: Page(**v) for k, v in data.get("pages", {}).items()},
            sequences=data.get("sequences", {}),
        )

    def save(self, path: Path) -> None:
        """Write atomically so a crash never leaves half a file."""
        with self.lock:
            text = json.dumps(self.to_json(), separators=(",", ":"))
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _index_link(index: dict[str, list[dict[str, Any]]], link: dict[str, Any]) -> None:
    for issue_id in dict.fromkeys((link["inward"], link["outward"])):  # a link of an issue to itself: once
        index.setdefault(issue_id, []).append(link)


def _reference_text(reference: Any, keys: tuple[str, ...]) -> str | None:
    if isinstance(reference, dict):
        for key in keys:
            if reference.get(key) not in (None, ""):
                return str(reference[key])
        return None
    return None if reference is None else str(reference)


def _catalog_entry(entries: list[dict[str, Any]], reference: Any, what: str) -> dict[str, Any]:
    wanted = _reference_text(reference, ("id", "name"))
    for entry in entries:
        if wanted is not None and wanted.lower() in (str(entry["id"]), entry["name"].lower()):
            return entry
    raise NotFound(f"The {what} '{wanted}' does not exist.")

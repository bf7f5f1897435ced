"""Compact state → the JSON Jira sends, per flavour and API version; and issue *facts* for JQL. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.custom_fields import clause_kind, custom_type, field_number, is_epic_link, is_select, option_by_id
from emulator.state import Issue, NotFound, Project, Site, User
from emulator.timefmt import parse_moment, utc_now

STATUS_CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
SYSTEM_FIELDS: list[tuple[str, str, str]] = [  # id, name, schema type
    ("summary", "Summary", "string"),
    ("description", "Description", "string"),
    ("issuetype", "Issue Type", "issuetype"),
    ("project", "Project", "project"),
    ("status", "Status", "status"),
    ("priority", "Priority", "priority"),
    ("labels", "Labels", "array"),
    ("components", "Components", "array"),
    ("assignee", "Assignee", "user"),
    ("reporter", "Reporter", "user"),
    ("creator", "Creator", "user"),
    ("created", "Created", "datetime"),
    ("updated", "Updated", "datetime"),
    ("resolution", "Resolution", "resolution"),
    ("resolutiondate", "Resolved", "datetime"),
    ("parent", "Parent", "issuelink"),
    ("duedate", "Due date", "date"),
    ("subtasks", "Sub-tasks", "array"),
    ("issuelinks", "Linked Issues", "array"),
    ("comment", "Comment", "comments-page"),
    ("environment", "Environment", "string"),
    ("fixVersions", "Fix versions", "array"),
]
NOT_NAVIGABLE = {"comment"}
ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
LISTED_ISSUE_EXPAND = "operations,versionedRepresentations,editmeta,changelog,renderedFields"  # Data Center search


@dataclass(frozen=True)
class View:
    """How to render: the site's base URL, the REST version (``2`` or ``3``) and the flavour."""

    base: str
    api: str = "2"
    flavor: str = "cloud"

    def rest(self, path: str) -> str:
        return f"{self.base}/rest/api/{self.api}/{path}"


@dataclass(frozen=True)
class FieldSelection:
    everything: bool = False
    navigable: bool = False
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()

    def wants(self, name: str) -> bool:
        if name in self.exclude:
            return False
        if name in self.include or self.everything:
            return True
        return self.navigable and name not in NOT_NAVIGABLE

    @property
    def only_identifiers(self) -> bool:
        return not self.everything and not self.navigable and self.include <= {"id", "key"}


def parse_field_selection(values: list[str] | str | None, default: str) -> FieldSelection:
    """``fields`` as Jira reads it: ``*all``, ``*navigable``, names, and ``-name`` exclusions."""
    if isinstance(values, str):
        values = [values]
    tokens = [t.strip() for v in (values or [default]) for t in str(v).split(",") if t.strip()]
    return FieldSelection(
        everything="*all" in tokens,
        navigable="*navigable" in tokens,
        include=frozenset(t for t in tokens if not t.startswith(("*", "-"))),
        exclude=frozenset(t[1:] for t in tokens if t.startswith("-")),
    )


# ---------------------------------------------------------------------------- small objects


def avatar_urls(seed: str) -> dict[str, str]:
    digest = hashlib.md5(seed.encode(), usedforsecurity=False).hexdigest()
    return {f"{n}x{n}": f"https://avatar.example.invalid/{digest}?s={n}" for n in (48, 24, 16, 32)}


def user_json(user: User, view: View) -> dict[str, Any]:
    if view.flavor == "cloud":
        identity = {
            "self": f"{view.base}/rest/api/{view.api}/user?accountId={user.account_id}",
            "accountId": user.account_id,
            "accountType": "atlassian",
        }
    else:
        identity = {"self": f"{view.base}/rest/api/2/user?username={user.name}", "name": user.name, "key": user.key}
    return {
        **identity,
        "emailAddress": user.email,
        "avatarUrls": avatar_urls(user.email),
        "displayName": user.display_name,
        "active": True,
        "timeZone": user.time_zone,
    }


def status_json(status: dict[str, Any], view: View) -> dict[str, Any]:
    category = STATUS_CATEGORIES[status["category"]]
    return {
        "self": view.rest(f"status/{status['id']}"),
        "description": "",
        "iconUrl": f"{view.base}/",
        "name": status["name"],
        "id": str(status["id"]),
        "statusCategory": {"self": view.rest(f"statuscategory/{category['id']}"), **category},
    }


def issue_type_json(entry: dict[str, Any], view: View) -> dict[str, Any]:
    return {
        "self": view.rest(f"issuetype/{entry['id']}"),
        "id": str(entry["id"]),
        "description": entry.get("description", ""),
        "iconUrl": f"{view.base}/images/icons/issuetype.svg",
        "name": entry["name"],
        "subtask": bool(entry.get("subtask")),
        "avatarId": 10300,
        "hierarchyLevel": entry.get("hierarchyLevel", 0),
    }


def named_json(kind: str, entry: dict[str, Any], view: View) -> dict[str, Any]:
    return {
        "self": view.rest(f"{kind}/{entry['id']}"),
        "id": str(entry["id"]),
        "name": entry["name"],
        **(
            {"iconUrl": f"{view.base}/images/icons/priorities/{entry['name'].lower()}.svg"}
            if kind == "priority"
            else {"description": entry.get("description", "")}
        ),
    }


def project_json(project: Project, view: View, site: Site | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "self": view.rest(f"project/{project.id}"),
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "projectTypeKey": project.project_type,
        "simplified": False,
        "avatarUrls": avatar_urls(project.key),
    }
    if site is not None:
        body["issueTypes"] = [issue_type_json(site.issue_type(n), view) for n in project.issue_types]
        body["components"] = [component_json(c, view) for c in project.components]
    return body


def component_json(component: dict[str, str], view: View) -> dict[str, Any]:
    return {
        "self": view.rest(f"component/{component['id']}"),
        "id": component["id"],
        "name": component["name"],
        "description": component.get("description", ""),
    }


# ---------------------------------------------------------------------------- rich text


def text_to_adf(text: str) -> dict[str, Any]:
    paragraphs = [p for p in text.split("\n\n")] or [""]
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": p}] if p else []} for p in paragraphs],
    }


def adf_to_text(node: Any) -> str:
    if isinstance(node, str):
        return node
    if not isinstance(node, dict):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    parts = [adf_to_text(child) for child in node.get("content", [])]
    separator = "\n\n" if node.get("type") == "doc" else ""
    return separator.join(parts)


def rich_text(value: Any, view: View) -> Any:
    """Strings in v2, Atlassian Document Format in v3 (whatever form it was stored in)."""
    if value is None:
        return None
    if view.api == "3":
        return value if isinstance(value, dict) else text_to_adf(str(value))
    return adf_to_text(value)


# ---------------------------------------------------------------------------- issues


def issue_reference(site: Site, issue: Issue, view: View) -> dict[str, Any]:
    """The short form used for parents, links and sub-tasks."""
    return {
        "id": issue.id,
        "key": issue.key,
        "self": view.rest(f"issue/{issue.id}"),
        "fields": {
            "summary": issue.fields.get("summary"),
            "status": status_json(site.status(issue.fields["status"]), view),
            "priority": _optional(
                site.priority, issue.fields.get("priority"), lambda e: named_json("priority", e, view)
            ),
            "issuetype": issue_type_json(site.issue_type(issue.fields["issuetype"]), view),
        },
    }


def field_value(site: Site, issue: Issue, name: str, view: View) -> Any:
    stored = issue.fields.get(name)
    project = site.project_by_id(issue.project_id)
    renderers: dict[str, Any] = {
        "project": lambda: project_json(project, view),
        "issuetype": lambda: issue_type_json(site.issue_type(stored), view),
        "status": lambda: status_json(site.status(stored), view),
        "priority": lambda: _optional(site.priority, stored, lambda e: named_json("priority", e, view)),
        "resolution": lambda: _optional(site.resolution, stored, lambda e: named_json("resolution", e, view)),
        "assignee": lambda: _optional(site.user, stored, lambda u: user_json(u, view)),
        "reporter": lambda: _optional(site.user, stored, lambda u: user_json(u, view)),
        "creator": lambda: _optional(site.user, stored, lambda u: user_json(u, view)),
        "components": lambda: [component_json(c, view) for c in project.components if c["id"] in (stored or [])],
        "labels": lambda: list(stored or []),
        "description": lambda: rich_text(stored, view),
        "environment": lambda: rich_text(stored, view),
        "parent": lambda: issue_reference(site, site.issues[stored], view) if stored in site.issues else None,
        "subtasks": lambda: [issue_reference(site, i, view) for i in _subtasks(site, issue)],
        "issuelinks": lambda: [link_json(site, link, issue, view) for link in _links_of(site, issue)],
        "comment": lambda: comments_page(site, issue, view),
        "fixVersions": lambda: list(stored or []),
    }
    if name in renderers:
        return renderers[name]()
    if is_epic_link(site.custom_field(name)):
        return epic_key(site, stored)
    if is_select(site.custom_field(name)):
        return option_json(site.custom_field(name) or {}, stored, view)
    return stored


def option_json(custom: dict[str, Any], option_id: Any, view: View) -> dict[str, Any] | None:
    """A select list's value as Jira sends it: the option's ``self``, ``value`` and ``id``."""
    option = option_by_id(custom, str(option_id)) if option_id else None
    if option is None:
        return None
    return {"self": view.rest(f"customFieldOption/{option['id']}"), "value": option["value"], "id": option["id"]}


def epic_key(site: Site, epic_id: Any) -> str | None:
    """The Epic Link as Data Center sends it: the epic's key, as text."""
    epic = site.issues.get(str(epic_id)) if epic_id else None
    return epic.key if epic is not None else None


def issue_fields(site: Site, issue: Issue, view: View, selection: FieldSelection) -> dict[str, Any]:
    names = [n for n, _, _ in SYSTEM_FIELDS] + [f["id"] for f in site.custom_fields]
    return {name: field_value(site, issue, name, view) for name in names if selection.wants(name)}


def issue_json(
    site: Site,
    issue: Issue,
    view: View,
    selection: FieldSelection,
    expand: frozenset[str] = frozenset(),
    listed: bool = False,
) -> dict[str, Any]:
    """The issue as ``GET /issue`` answers it; ``listed``: as an entry of Data Center's search."""
    body: dict[str, Any] = {
        "expand": LISTED_ISSUE_EXPAND if listed and view.flavor == "datacenter" else ISSUE_EXPAND,
        "id": issue.id,
        "self": view.rest(f"issue/{issue.id}"),
        "key": issue.key,
    }
    fields = issue_fields(site, issue, view, selection)
    if fields or not selection.only_identifiers:
        body["fields"] = fields
    if "changelog" in expand:
        body["changelog"] = changelog_json(site, issue, view)
    if "names" in expand:
        body["names"] = {n: label for n, label, _ in SYSTEM_FIELDS} | {f["id"]: f["name"] for f in site.custom_fields}
    return body


def changelog_json(site: Site, issue: Issue, view: View) -> dict[str, Any]:
    histories = [history_json(site, entry, view) for entry in issue.changelog]
    return {"startAt": 0, "maxResults": len(histories), "total": len(histories), "histories": histories}


def history_json(site: Site, entry: dict[str, Any], view: View) -> dict[str, Any]:
    return {
        "id": entry["id"],
        "author": _optional(site.user, entry.get("author"), lambda u: user_json(u, view)),
        "created": entry["created"],
        "items": [changelog_item(i, view) for i in entry["items"]],
    }


def changelog_item(item: dict[str, Any], view: View) -> dict[str, Any]:
    """Data Center payloads carry no ``fieldId``; Cloud ones do."""
    if view.flavor == "cloud":
        return dict(item)
    return {k: v for k, v in item.items() if k != "fieldId"}


def comment_json(
    site: Site, issue: Issue, comment: dict[str, Any], view: View, with_properties: bool = False
) -> dict[str, Any]:
    """A comment as Jira gives it; its properties only when asked for (``expand=properties``)."""
    author = _optional(site.user, comment.get("author"), lambda u: user_json(u, view))
    body = {
        "self": view.rest(f"issue/{issue.id}/comment/{comment['id']}"),
        "id": comment["id"],
        "author": author,
        "body": rich_text(comment["body"], view),
        "updateAuthor": author,
        "created": comment["created"],
        "updated": comment["updated"],
        "jsdPublic": True,
    }
    if with_properties:
        body["properties"] = [{"key": k, "value": v} for k, v in (comment.get("properties") or {}).items()]
    return body


def comments_page(site: Site, issue: Issue, view: View) -> dict[str, Any]:
    comments = [comment_json(site, issue, c, view) for c in issue.comments]
    return {
        "comments": comments,
        "self": view.rest(f"issue/{issue.id}/comment"),
        "maxResults": len(comments),
        "total": len(comments),
        "startAt": 0,
    }


def link_type_json(entry: dict[str, Any], view: View) -> dict[str, Any]:
    return {
        "id": str(entry["id"]),
        "name": entry["name"],
        "inward": entry["inward"],
        "outward": entry["outward"],
        "self": view.rest(f"issueLinkType/{entry['id']}"),
    }


def link_json(site: Site, link: dict[str, Any], issue: Issue, view: View) -> dict[str, Any]:
    body = {
        "id": link["id"],
        "self": view.rest(f"issueLink/{link['id']}"),
        "type": link_type_json(site.link_type(link["type"]), view),
    }
    if link["inward"] == issue.id:
        body["outwardIssue"] = issue_reference(site, site.issues[link["outward"]], view)
    else:
        body["inwardIssue"] = issue_reference(site, site.issues[link["inward"]], view)
    return body


def _links_of(site: Site, issue: Issue) -> list[dict[str, Any]]:
    issues = site.issues
    return [link for link in site.links_of(issue.id) if link["inward"] in issues and link["outward"] in issues]


def _subtasks(site: Site, issue: Issue) -> list[Issue]:
    return [i for i in site.children(issue.id) if site.issue_type(i.fields["issuetype"]).get("subtask")]


def _optional(lookup: Any, reference: Any, render: Any) -> Any:
    if reference is None:
        return None
    try:
        return render(lookup(reference))
    except NotFound:
        return None


# ---------------------------------------------------------------------------- catalog


def field_catalog(site: Site) -> list[dict[str, Any]]:
    """What ``GET /field`` answers: system fields, then the scenario's custom fields."""
    system = [
        {
            "id": i,
            "key": i,
            "name": n,
            "custom": False,
            "orderable": True,
            "navigable": i not in NOT_NAVIGABLE,
            "searchable": True,
            "clauseNames": [i],
            "schema": {"type": t, "system": i},
        }
        for i, n, t in SYSTEM_FIELDS
    ]
    custom = [
        {
            "id": f["id"],
            "key": f["id"],
            "name": f["name"],
            "custom": True,
            "orderable": True,
            "navigable": True,
            "searchable": True,
            "clauseNames": [f"cf[{field_number(f['id'])}]", f["name"]],
            "schema": custom_schema(f),
        }
        for f in site.custom_fields
    ]
    return system + custom


def custom_schema(entry: dict[str, Any]) -> dict[str, Any]:
    """A custom field's ``schema`` (a labels field's items are strings)."""
    schema: dict[str, Any] = {"type": entry.get("type", "string")}
    if schema["type"] == "array":
        schema["items"] = "string"
    return {**schema, "custom": custom_type(entry), "customId": field_number(entry["id"])}


# ---------------------------------------------------------------------------- JQL facts


def issue_facts(site: Site, issue: Issue, now: datetime | None = None) -> dict[str, Any]:
    """What the JQL evaluator sees: lowercase name/id/key sets, times, and text."""
    now = now or utc_now()
    fields = issue.fields
    project = site.project_by_id(issue.project_id)
    status = site.status(fields["status"])
    times = {name: _time(fields.get(name), now) for name in ("created", "updated", "resolutiondate")}
    return {
        **_sort_facts(site, issue, project, times),
        "project": _lower({project.key, project.name, project.id}),
        "issuetype": _entry_names(site.issue_type(fields["issuetype"])),
        "status": _entry_names(status),
        "statuscategory": _category_names(status),
        "labels": _lower(fields.get("labels") or []),
        "key": {issue.key.lower()},
        "id": {issue.id},
        "priority": _maybe(site.priority, fields.get("priority")),
        "resolution": _maybe(site.resolution, fields.get("resolution")),
        "component": _component_names(project, fields.get("components") or []),
        "assignee": _user_names(site, fields.get("assignee")),
        "reporter": _user_names(site, fields.get("reporter")),
        "parent": _parent_names(site, fields.get("parent")),
        **times,
        "duedate": _time(fields.get("duedate"), now),
        "summary": (fields.get("summary") or "").lower(),
        "description": adf_to_text(fields.get("description") or "").lower(),
        "text": _issue_text(issue),
        **custom_facts(site, issue),
    }


def _sort_facts(site: Site, issue: Issue, project: Project, times: dict[str, datetime | None]) -> dict[str, Any]:
    """The values ``ORDER BY`` compares (``_id`` names the issue the facts are of)."""
    priority = issue.fields.get("priority")
    return {
        "_id": int(issue.id),
        "_sort_key": (project.key, issue.number),
        "_sort_id": int(issue.id),
        "_sort_created": times["created"],
        "_sort_updated": times["updated"],
        "_sort_resolutiondate": times["resolutiondate"],
        "_sort_priority": next((i for i, p in enumerate(site.priorities) if str(p["id"]) == priority), None),
    }


def _category_names(status: dict[str, Any]) -> set[str]:
    category = STATUS_CATEGORIES[status["category"]]
    return _lower({category["key"], category["name"], str(category["id"])})


def _component_names(project: Project, component_ids: list[str]) -> set[str]:
    return _lower({v for c in project.components if c["id"] in component_ids for v in (c["id"], c["name"])})


def _parent_names(site: Site, parent_id: str | None) -> set[str]:
    parent = site.issues.get(parent_id or "")
    return _lower({parent.key, parent.id}) if parent else set()


def _issue_text(issue: Issue) -> str:
    """What ``text ~`` searches: the summary, the description and every comment, lower-cased."""
    fields = issue.fields
    parts = [
        fields.get("summary"),
        adf_to_text(fields.get("description") or ""),
        *(adf_to_text(c["body"]) for c in issue.comments),
    ]
    return " ".join(filter(None, parts)).lower()


def custom_facts(site: Site, issue: Issue) -> dict[str, Any]:
    """Each custom field under its id, as its JQL clauses compare it: an Epic Link as the epic's key
    and id, a number as a float, text lower-cased; an empty or malformed value as None."""
    return {
        entry["id"]: _custom_fact(site, clause_kind(entry), issue.fields.get(entry["id"]))
        for entry in site.custom_fields
    }


def _custom_fact(site: Site, kind: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if kind == "issue":
        epic = site.issues.get(str(value))
        return _lower({epic.key, epic.id}) if epic is not None else None
    if kind == "option":
        return _option_names(site, value)
    if kind == "number":
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    return str(value).lower()


def _option_names(site: Site, value: Any) -> set[str] | None:
    """A select list's option (its value and id) or a labels field's labels, lower-cased; None when empty."""
    if isinstance(value, list):
        return _lower(value) or None
    option = next((o for f in site.custom_fields for o in f.get("options") or [] if o["id"] == str(value)), None)
    return _lower({option["value"], option["id"]}) if option else None


def _lower(values: Any) -> set[str]:
    return {str(v).lower() for v in values}


def _entry_names(entry: dict[str, Any]) -> set[str]:
    return _lower({entry["name"], entry["id"]})


def _maybe(lookup: Any, reference: Any) -> set[str]:
    return _entry_names(lookup(reference)) if reference is not None else set()


def _user_names(site: Site, account_id: str | None) -> set[str]:
    return site.user(account_id).aliases() if account_id else set()


def _time(value: Any, now: datetime) -> datetime | None:
    return parse_moment(value, now) if value else None

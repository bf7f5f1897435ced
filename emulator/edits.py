"""Issue changes as Jira makes them: field input normalised to compact values, changelog items, times.

Callers hold ``site.lock``. ``FieldErrors`` carries Jira's per-field ``errors`` map (answered 400).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from emulator.custom_fields import is_epic_link, is_labels, is_select, option_by_id, option_by_value
from emulator.state import Issue, NotFound, Project, Site, User
from emulator.timefmt import jira_time

SETTABLE = {
    "summary",
    "description",
    "environment",
    "issuetype",
    "priority",
    "labels",
    "components",
    "assignee",
    "reporter",
    "parent",
    "duedate",
    "resolution",
}
LIST_FIELDS = {"labels", "components"}
OFF_SCREEN = "Field '{}' cannot be set. It is not on the appropriate screen, or unknown."
CHANGELOG_NAMES = {"components": "Component", "parent": "IssueParentAssociation"}
DONE = "done"


class FieldErrors(ValueError):
    """Jira's ``{"errorMessages": [], "errors": {field: message}}`` answer."""

    def __init__(self, errors: dict[str, str], messages: list[str] | None = None) -> None:
        super().__init__("; ".join([*(messages or []), *(f"{k}: {v}" for k, v in errors.items())]))
        self.errors = errors
        self.messages = messages or []


# ---------------------------------------------------------------------------- input → compact


def normalize_fields(site: Site, project: Project, incoming: dict[str, Any]) -> dict[str, Any]:
    """Turn API field input (names, ids, user refs) into compact stored values, or raise FieldErrors."""
    compact: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in incoming.items():
        if name == "project":
            continue
        try:
            compact[name] = normalize_value(site, project, name, value)
        except (NotFound, ValueError, TypeError) as exc:
            errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return compact


def normalize_value(site: Site, project: Project, name: str, value: Any) -> Any:
    if name.startswith("customfield_"):
        custom = site.custom_field(name)
        if custom is None:
            raise ValueError(OFF_SCREEN.format(name))
        return _custom_value(site, project, custom, value)
    if name not in SETTABLE:
        raise ValueError(OFF_SCREEN.format(name))
    if value is None or value == []:
        if name in ("summary", "issuetype"):
            raise ValueError(f"You must specify a {'summary of the issue' if name == 'summary' else 'issue type'}.")
        return [] if name in LIST_FIELDS else None
    return _NORMALIZERS.get(name, _as_is)(site, project, value)


def _as_is(site: Site, project: Project, value: Any) -> Any:
    return value


def _custom_value(site: Site, project: Project, custom: dict[str, Any], value: Any) -> Any:
    if is_epic_link(custom):
        return _epic_link(site, value)
    if is_select(custom):
        return _option(custom, value)
    if is_labels(custom):
        return [] if value is None else _labels(site, project, value)
    return value


def _option(custom: dict[str, Any], value: Any) -> str | None:
    """A select list's input, ``{"value": "Off track"}`` or ``{"id": "10201"}`` (null clears it), stored as
    the option's id; Jira's words for anything else."""
    if value is None:
        return None
    if not isinstance(value, dict) or not (value.get("id") or value.get("value")):
        raise ValueError("Could not find valid 'id' or 'value' in the Parent Option object.")
    if value.get("id"):
        found = option_by_id(custom, str(value["id"]))
        if found is None:
            raise ValueError(f"Option id '{value['id']}' is not valid")
        return found["id"]
    found = option_by_value(custom, str(value["value"]))
    if found is None:
        raise ValueError(f"Option value '{value['value']}' is not valid")
    return found["id"]


def _issue_type(site: Site, project: Project, value: Any) -> str:
    entry = site.issue_type(value)
    if entry["name"] not in project.issue_types:
        raise ValueError(f"The issue type '{entry['name']}' is not valid for project {project.key}.")
    return str(entry["id"])


def _labels(site: Site, project: Project, value: Any) -> list[str]:
    labels = [str(v) for v in value]
    for label in labels:
        if " " in label:
            raise ValueError(f"The label '{label}' contains spaces which is invalid.")
    return sorted(dict.fromkeys(labels))


def _components(site: Site, project: Project, value: Any) -> list[str]:
    found = []
    for reference in value:
        wanted = str(reference.get("id") or reference.get("name")) if isinstance(reference, dict) else str(reference)
        match = next((c for c in project.components if wanted in (c["id"], c["name"])), None)
        if match is None:
            raise ValueError(f"Component name '{wanted}' is not valid")
        found.append(match["id"])
    return found


def _user(site: Site, project: Project, value: Any) -> str:
    return site.user(value).account_id


def _parent(site: Site, project: Project, value: Any) -> str:
    reference = value.get("key") or value.get("id") if isinstance(value, dict) else value
    return site.issue(str(reference)).id


def _epic_link(site: Site, value: Any) -> str | None:
    """Data Center's Epic Link input: the epic's key (or id) as text, or null / "" to unlink; stored as
    the epic's id."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"The Epic Link must be an epic's issue key as text, got {value!r}.")
    try:
        epic = site.issue(value)
    except NotFound:
        raise ValueError(f"The Epic Link {value!r} is not an issue: no issue has that key.") from None
    kind = site.issue_type(epic.fields["issuetype"])["name"]
    if kind != "Epic":
        raise ValueError(f"The Epic Link {value!r} is not an epic: {epic.key} is a {kind}.")
    return epic.id


def _duedate(site: Site, project: Project, value: Any) -> str:
    text = str(value)
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"Error parsing date string: {text}") from None
    return text


def _summary(site: Site, project: Project, value: Any) -> str:
    text = str(value)
    if len(text) > 255:
        raise ValueError("Summary must be less than 255 characters.")
    return text


_NORMALIZERS = {
    "issuetype": _issue_type,
    "labels": _labels,
    "components": _components,
    "assignee": _user,
    "reporter": _user,
    "parent": _parent,
    "duedate": _duedate,
    "summary": _summary,
    "priority": lambda site, project, value: str(site.priority(value)["id"]),
    "resolution": lambda site, project, value: str(site.resolution(value)["id"]),
}


def apply_update_operations(
    site: Site, project: Project, current: dict[str, Any], update: dict[str, Any]
) -> dict[str, Any]:
    """The ``update`` verbs (``set`` / ``add`` / ``remove``) applied to a copy of the touched fields."""
    result: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, operations in update.items():
        if name == "comment":
            continue
        try:
            result[name] = _apply_operations(site, project, name, current.get(name), operations)
        except (NotFound, ValueError, TypeError) as exc:
            errors[name] = str(exc)
    if errors:
        raise FieldErrors(errors)
    return result


def _apply_operations(site: Site, project: Project, name: str, value: Any, operations: Any) -> Any:
    if not isinstance(operations, list):
        raise ValueError(f'update.{name} must be a list of operations like [{{"set": …}}]')
    for operation in operations:
        if not isinstance(operation, dict) or len(operation) != 1:
            raise ValueError(f"each operation on '{name}' must be one of set, add, remove")
        verb, argument = next(iter(operation.items()))
        if verb == "set":
            value = normalize_value(site, project, name, argument)
        elif verb in ("add", "remove") and (name in LIST_FIELDS or is_labels(site.custom_field(name))):
            item = normalize_value(site, project, name, [argument])[0]
            items = list(value or [])
            value = (
                (items + [item] if item not in items else items) if verb == "add" else [i for i in items if i != item]
            )
            value = sorted(value) if name == "labels" or is_labels(site.custom_field(name)) else value
        else:
            raise ValueError(f"Field '{name}' does not support operation '{verb}'")
    return value


# ---------------------------------------------------------------------------- changelog


def changelog_items(
    site: Site, project: Project, before: dict[str, Any], after: dict[str, Any]
) -> list[dict[str, Any]]:
    """Jira's changelog items for every field whose compact value differs."""
    items: list[dict[str, Any]] = []
    for name in after:
        old, new = before.get(name), after.get(name)
        if old == new or name in ("updated", "created"):
            continue
        if name == "components":
            items.extend(_component_items(project, old or [], new or []))
        else:
            items.append(_item(site, project, name, old, new))
    return items


def _item(site: Site, project: Project, name: str, old: Any, new: Any) -> dict[str, Any]:
    custom = site.custom_field(name)
    return {
        "field": custom["name"] if custom else CHANGELOG_NAMES.get(name, name),
        "fieldtype": "custom" if custom else "jira",
        "fieldId": name,
        "from": _raw(site, name, old),
        "fromString": display_value(site, project, name, old),
        "to": _raw(site, name, new),
        "toString": display_value(site, project, name, new),
    }


def _component_items(project: Project, old: list[str], new: list[str]) -> list[dict[str, Any]]:
    names = {c["id"]: c["name"] for c in project.components}
    removed = [{"from": c, "fromString": names.get(c), "to": None, "toString": None} for c in old if c not in new]
    added = [{"from": None, "fromString": None, "to": c, "toString": names.get(c)} for c in new if c not in old]
    return [
        {"field": "Component", "fieldtype": "jira", "fieldId": "components", **change} for change in removed + added
    ]


def _raw(site: Site, name: str, value: Any) -> str | None:
    if value is not None and (is_epic_link(site.custom_field(name)) or is_select(site.custom_field(name))):
        return str(value)  # an Epic Link's from/to hold the epic's id, a select list's the option's id
    if value is None or name in ("summary", "description", "environment", "labels") or name.startswith("customfield_"):
        return None
    if name in ("assignee", "reporter"):
        user = site.user(value)
        return user.account_id if site.flavor == "cloud" else user.key
    return str(value)


def display_value(site: Site, project: Project, name: str, value: Any) -> str | None:
    """The human text Jira puts in ``fromString`` / ``toString``."""
    if value is None or value == []:
        return None
    lookups = {
        "status": lambda v: site.status(v)["name"],
        "issuetype": lambda v: site.issue_type(v)["name"],
        "priority": lambda v: site.priority(v)["name"],
        "resolution": lambda v: site.resolution(v)["name"],
        "assignee": lambda v: site.user(v).display_name,
        "reporter": lambda v: site.user(v).display_name,
        "parent": lambda v: site.issues[v].key if v in site.issues else v,
        "labels": lambda v: " ".join(v),
        "duedate": lambda v: f"{v} 00:00:00.0",
    }
    if name in lookups:
        return lookups[name](value)
    if is_epic_link(site.custom_field(name)):
        return site.issues[value].key if value in site.issues else str(value)
    if is_select(site.custom_field(name)):
        option = option_by_id(site.custom_field(name) or {}, str(value))
        return option["value"] if option else str(value)
    if isinstance(value, list):
        return " ".join(map(str, value))
    if isinstance(value, dict):
        return str(value.get("value") or value.get("name") or value)
    return str(value)


# ---------------------------------------------------------------------------- operations


def record_change(site: Site, issue: Issue, actor: User, now: datetime, items: list[dict[str, Any]]) -> dict[str, Any]:
    """Append one changelog history and bump ``updated``; returns the history entry."""
    entry = {"id": site.next_id("changelog"), "author": actor.account_id, "created": jira_time(now), "items": items}
    issue.changelog.append(entry)
    issue.fields["updated"] = jira_time(now)
    site.issue_written()
    return entry


def create_issue(site: Site, incoming: dict[str, Any], actor: User, now: datetime) -> tuple[Issue, dict[str, Any]]:
    """A new issue in its project's first status, with a creation changelog like Jira's webhook shows."""
    try:
        project = site.project(incoming.get("project"))
    except NotFound:
        raise FieldErrors({"project": "Specify a valid project ID or key"}) from None
    missing = {
        n: f"You must specify {w}."
        for n, w in (("summary", "a summary of the issue"), ("issuetype", "an issue type"))
        if not incoming.get(n)
    }
    if missing:
        raise FieldErrors(missing)
    compact = {
        "labels": [],
        "components": [],
        "reporter": actor.account_id,
        **normalize_fields(site, project, incoming),
    }
    issue = new_issue(site, project, compact, actor, now)
    items = changelog_items(site, project, {}, compact)
    return issue, {"id": site.next_id("changelog"), "items": items}


def new_issue(site: Site, project: Project, compact: dict[str, Any], actor: User, now: datetime) -> Issue:
    number = site.sequences.get(f"issue:{project.key}", 0) + 1
    site.sequences[f"issue:{project.key}"] = number
    stamp = jira_time(now)
    fields = {
        "summary": "",
        "description": None,
        "priority": str(site.priorities[2]["id"]) if site.priorities else None,
        "labels": [],
        "components": [],
        "assignee": None,
        "reporter": actor.account_id,
        "creator": actor.account_id,
        "status": str(site.statuses[0]["id"]),
        "resolution": None,
        "resolutiondate": None,
        "parent": None,
        "duedate": None,
        "created": stamp,
        "updated": stamp,
        **compact,
    }
    issue = Issue(id=site.next_id("issue"), key=f"{project.key}-{number}", project_id=project.id, fields=fields)
    site.add_issue(issue)
    return issue


def edit_issue(
    site: Site, issue: Issue, fields: dict[str, Any], update: dict[str, Any], actor: User, now: datetime
) -> dict[str, Any] | None:
    """Apply ``fields`` and ``update``; record and return the changelog entry, or None if nothing changed."""
    project = site.project_by_id(issue.project_id)
    overlap = set(fields) & {k for k in update if k != "comment"}
    if overlap:
        raise FieldErrors({name: f"Field '{name}' cannot be set in both 'fields' and 'update'." for name in overlap})
    issue_type = site.issue_type(issue.fields["issuetype"])["name"]
    off_screen = {n: OFF_SCREEN.format(n) for n in [*fields, *update] if not site.on_edit_screen(issue_type, n)}
    if off_screen:
        raise FieldErrors(off_screen)
    after = {**normalize_fields(site, project, fields), **apply_update_operations(site, project, issue.fields, update)}
    items = changelog_items(site, project, issue.fields, after)
    if not items:
        return None
    issue.fields.update(after)
    if "parent" in after:
        site.parents_changed()
    return record_change(site, issue, actor, now, items)


def transition_issue(site: Site, issue: Issue, status_reference: Any, actor: User, now: datetime) -> dict[str, Any]:
    """Move to a status; entering the done category resolves the issue, leaving it reopens it."""
    project = site.project_by_id(issue.project_id)
    status = site.status(status_reference)
    after: dict[str, Any] = {"status": str(status["id"])}
    if status["category"] == DONE and issue.fields.get("resolution") is None:
        after.update(resolution=str(site.resolutions[0]["id"]), resolutiondate=jira_time(now))
    elif status["category"] != DONE:
        after.update(resolution=None, resolutiondate=None)
    ordered = {name: after[name] for name in ("resolution", "status", "resolutiondate") if name in after}
    items = [i for i in changelog_items(site, project, issue.fields, ordered) if i["field"] != "resolutiondate"]
    issue.fields.update(ordered)
    return record_change(site, issue, actor, now, items)


def event_type_name(items: list[dict[str, Any]], site: Site) -> str:
    """Jira's ``issue_event_type_name`` for an update with these changelog items."""
    changed = {item["fieldId"] for item in items}
    if "status" in changed:
        status = next(i for i in items if i["fieldId"] == "status")
        category = site.status(status["to"])["category"]
        if category == DONE:
            return "issue_resolved"
        if "resolution" in changed:
            return "issue_reopened"
        return "issue_work_started" if category == "indeterminate" else "issue_generic"
    if changed == {"assignee"}:
        return "issue_assigned"
    return "issue_updated"

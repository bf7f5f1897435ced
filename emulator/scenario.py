"""Scenarios: YAML or JSON files that seed the emulated site.

A scenario names users, custom fields, projects, issues (with history), bulk-generated issues and
Confluence spaces with pages. Times may be relative to now (``-7d``, ``-4h``). See
``emulator/default.yaml`` for every supported key.

An issue's epic (``epic: KEY``, or a ``parent`` that is an epic) is its ``parent`` on Cloud and its
Epic Link on Data Center, where ``parent`` is for sub-tasks only; a Data Center epic's Epic Name is
its ``epicName``, else its summary. ``serverVersion`` picks the Data Center release serverInfo reports.

``editScreens`` maps an issue type's name to the custom fields (names or ids) on its edit screen; an
issue type it does not name has every field on its screen. A field off the screen is absent from the
issue's ``editmeta``, and an edit setting it is refused as Jira refuses it.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from emulator import edits
from emulator.custom_fields import EPIC_LINK, EPIC_NAME, FIRST_OPTION_ID, scenario_field, with_agile_fields
from emulator.server_info import VersionError, data_center_release
from emulator.state import NotFound, Page, Project, Site, Space, User
from emulator.timefmt import iso_time, jira_time, parse_moment, utc_now

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_SCENARIO = "default"
_DAY = timedelta(days=1)

ISSUE_TYPES = [
    {
        "id": "10000",
        "name": "Epic",
        "hierarchyLevel": 1,
        "description": "A big user story that needs to be broken down.",
    },
    {"id": "10001", "name": "Story", "hierarchyLevel": 0, "description": "Functionality expressed as a user goal."},
    {"id": "10002", "name": "Task", "hierarchyLevel": 0, "description": "A small, distinct piece of work."},
    {"id": "10003", "name": "Bug", "hierarchyLevel": 0, "description": "A problem or error."},
    {"id": "10004", "name": "Incident", "hierarchyLevel": 0, "description": "An unplanned interruption."},
    {"id": "10005", "name": "Sub-task", "hierarchyLevel": -1, "subtask": True, "description": "A part of a task."},
]
STATUSES = [
    {"id": "10000", "name": "To Do", "category": "new"},
    {"id": "3", "name": "In Progress", "category": "indeterminate"},
    {"id": "10001", "name": "In Review", "category": "indeterminate"},
    {"id": "10002", "name": "Done", "category": "done"},
]
PRIORITIES = [{"id": str(i), "name": n} for i, n in enumerate(["Highest", "High", "Medium", "Low", "Lowest"], 1)]
RESOLUTIONS = [
    {"id": "10000", "name": "Done"},
    {"id": "10001", "name": "Won't Do"},
    {"id": "10002", "name": "Duplicate"},
]
LINK_TYPES = [
    {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "10001", "name": "Relates", "inward": "relates to", "outward": "relates to"},
    {"id": "10002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
]


class ScenarioError(ValueError):
    """A scenario file that cannot be loaded; the message names the file and the entry."""


def resolve_scenario(name_or_path: str | None) -> Path:
    """A file path, or the name of a scenario shipped in the package (``default``)."""
    candidate = Path(name_or_path or DEFAULT_SCENARIO)
    if candidate.is_file():
        return candidate
    for suffix in (".yaml", ".yml", ".json"):
        shipped = PACKAGE_DIR / f"{candidate.name}{suffix}"
        if shipped.is_file():
            return shipped
    shipped_names = sorted(p.stem for p in PACKAGE_DIR.glob("*.yaml"))
    raise ScenarioError(
        f"scenario {name_or_path!r} is neither a file nor one of the shipped scenarios ({', '.join(shipped_names)})"
    )


def read_scenario(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}") from None
    if not isinstance(document, dict):
        raise ScenarioError(f"{path}: expected a mapping with users, projects, issues…")
    return document


def load_site(
    scenario: str | Path | dict[str, Any] | None = None,
    flavor: str | None = None,
    now: datetime | None = None,
    server_version: str | None = None,
) -> Site:
    """Build a fresh site from a scenario name, file or already-parsed mapping; ``server_version``
    overrides the scenario's ``serverVersion`` (Data Center)."""
    document = (
        scenario
        if isinstance(scenario, dict)
        else read_scenario(resolve_scenario(str(scenario) if scenario is not None else None))
    )
    try:
        return build_site(document, flavor, now or utc_now(), server_version)
    except (NotFound, edits.FieldErrors, KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"scenario: {exc}") from None


def build_site(document: dict[str, Any], flavor: str | None, now: datetime, server_version: str | None = None) -> Site:
    site = Site(
        flavor=flavor or document.get("flavor", "cloud"),
        title=document.get("title", "Emulated Atlassian site"),
        server_version=_server_version(server_version or document.get("serverVersion")),
        issue_types=list(ISSUE_TYPES),
        statuses=list(STATUSES),
        priorities=list(PRIORITIES),
        resolutions=list(RESOLUTIONS),
        link_types=list(LINK_TYPES),
    )
    site.users = [_user(entry) for entry in document.get("users") or []] or [_user({"name": "admin"})]
    site.custom_fields = [_custom_field(site, entry) for entry in document.get("customFields") or []]
    if site.flavor == "datacenter":
        site.custom_fields = with_agile_fields(site.custom_fields)
    site.edit_screens = _edit_screens(site, document.get("editScreens") or {})
    for entry in document.get("projects") or []:
        site.projects.append(_project(site, entry))
    for index, entry in enumerate(document.get("issues") or []):
        _seed_issue(site, entry, now, f"issues[{index}]")
    for entry in document.get("generate") or []:
        _generate(site, entry, now)
    for entry in (document.get("confluence") or {}).get("spaces") or []:
        _seed_space(site, entry, now)
    return site


def _server_version(version: Any) -> str:
    """The Data Center release named (``8.20.13``, ``9.12``…), checked; empty for the default."""
    if not version:
        return ""
    try:
        return data_center_release(str(version)).version
    except VersionError as exc:
        raise ScenarioError(str(exc)) from None


def _user(entry: dict[str, Any]) -> User:
    name = entry["name"]
    account = entry.get("accountId") or "5b10ac8d" + hashlib.sha1(name.encode()).hexdigest()[:16]
    return User(
        account_id=account,
        name=name,
        key=entry.get("key", name),
        display_name=entry.get("displayName", name.title()),
        email=entry.get("email", f"{name}@example.com"),
        token=str(entry.get("token", "")),
        time_zone=entry.get("timeZone", "UTC"),
    )


def _custom_field(site: Site, entry: dict[str, Any]) -> dict[str, Any]:
    if not str(entry.get("id", "")).startswith("customfield_"):
        raise ScenarioError(f"customFields: id must look like customfield_10016, got {entry.get('id')!r}")
    return scenario_field(entry, lambda: site.next_id("option", FIRST_OPTION_ID))


def _edit_screens(site: Site, screens: dict[str, Any]) -> dict[str, list[str]]:
    """Issue type name → the ids of the custom fields on its edit screen (named by name or id)."""
    ids = {f["name"].casefold(): f["id"] for f in site.custom_fields} | {f["id"]: f["id"] for f in site.custom_fields}
    found = {}
    for type_name, names in screens.items():
        site.issue_type(type_name)  # an unknown issue type is a scenario error
        unknown = [n for n in names or [] if str(n).casefold() not in ids and str(n) not in ids]
        if unknown:
            raise ScenarioError(f"editScreens.{type_name}: no custom field named {', '.join(map(str, unknown))}")
        found[site.issue_type(type_name)["name"]] = [ids.get(str(n).casefold(), str(n)) for n in names or []]
    return found


def _project(site: Site, entry: dict[str, Any]) -> Project:
    index = len(site.projects)
    components = [
        {"id": str(10000 + index * 100 + i), "name": name, "description": ""}
        for i, name in enumerate(entry.get("components") or [])
    ]
    return Project(
        id=str(entry.get("id", 10000 + index)),
        key=entry["key"],
        name=entry.get("name", entry["key"]),
        issue_types=entry.get("issueTypes") or [t["name"] for t in site.issue_types],
        project_type=entry.get("type", "software"),
        lead=entry.get("lead", ""),
        components=components,
    )


def _seed_issue(site: Site, entry: dict[str, Any], now: datetime, where: str) -> None:
    project = site.project(entry.get("project") or entry["key"].rsplit("-", 1)[0])
    actor = site.user(entry["reporter"]) if entry.get("reporter") else site.default_user()
    incoming = {
        "summary": entry["summary"],
        "issuetype": {"name": entry.get("type", "Task")},
        "labels": entry.get("labels", []),
        "components": entry.get("components", []),
        **({"priority": {"name": entry["priority"]}} if entry.get("priority") else {}),
        **({"assignee": {"name": entry["assignee"]}} if entry.get("assignee") else {}),
        **_hierarchy_fields(site, entry, where),
        **({"description": entry["description"]} if entry.get("description") else {}),
        **({"duedate": str(entry["due"])} if entry.get("due") else {}),
        **(entry.get("fields") or {}),
    }
    try:
        compact = edits.normalize_fields(site, project, incoming)
    except edits.FieldErrors as exc:
        raise ScenarioError(f"{where} ({entry.get('summary')!r}): {exc}") from None
    created = parse_moment(entry.get("created", "-30d"), now)
    issue = edits.new_issue(site, project, compact, actor, created)
    if entry.get("key") and entry["key"] != issue.key:
        raise ScenarioError(f"{where}: key {entry['key']} is out of sequence, the next key is {issue.key}")
    for change in entry.get("history") or []:
        _replay(site, issue, change, now)
    if entry.get("status"):
        _set_status(site, issue, entry["status"], entry.get("resolved"), now)
    issue.fields["updated"] = jira_time(parse_moment(entry.get("updated", entry.get("created", "-30d")), now))
    site.issue_written()


def _hierarchy_fields(site: Site, entry: dict[str, Any], where: str) -> dict[str, Any]:
    """``parent`` and the epic as the site's flavour holds them: on Data Center an epic is the Epic
    Link (``parent`` stays for sub-tasks) and an epic carries its Epic Name; on Cloud both are ``parent``."""
    epic, parent = entry.get("epic"), entry.get("parent")
    if epic and parent:
        raise ScenarioError(f"{where}: give either epic or parent, not both")
    if site.flavor != "datacenter":
        return {"parent": {"key": epic or parent}} if epic or parent else {}
    found: dict[str, Any] = {}
    if epic or (parent and _is_epic_key(site, str(parent)) and entry.get("type") != "Sub-task"):
        found[_agile_field_id(site, EPIC_LINK)] = str(epic or parent)
    elif parent:
        found["parent"] = {"key": parent}
    if entry.get("type") == "Epic":
        found[_agile_field_id(site, EPIC_NAME)] = str(entry.get("epicName") or entry["summary"])
    return found


def _is_epic_key(site: Site, key: str) -> bool:
    try:
        issue = site.issue(key)
    except NotFound:
        return False
    return bool(site.issue_type(issue.fields["issuetype"])["name"] == "Epic")


def _agile_field_id(site: Site, custom: str) -> str:
    return next(str(f["id"]) for f in site.custom_fields if f.get("custom") == custom)


def _replay(site: Site, issue: Any, change: dict[str, Any], now: datetime) -> None:
    actor = site.user(change["by"]) if change.get("by") else site.default_user()
    at = parse_moment(change.get("at", "-1d"), now)
    if "status" in change:
        edits.transition_issue(site, issue, change["status"], actor, at)
    if change.get("fields"):
        edits.edit_issue(site, issue, change["fields"], {}, actor, at)


def _set_status(site: Site, issue: Any, status: str, resolved: Any, now: datetime) -> None:
    entry = site.status(status)
    issue.fields["status"] = str(entry["id"])
    if entry["category"] == edits.DONE:
        issue.fields["resolution"] = issue.fields.get("resolution") or str(site.resolutions[0]["id"])
        issue.fields["resolutiondate"] = jira_time(parse_moment(resolved or "-1d", now))
    site.issue_written()


def _generate(site: Site, entry: dict[str, Any], now: datetime) -> None:
    """``count`` issues spread over ``days`` with rotating types, statuses and labels (seeded)."""
    chooser = random.Random(entry.get("seed", 7))
    project = site.project(entry["project"])
    types = entry.get("types") or [t for t in project.issue_types if t not in ("Epic", "Sub-task")]
    statuses = entry.get("statuses") or [s["name"] for s in site.statuses]
    labels = entry.get("labels") or []
    days = int(entry.get("days", 90))
    actor = site.default_user()
    for number in range(int(entry["count"])):
        created = now - (days * (1 - number / max(1, int(entry["count"])))) * _DAY
        compact = {
            "summary": f"{entry.get('summary', 'Generated issue')} {number + 1}",
            "issuetype": str(site.issue_type(types[number % len(types)])["id"]),
            "labels": sorted(chooser.sample(labels, k=min(len(labels), chooser.randint(0, 2)))),
        }
        issue = edits.new_issue(site, project, compact, actor, created)
        _set_status(site, issue, chooser.choice(statuses), iso_time(created + _DAY), now)


def _seed_space(site: Site, entry: dict[str, Any], now: datetime) -> None:
    space = Space(id=site.next_id("space", 98000), key=entry["key"], name=entry.get("name", entry["key"]))
    site.spaces.append(space)
    for page in entry.get("pages") or []:
        _seed_page(site, space, page, None, now)
    roots = [p for p in site.pages.values() if p.space_key == space.key and p.parent_id is None]
    space.homepage_id = roots[0].id if roots else None


def _seed_page(site: Site, space: Space, entry: dict[str, Any], parent_id: str | None, now: datetime) -> None:
    stamp = iso_time(parse_moment(entry.get("created", "-7d"), now))
    page = Page(
        id=site.next_id("content", 65000),
        space_key=space.key,
        title=entry["title"],
        body=entry.get("body", ""),
        author=site.default_user().account_id,
        created=stamp,
        updated=stamp,
        parent_id=parent_id,
    )
    site.pages[page.id] = page
    for child in entry.get("children") or []:
        _seed_page(site, space, child, page.id, now)

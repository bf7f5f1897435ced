"""An issue's ``editmeta``: the fields on the edit screen of its issue type, as Jira describes them. Pure.

``GET /rest/api/{2,3}/issue/{key}/editmeta`` answers ``{"fields": {id: {required, schema, name, key,
operations, allowedValues…}}}``; a field that is not on the screen is not listed (and an edit setting
it is refused, see ``emulator.edits``). A select list lists its options as ``allowedValues``.
"""

from __future__ import annotations

from typing import Any

from emulator.custom_fields import is_labels, is_select
from emulator.edits import SETTABLE
from emulator.jira_json import SYSTEM_FIELDS, View, custom_schema, named_json, option_json
from emulator.state import Issue, Site

REQUIRED = frozenset(("summary", "issuetype"))
LIST_OPERATIONS = ["add", "set", "remove"]
ITEMS = {"labels": "string", "components": "component"}


def edit_meta(site: Site, issue: Issue, view: View) -> dict[str, Any]:
    issue_type = site.issue_type(issue.fields["issuetype"])["name"]
    fields = {
        field_id: _system_entry(site, field_id, name, schema_type, view)
        for field_id, name, schema_type in SYSTEM_FIELDS
        if field_id in SETTABLE
    }
    for custom in site.custom_fields:
        if site.on_edit_screen(issue_type, custom["id"]):
            fields[custom["id"]] = _custom_entry(custom, view)
    return {"fields": fields}


def _system_entry(site: Site, field_id: str, name: str, schema_type: str, view: View) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": schema_type, "system": field_id}
    if field_id in ITEMS:
        schema = {"type": schema_type, "items": ITEMS[field_id], "system": field_id}
    entry: dict[str, Any] = {
        "required": field_id in REQUIRED,
        "schema": schema,
        "name": name,
        "key": field_id,
        "operations": LIST_OPERATIONS if field_id in ITEMS else ["set"],
    }
    if field_id == "priority":
        entry["allowedValues"] = [named_json("priority", p, view) for p in site.priorities]
    return entry


def _custom_entry(custom: dict[str, Any], view: View) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "required": False,
        "schema": custom_schema(custom),
        "name": custom["name"],
        "key": custom["id"],
        "operations": LIST_OPERATIONS if is_labels(custom) else ["set"],
    }
    if is_select(custom):
        entry["allowedValues"] = [option_json(custom, o["id"], view) for o in custom.get("options") or []]
    return entry

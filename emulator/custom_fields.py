"""Custom fields: how each compares in JQL, and the agile fields a Data Center site carries. Pure.

Jira Data Center (Software) links a story to its epic through the "Epic Link" custom field
(``com.pyxis.greenhopper.jira:gh-epic-link``; in an issue's ``fields`` the epic's key as text;
``parent`` is for sub-tasks only), names epics with "Epic Name" (``gh-epic-label``) and estimates
with "Story Points" (a ``float`` number field). A Data Center site always has these three: a
scenario field of the same name is taken as it (keeping its id), the others get the first free
id from ``customfield_10101`` on. Cloud sites keep only the scenario's fields and use ``parent``.

Stored values are compact as elsewhere: the Epic Link holds the epic's issue id, a select list the
chosen option's id (its options are ``{"id", "value"}``), a labels field its labels.

A scenario field names its type with ``custom:`` (``select`` with ``options:``, ``labels``, ``textfield``,
``textarea``, ``float``, or a full ``com.atlassian…`` key); without one, a ``number`` field is a
``float`` and any other a ``textfield``.
"""

from __future__ import annotations

from typing import Any

from emulator.search import CustomClause

EPIC_LINK = "com.pyxis.greenhopper.jira:gh-epic-link"
EPIC_NAME = "com.pyxis.greenhopper.jira:gh-epic-label"
NUMBER = "com.atlassian.jira.plugin.system.customfieldtypes:float"
TEXT = "com.atlassian.jira.plugin.system.customfieldtypes:textfield"
TEXTAREA = "com.atlassian.jira.plugin.system.customfieldtypes:textarea"
SELECT = "com.atlassian.jira.plugin.system.customfieldtypes:select"
LABELS = "com.atlassian.jira.plugin.system.customfieldtypes:labels"
SHORT_TYPES = {"float": NUMBER, "textfield": TEXT, "textarea": TEXTAREA, "select": SELECT, "labels": LABELS}
SCHEMA_TYPES = {SELECT: "option", LABELS: "array", NUMBER: "number", TEXT: "string", TEXTAREA: "string"}
FIRST_OPTION_ID = 10200
AGILE_FIELDS: tuple[tuple[str, str, str], ...] = (  # name, schema type, custom type
    ("Epic Link", "any", EPIC_LINK),
    ("Epic Name", "string", EPIC_NAME),
    ("Story Points", "number", NUMBER),
)
FIRST_AGILE_ID = 10101


def with_agile_fields(declared: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenario's custom fields plus Data Center's Epic Link, Epic Name and Story Points."""
    fields = [dict(entry) for entry in declared]
    for name, schema_type, custom in AGILE_FIELDS:
        same = next((f for f in fields if f["name"].casefold() == name.casefold()), None)
        if same is not None:
            same.update(name=name, type=schema_type, custom=custom)
        else:
            fields.append({"id": _free_id(fields), "name": name, "type": schema_type, "custom": custom})
    return fields


def _free_id(fields: list[dict[str, Any]]) -> str:
    taken = {f["id"] for f in fields}
    number = FIRST_AGILE_ID
    while f"customfield_{number}" in taken:
        number += 1
    return f"customfield_{number}"


def custom_type(entry: dict[str, Any]) -> str:
    """The field's ``schema.custom`` key (a scenario field without one: a number field, or a text field)."""
    return str(entry.get("custom") or (NUMBER if entry.get("type", "number") == "number" else TEXT))


def scenario_field(entry: dict[str, Any], option_ids: Any) -> dict[str, Any]:
    """A scenario's custom field as the site keeps it: its full custom type, the schema type that goes
    with it, and a select list's options with ids (``option_ids()`` gives the next one)."""
    custom = SHORT_TYPES.get(str(entry.get("custom") or ""), entry.get("custom"))
    field = {"id": entry["id"], "name": entry["name"], "type": entry.get("type", "string")}
    if custom:
        field.update(custom=str(custom), type=SCHEMA_TYPES.get(str(custom), field["type"]))
    if custom == SELECT:
        field["options"] = [{"id": option_ids(), "value": str(value)} for value in entry.get("options") or []]
    return field


def option_by_value(entry: dict[str, Any], value: str) -> dict[str, str] | None:
    return next((o for o in entry.get("options") or [] if o["value"] == value), None)


def option_by_id(entry: dict[str, Any], option_id: str) -> dict[str, str] | None:
    return next((o for o in entry.get("options") or [] if o["id"] == option_id), None)


def is_select(entry: dict[str, Any] | None) -> bool:
    return entry is not None and entry.get("custom") == SELECT


def is_labels(entry: dict[str, Any] | None) -> bool:
    return entry is not None and entry.get("custom") == LABELS


def is_epic_link(entry: dict[str, Any] | None) -> bool:
    return entry is not None and entry.get("custom") == EPIC_LINK


def field_number(field_id: str) -> int:
    """``customfield_10101`` → 10101."""
    return int(field_id.rsplit("_", 1)[-1])


def clause_kind(entry: dict[str, Any]) -> str:
    """How JQL compares the field: an issue reference (Epic Link), an option or labels (``=``, ``IN``),
    a number, or text (``~``)."""
    if is_epic_link(entry):
        return "issue"
    if is_select(entry) or is_labels(entry):
        return "option"
    return "number" if entry.get("type") == "number" else "text"


def jql_clauses(fields: list[dict[str, Any]]) -> dict[str, CustomClause]:
    """Each field under its JQL names, lower-cased: its name and ``cf[NNNNN]``."""
    clauses: dict[str, CustomClause] = {}
    for entry in fields:
        clause = CustomClause(fact=entry["id"], kind=clause_kind(entry), label=entry["name"])
        clauses[entry["name"].lower()] = clause
        clauses[f"cf[{field_number(entry['id'])}]"] = clause
    return clauses

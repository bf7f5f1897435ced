"""What kind of value a Jira field holds, read from its ``schema`` in Jira's field list (pure).

Jira's ``GET /field`` gives each field a ``schema``: ``custom`` names a custom field's type
(``com.atlassian.jira.plugin.system.customfieldtypes:select``, ``…:labels``, ``…:textfield``,
``…:textarea``), ``system`` a system field (``labels``), ``type`` the JSON type of its value. The
service writes a health into a single-select list or a labels field, and status lines into a text field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

FieldKind = Literal["select", "labels", "text", "number", "other"]
# a health select list's options, exactly, by the health each stands for
HEALTH_OPTIONS = {
    "on_track": "On track",
    "at_risk": "At risk",
    "off_track": "Off track",
    "done": "Done",
    "missed": "Missed",
    "not_measured": "Not measured",
}
CUSTOM_TYPES = "com.atlassian.jira.plugin.system.customfieldtypes:"
CUSTOM_FIELDS = "Jira settings → Issues → Custom fields"
# what ``writeback:`` writes into each field it names → the kinds that can hold it, and how they read
KINDS_WANTED: dict[str, tuple[frozenset[FieldKind], str]] = {
    "health": (frozenset(("select", "labels")), "a single-select list (Select List (single choice)) or a labels field"),
    "text": (frozenset(("text",)), "a text field (Short text or Paragraph)"),
    "number": (frozenset(("number",)), "a number field (Number)"),
}
KR_FIELD_KINDS = {"score": "number", "progress": "number", "current": "number", "health": "text", "summary": "text"}
# the custom field type to create for each, as Jira's "Create custom field" lists them
CREATE_TYPES = {
    "health": "Select List (single choice) with the options " + ", ".join(HEALTH_OPTIONS.values()),
    "text": "Paragraph (multi-line text)",
    "number": "Number",
}
KIND_OF_CUSTOM: dict[str, FieldKind] = {
    "select": "select",
    "labels": "labels",
    "textfield": "text",
    "textarea": "text",
}


def field_kind(schema: Mapping[str, Any] | None) -> FieldKind:
    """The kind of a field, from its schema: a select list, labels, text, a number, or something else."""
    schema = schema or {}
    custom = str(schema.get("custom") or "")
    known = KIND_OF_CUSTOM.get(custom.removeprefix(CUSTOM_TYPES)) if custom.startswith(CUSTOM_TYPES) else None
    if known is not None:
        return known
    if schema.get("type") == "number":
        return "number"
    if custom:
        return "other"
    if schema.get("system") == "labels":
        return "labels"
    return "text" if schema.get("type") == "string" else "other"


def field_type_words(schema: Mapping[str, Any] | None) -> str:
    """How the field's type reads in a message: its custom type key, or its system name, or its JSON type."""
    schema = schema or {}
    if schema.get("custom"):
        return str(schema["custom"]).removeprefix(CUSTOM_TYPES)
    if schema.get("system"):
        return f"system field {schema['system']}"
    return str(schema.get("type") or "unknown type")


def field_kinds(entries: Iterable[Mapping[str, Any]]) -> dict[str, FieldKind]:
    """Field id → kind, for every entry of Jira's field list that has an id."""
    return {str(e["id"]): field_kind(e.get("schema")) for e in entries if isinstance(e.get("id"), str)}


def create_field_fix(name: str, wanted: str) -> str:
    """How to make a field ``writeback:`` names that the site lacks: the custom field type to create
    for what is written there, and the screens to put it on."""
    other = "; or name a labels field (Labels) instead" if wanted == "health" else ""
    return (
        f"create it: {CUSTOM_FIELDS} → Create custom field → {CREATE_TYPES[wanted]}, named {name!r}, and add it "
        f"to the edit screens of the issue types it is written on{other}"
    )

"""Syntax tree → canonical JQL text: keywords upper-case, canonical field and function names,
values bare when they can be and double-quoted otherwise. ``parse_jql(format_jql(q)) == q``."""

from __future__ import annotations

import re

from jql.syntax import (
    And,
    Call,
    Clause,
    CustomField,
    CustomFieldId,
    Empty,
    FieldRef,
    Node,
    Not,
    Operand,
    Or,
    OrderKey,
    Query,
    SystemField,
)

_BARE = re.compile(r"[\w.@:/+*#$%^?;\-]+")
RESERVED = frozenset(
    (
        "and",
        "or",
        "not",
        "is",
        "in",
        "empty",
        "null",
        "was",
        "changed",
        "after",
        "before",
        "by",
        "during",
        "on",
        "from",
        "to",
        "order",
        "asc",
        "desc",
    )
)
_CONTROL = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def format_jql(query: Query) -> str:
    parts = [format_node(query.where)] if query.where is not None else []
    if query.order_by:
        parts.append("ORDER BY " + ", ".join(format_order_key(key) for key in query.order_by))
    return " ".join(parts)


def format_node(node: Node) -> str:
    if isinstance(node, Or):
        return " OR ".join(grouped(item, Or) for item in node.items)
    if isinstance(node, And):
        return " AND ".join(grouped(item, (And, Or)) for item in node.items)
    if isinstance(node, Not):
        return "NOT " + grouped(node.item, (And, Or))
    return format_clause(node)


def grouped(node: Node, needs_parentheses: type | tuple[type, ...]) -> str:
    text = format_node(node)
    return f"({text})" if isinstance(node, needs_parentheses) else text


def format_clause(clause: Clause) -> str:
    field = format_field(clause.field)
    operator = clause.operator.upper()
    if isinstance(clause.operand, tuple):
        return f"{field} {operator} ({', '.join(format_operand(item) for item in clause.operand)})"
    return f"{field} {operator} {format_operand(clause.operand)}"


def format_field(field: FieldRef) -> str:
    if isinstance(field, CustomFieldId):
        return f"cf[{field.number}]"
    assert isinstance(field, (SystemField, CustomField))
    return quote(field.name)


def format_operand(operand: Operand) -> str:
    if isinstance(operand, Empty):
        return "EMPTY"
    if isinstance(operand, Call):
        return f"{operand.name}({', '.join(quote(argument) for argument in operand.args)})"
    return quote(operand.text)


def format_order_key(key: OrderKey) -> str:
    return quote(key.field) + (f" {key.direction.upper()}" if key.direction else "")


def quote(text: str) -> str:
    """Bare when the text is one plain word, else a double-quoted string with escapes."""
    if _BARE.fullmatch(text) and text.lower() not in RESERVED:
        return text
    return '"' + "".join(escape(char) for char in text) + '"'


def escape(char: str) -> str:
    if char in _CONTROL:
        return _CONTROL[char]
    if ord(char) < 0x20 or ord(char) == 0x7F:
        return f"\\u{ord(char):04x}"
    return char

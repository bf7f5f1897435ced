"""The names a JQL text uses: each field with the values compared with it, whether or not the local
subset evaluates the query (history operators, unknown functions and unmirrored fields included).

    fields_named('projct = CHK AND status was Done')
    # (FieldUse('projct', 'custom', ('CHK',)), FieldUse('status', 'system', ('Done',)))

Checks that compare a configuration with a Jira site (does this project, status, field exist?) read
them; evaluation never does. A text that is not JQL at all raises ``JqlError``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lark import Token, Tree
from lark.exceptions import UnexpectedInput

from jql.grammar import jql_parser
from jql.parser import syntax_message, unquote
from jql.syntax import FIELD_ALIASES, SYSTEM_FIELDS, UNMIRRORED_FIELDS, JqlError

FieldKind = Literal["system", "unmirrored", "custom", "cf"]
KNOWN_FIELD_NAMES: tuple[str, ...] = tuple(
    sorted({spec.name for spec in SYSTEM_FIELDS.values()} | set(FIELD_ALIASES) | UNMIRRORED_FIELDS)
)


@dataclass(frozen=True)
class FieldUse:
    """One clause's field: ``name`` canonical for a system field (``issuetype`` for ``type``), as
    written for a custom field, ``cf[NNNNN]`` for a field by id; ``values`` the literals compared
    with it (function calls and EMPTY left out)."""

    name: str
    kind: FieldKind
    values: tuple[str, ...] = ()


def fields_named(text: str) -> tuple[FieldUse, ...]:
    """Every field a JQL text uses, in order (ORDER BY keys included, without values)."""
    if not isinstance(text, str):
        raise JqlError(f"JQL must be text, not {type(text).__name__}")
    try:
        tree = jql_parser().parse(text)
    except UnexpectedInput as error:
        raise JqlError(syntax_message(error, text)) from None
    uses = []
    for subtree in _subtrees(tree):
        if subtree.data in ("compare", "emptiness", "membership", "history", "order_key"):
            field_tree = subtree.children[0]
            if isinstance(field_tree, Tree):
                uses.append(_use(field_tree, subtree, text))
    return tuple(uses)


def _subtrees(tree: Tree) -> list[Tree]:
    """All subtrees, walked without recursion (a query may nest deeply)."""
    found, waiting = [], [tree]
    while waiting:
        current = waiting.pop()
        found.append(current)
        waiting.extend(reversed([child for child in current.children if isinstance(child, Tree)]))
    return found


def _use(field_tree: Tree, clause: Tree, text: str) -> FieldUse:
    token = field_tree.children[0]
    assert isinstance(token, Token)
    values = () if clause.data == "order_key" else _values(clause, text)
    if token.type == "CF":
        return FieldUse(f"cf[{''.join(c for c in token if c.isdigit())}]", "cf", values)
    name = unquote(token, text) if token.type == "STRING" else str(token)
    lowered = " ".join(name.lower().split())
    lowered = FIELD_ALIASES.get(lowered, lowered)
    if lowered in SYSTEM_FIELDS:
        return FieldUse(SYSTEM_FIELDS[lowered].name, "system", values)
    if lowered in UNMIRRORED_FIELDS:
        return FieldUse(name, "unmirrored", values)
    return FieldUse(name, "custom", values)


def _values(clause: Tree, text: str) -> tuple[str, ...]:
    """The literal operands of a clause (a history clause's predicates left out)."""
    found = []
    for part in clause.children[1:]:
        if not isinstance(part, Tree) or part.data == "predicate":
            continue
        for subtree in _subtrees(part):
            child = subtree.children[0] if subtree.data == "operand" else None
            if isinstance(child, Token) and child.type in ("WORD", "STRING"):
                found.append(unquote(child, text) if child.type == "STRING" else str(child))
    return tuple(found)

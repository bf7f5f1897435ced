"""Per-clause checks made at parse time: which operators, values and functions each field accepts.

A clause Jira itself would reject is a ``JqlError``; a clause Jira accepts but the mirror cannot
answer (priority ordering, names or ids the mirror does not keep) is ``JqlUnsupported``."""

from __future__ import annotations

import re

from jql.dates import DATE_FUNCTIONS, is_date_text, parse_period
from jql.syntax import (
    EMPTINESS_OPERATORS,
    EQUALITY_OPERATORS,
    LIST_OPERATORS,
    ORDER_OPERATORS,
    TEXT_OPERATORS,
    Call,
    Clause,
    CustomField,
    CustomFieldId,
    Empty,
    JqlError,
    JqlUnsupported,
    Kind,
    Operand,
    SystemField,
    Value,
    spec_of,
)

DATE_KINDS = frozenset((Kind.DATETIME, Kind.DATE))
FUNCTION_KINDS: dict[str, frozenset[Kind]] = {
    "now": DATE_KINDS | {Kind.CUSTOM},
    "currentUser": frozenset((Kind.USER, Kind.CUSTOM)),
    **{name: DATE_KINDS | {Kind.CUSTOM} for name in DATE_FUNCTIONS},
}
ORDERED_KINDS = DATE_KINDS | {Kind.KEY, Kind.CUSTOM}
NAMES_BY_ID_NOT_MIRRORED = frozenset(
    ("project", "issuetype", "status", "priority", "resolution", "component", "parent")
)
ISSUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
PROJECT_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def field_label(clause: Clause) -> str:
    field = clause.field
    if isinstance(field, CustomFieldId):
        return f"cf[{field.number}]"
    return field.name


def kind_of(clause: Clause) -> Kind:
    spec = spec_of(clause.field)
    return spec.kind if spec is not None else Kind.CUSTOM


def operands_of(clause: Clause) -> tuple[Operand, ...]:
    return clause.operand if isinstance(clause.operand, tuple) else (clause.operand,)


def validate_clause(clause: Clause, operator_at: str, operand_at: str) -> None:
    """Raise when the clause is malformed (``JqlError``) or outside the local subset (``JqlUnsupported``);
    the positions are phrases such as "at column 14"."""
    validate_operator(clause, operator_at)
    for operand in operands_of(clause):
        validate_operand(clause, operand, operand_at)


def validate_operator(clause: Clause, at: str) -> None:
    kind, operator, label = kind_of(clause), clause.operator, field_label(clause)
    if operator in TEXT_OPERATORS and kind not in (Kind.TEXT, Kind.CUSTOM):
        raise JqlError(
            f"the operator '{operator}' {at} is not supported by the field '{label}'; "
            "expected =, !=, IN, NOT IN, IS or IS NOT"
        )
    if kind is Kind.TEXT and operator not in TEXT_OPERATORS + EMPTINESS_OPERATORS:
        if not (operator in EQUALITY_OPERATORS and clause.operand == Empty()):
            raise JqlError(
                f"the operator '{operator}' {at} is not supported by the text field '{label}'; "
                "expected ~, !~, IS or IS NOT"
            )
    if operator in ORDER_OPERATORS and kind not in ORDERED_KINDS:
        if label in ("priority", "resolution"):
            raise JqlUnsupported(f"ordering by {label} ('{operator}' {at}) is not evaluated locally")
        raise JqlError(
            f"the operator '{operator}' {at} is not supported by the field '{label}'; "
            "expected =, !=, IN, NOT IN, IS or IS NOT"
        )


def validate_operand(clause: Clause, operand: Operand, at: str) -> None:
    if isinstance(operand, Empty):
        if clause.operator not in EQUALITY_OPERATORS + LIST_OPERATORS + EMPTINESS_OPERATORS:
            raise JqlError(
                f"EMPTY cannot be used with '{clause.operator}' {at}; expected =, !=, IN, NOT IN, IS or IS NOT"
            )
    elif isinstance(operand, Call):
        validate_call(clause, operand, at)
    else:
        validate_value(clause, operand, at)


def validate_call(clause: Clause, call: Call, at: str) -> None:
    kind, label = kind_of(clause), field_label(clause)
    if kind not in FUNCTION_KINDS[call.name] or clause.operator in TEXT_OPERATORS:
        raise JqlError(f"the function '{call.name}()' {at} is not supported by the field '{label}'")
    if call.name in DATE_FUNCTIONS:
        if len(call.args) > 1:
            raise JqlError(f"'{call.name}()' {at} takes at most one offset such as \"-1d\"")
        if call.args and parse_period(call.args[0], DATE_FUNCTIONS[call.name]) is None:
            raise JqlError(f'\'{call.name}({call.args[0]})\' {at}: expected an offset such as -1, "-1d" or "+1w"')
    elif call.args:
        raise JqlError(f"'{call.name}()' {at} takes no arguments")


def validate_value(clause: Clause, value: Value, at: str) -> None:
    kind, label, text = kind_of(clause), field_label(clause), value.text
    if kind in DATE_KINDS and not is_date_text(text):
        raise JqlError(
            f"'{text}' {at} is not a date for the field '{label}'; expected 'YYYY-MM-DD', "
            "'YYYY/MM/DD', either with ' HH:MM', or a period such as '-30d' or '-1w 2d'"
        )
    if kind is Kind.KEY and clause.operator in ORDER_OPERATORS and not ISSUE_KEY.match(text):
        raise JqlError(f"'{text}' {at} is not an issue key for '{clause.operator}'; expected a key like ABC-123")
    if isinstance(clause.field, SystemField) and label in NAMES_BY_ID_NOT_MIRRORED and text.isdigit():
        raise JqlUnsupported(f"{label} by id ('{text}' {at}) is not evaluated locally: the mirror keeps names")
    if label == "project" and not PROJECT_KEY.match(text):
        raise JqlUnsupported(f"project by name ('{text}' {at}) is not evaluated locally: the mirror keeps keys")
    if isinstance(clause.field, CustomField) and not clause.field.name.strip():
        raise JqlError(f"an empty field name {at}; expected a field name")

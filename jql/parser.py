"""Text → syntax tree. Syntax errors become ``JqlError`` naming the position and what was expected;
valid JQL outside the local subset becomes ``JqlUnsupported`` naming the construct."""

from __future__ import annotations

import re
from collections.abc import Iterable

from lark import Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from jql.grammar import jql_parser
from jql.syntax import (
    FIELD_ALIASES,
    SYSTEM_FIELDS,
    UNMIRRORED_FIELDS,
    And,
    Call,
    Clause,
    CustomField,
    CustomFieldId,
    Empty,
    FieldRef,
    JqlError,
    JqlUnsupported,
    Node,
    Not,
    Operand,
    Or,
    OrderKey,
    Query,
    SystemField,
    Value,
)
from jql.validate import validate_clause

FUNCTION_NAMES: dict[str, str] = {
    name.lower(): name
    for name in (
        "now",
        "currentUser",
        "startOfDay",
        "endOfDay",
        "startOfWeek",
        "endOfWeek",
        "startOfMonth",
        "endOfMonth",
        "startOfYear",
        "endOfYear",
    )
}
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "t": "\t", "r": "\r", " ": " "}
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


def parse_jql(text: str) -> Query:
    """Parse JQL; the empty query matches every issue."""
    if not isinstance(text, str):
        raise JqlError(f"JQL must be text, not {type(text).__name__}")
    try:
        query = build_query(jql_parser().parse(text), text)
    except UnexpectedInput as error:
        raise JqlError(syntax_message(error, text)) from None
    except RecursionError:  # thousands of NOTs: no filter a person writes
        query = None
    if query is None or (query.where is not None and nesting_depth(query.where) > MAX_NESTING):
        raise JqlError(
            f"the query nests NOT, AND and OR more than {MAX_NESTING} levels deep; write it with fewer levels"
        ) from None
    return query


MAX_NESTING = 100  # levels of NOT / AND / OR; evaluating deeper ones would exhaust Python's stack


def nesting_depth(node: Node) -> int:
    """How many levels of NOT / AND / OR lie above the deepest clause (counted without recursion)."""
    deepest, waiting = 0, [(node, 1)]
    while waiting:
        current, depth = waiting.pop()
        deepest = max(deepest, depth)
        if isinstance(current, Not):
            waiting.append((current.item, depth + 1))
        elif isinstance(current, (And, Or)):
            waiting.extend((item, depth + 1) for item in current.items)
    return deepest


# --- tree → AST -------------------------------------------------------------------------------------


def build_query(tree: Tree, text: str) -> Query:
    where: Node | None = None
    order: tuple[OrderKey, ...] = ()
    for child in tree.children:
        if isinstance(child, Tree) and child.data == "order_by":
            order = tuple(build_order_key(key) for key in child.children if isinstance(key, Tree))
        elif child is not None:
            where = build_node(child, text)
    return Query(where, order)


def build_node(tree: Tree | Token, text: str) -> Node:
    assert isinstance(tree, Tree)
    kind = tree.data
    if kind == "disjunction":
        return Or(tuple(build_node(child, text) for child in tree.children))
    if kind == "conjunction":
        return And(tuple(build_node(child, text) for child in tree.children))
    if kind == "negation":
        return Not(build_node(tree.children[-1], text))
    return build_clause(tree, text)


def build_clause(tree: Tree, text: str) -> Clause:
    field_tree, *rest = tree.children
    field = build_field(field_tree, text)
    tokens = [child for child in rest if isinstance(child, Token)]
    operand: Operand | tuple[Operand, ...]
    if tree.data == "history":
        keyword = " ".join(token.upper() for token in tokens if token.type in ("WAS", "NOT", "IN", "CHANGED"))
        raise JqlUnsupported(f"the history operator '{keyword}' {where(tokens[0], text)} is not evaluated locally")
    if tree.data == "compare":
        operator, operand = str(tokens[0]), build_operand(rest[1], text)
    elif tree.data == "emptiness":
        operator, operand = ("is not" if len(tokens) == 3 else "is"), Empty()
    else:
        operator = "not in" if len(tokens) == 2 else "in"
        operand = build_list(rest[-1], text)
    clause = Clause(field, operator, operand)
    validate_clause(clause, where(tokens[0], text), where(first_token(rest[-1]), text))
    return clause


def first_token(tree: Tree | Token) -> Token | None:
    if isinstance(tree, Token):
        return tree
    return next(iter(tree.scan_values(lambda value: isinstance(value, Token))), None)


def build_field(tree: Tree, text: str) -> FieldRef:
    token = tree.children[0]
    assert isinstance(token, Token)
    if token.type == "CF":
        return CustomFieldId(custom_field_number(token, text))
    name = unquote(token, text) if token.type == "STRING" else str(token)
    return field_named(name, token, text)


def custom_field_number(token: Token, text: str) -> int:
    """The NNNNN of ``cf[NNNNN]``; Jira's field ids are short numbers, so a long one is an error."""
    digits = re.sub(r"\D", "", token)
    if len(digits) > 18:
        raise JqlError(
            f"the custom field id {where(token, text)} has {len(digits)} digits; "
            "expected cf[NNNNN] with the field's id in Jira"
        )
    return int(digits)


def field_named(name: str, token: Token | None = None, text: str = "") -> FieldRef:
    """Resolve a field name: system fields (and aliases) case-insensitively, else a custom field."""
    lowered = " ".join(name.lower().split())
    lowered = FIELD_ALIASES.get(lowered, lowered)
    if lowered in SYSTEM_FIELDS:
        return SystemField(SYSTEM_FIELDS[lowered].name)
    if lowered in UNMIRRORED_FIELDS:
        position = f" {where(token, text)}" if token is not None else ""
        raise JqlUnsupported(f"the field '{name}'{position} is not mirrored locally")
    return CustomField(name)


def build_operand(tree: Tree, text: str) -> Operand:
    child = tree.children[0]
    if isinstance(child, Tree):
        return build_call(child, text)
    if child.type == "EMPTY":
        return Empty()
    return Value(unquote(child, text) if child.type == "STRING" else str(child))


def build_call(tree: Tree, text: str) -> Call:
    name_token, *arguments = tree.children
    assert isinstance(name_token, Token)
    canonical = FUNCTION_NAMES.get(name_token.lower())
    if canonical is None:
        raise JqlUnsupported(f"the function '{name_token}()' {where(name_token, text)} is not evaluated locally")
    args = tuple(argument_text(argument, text) for argument in arguments if argument is not None)
    return Call(canonical, args)


def argument_text(tree: Tree | Token, text: str) -> str:
    assert isinstance(tree, Tree)
    token = tree.children[0]
    assert isinstance(token, Token)
    return unquote(token, text) if token.type == "STRING" else str(token)


def build_list(tree: Tree, text: str) -> tuple[Operand, ...]:
    child = tree.children[0]
    assert isinstance(child, Tree)
    if child.data == "call":
        return (build_call(child, text),)
    return tuple(build_operand(operand, text) for operand in child.children if isinstance(operand, Tree))


def build_order_key(tree: Tree) -> OrderKey:
    field_tree, direction = tree.children[0], tree.children[1] if len(tree.children) > 1 else None
    assert isinstance(field_tree, Tree)
    token = field_tree.children[0]
    assert isinstance(token, Token)
    name = unquote(token, "") if token.type == "STRING" else str(token)
    lowered = FIELD_ALIASES.get(name.lower(), name.lower())
    canonical = SYSTEM_FIELDS[lowered].name if lowered in SYSTEM_FIELDS else name
    return OrderKey(canonical, str(direction).lower() if direction is not None else None)


def unquote(token: Token, text: str) -> str:
    """The content of a quoted string with JQL's backslash escapes applied."""
    body = str(token)[1:-1]

    def replace(match: re.Match[str]) -> str:
        escape = match.group(1)
        if len(escape) == 5:
            return chr(int(escape[1:], 16))
        if escape in _ESCAPES:
            return _ESCAPES[escape]
        raise JqlError(
            f"unknown escape '\\{escape}' in the string {where(token, text)}; "
            "expected one of \\\" \\' \\\\ \\n \\t \\r \\uXXXX"
        )

    return _ESCAPE.sub(replace, body)


# --- positions and messages -------------------------------------------------------------------------


def where(token: Token | None, text: str) -> str:
    if token is None or token.line is None:
        return "at the end of the query"
    return position(token.line, token.column, text)


def position(line: int | None, column: int | None, text: str) -> str:
    if line is None or column is None:
        return "at the end of the query"
    return f"at column {column}" if "\n" not in text else f"at line {line}, column {column}"


_HUMAN = {
    "_AND": "AND",
    "_OR": "OR",
    "RPAR": "')'",
    "$END": "the end of the query",
    "ORDER_BY": "ORDER BY",
    "COMMA": "','",
    "LPAR": "'('",
    "NOT": "NOT",
    "IS": "IS",
    "IN": "IN",
    "DIRECTION": "ASC or DESC",
}


def expected_phrase(expected: Iterable[str]) -> str:
    """Turn lark terminal names into what a person would type."""
    names = set(expected)
    if "CF" in names:
        return "a field name"
    if "OPERATOR" in names:
        return "an operator (=, !=, ~, !~, >, >=, <, <=, IN, NOT IN, IS, IS NOT)"
    if names == {"LPAR", "FUNCTION"}:
        return "a list of values in parentheses"
    if names <= {"EMPTY", "NOT"}:
        return "EMPTY or NOT EMPTY"
    if names & {"WORD", "STRING", "EMPTY"}:
        return "a value"
    words = sorted({_HUMAN.get(name, name) for name in names if name in _HUMAN})
    return ", ".join(words[:-1]) + (" or " if len(words) > 1 else "") + words[-1] if words else "something else"


def syntax_message(error: UnexpectedInput, text: str) -> str:
    if isinstance(error, UnexpectedToken):
        return unexpected_token_message(error, text)
    if isinstance(error, UnexpectedCharacters):
        return unexpected_character_message(error, text)
    if isinstance(error, UnexpectedEOF):
        return f"unexpected end of the query; expected {expected_phrase(error.expected)}"
    return f"cannot parse the query: {error}"


# A word is tried only where a word starts: tried inside a long word that is not the last, it
# failed once per character (quadratic time).
LAST_TOKEN_WINDOW = 200  # characters before the error the last token is looked for in (a search from
# every position of a long run of quotes and escapes would take quadratic time)
_LAST_TOKEN = re.compile(
    r"""(!=|!~|>=|<=|[=~<>(),]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|(?<![^\s=!~<>(),"'])[^\s=!~<>(),"']+)\s*$"""
)


def unexpected_token_message(error: UnexpectedToken, text: str) -> str:
    token = error.token
    end = token.start_pos if token.type != "$END" and token.start_pos is not None else len(text)
    last = _LAST_TOKEN.search(text[max(0, end - LAST_TOKEN_WINDOW) : end])
    after = f" after '{last.group(1)}'" if last else ""
    expected = plausible(error.expected, text[:end])
    if token.type == "$END":
        return f"expected {expected_phrase(expected)}{after} at the end of the query"
    return f"expected {expected_phrase(expected)}{after} {position(token.line, token.column, text)}, found '{token}'"


def plausible(expected: Iterable[str], before: str) -> set[str]:
    """Drop what the LALR tables allow but a person would not write here (history predicates,
    a ')' with no '(' open, a ',' outside a list)."""
    names = set(expected) - {"PREDICATE", "WAS", "CHANGED"}
    depth = before.count("(") - before.count(")")
    if depth <= 0:
        names -= {"RPAR", "COMMA"}
    return names or set(expected)


def unexpected_character_message(error: UnexpectedCharacters, text: str) -> str:
    at = position(error.line, error.column, text)
    if error.char in "\"'":
        return f"unterminated string {at}: expected a closing {error.char}"
    allowed = plausible(error.allowed or set(), text[: error.pos_in_stream])
    return f"unexpected character '{error.char}' {at}; expected {expected_phrase(allowed)}"

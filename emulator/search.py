"""A minimal JQL evaluator: enough of Jira's query language for the product and the tests. Pure.

Supported:

- clauses ``field = value``, ``!=``, ``IN (…)``, ``NOT IN (…)``, ``IS EMPTY`` / ``IS NOT EMPTY``
  (``NULL`` too) on ``project``, ``issuetype`` (``type``), ``status``, ``statusCategory``,
  ``labels``, ``key`` (``issuekey``), ``id``, ``priority``, ``component``, ``resolution``,
  ``assignee``, ``reporter``, ``parent``; values match names, keys or ids, case-insensitively;
- ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` on ``created``, ``updated``, ``resolutiondate``
  (``resolved``) and ``duedate`` with dates (``2024-05-01``, ``"2024-05-01 10:00"``), relative
  offsets (``-7d``, ``-4h``, ``-2w``, ``-30m``) and ``now()``, ``startOfDay()``, ``endOfDay()``;
- ``~`` / ``!~`` (contains) on ``summary``, ``description`` and ``text``;
- ``currentUser()`` for ``assignee`` / ``reporter``;
- the custom fields the context names (``JqlContext.custom_fields``), by name (``"Story Points"``) or
  ``cf[NNNNN]``: an issue reference (Epic Link: ``=``, ``!=``, ``IN``, ``NOT IN`` with keys or ids),
  a number (``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``IN``, ``NOT IN``) or text (``~``, ``!~``),
  each also with ``IS [NOT] EMPTY``;
- ``AND``, ``OR``, ``NOT`` and parentheses; ``ORDER BY`` on ``key``, ``id``, ``created``,
  ``updated``, ``resolutiondate``, ``priority`` with ``ASC`` / ``DESC``.

As in Jira, ``NOT`` is pushed down to the clauses (De Morgan's laws, each operator flipped: ``=`` ↔
``!=``, ``IN`` ↔ ``NOT IN``, ``>`` ↔ ``<=`` …), and a comparison never matches an empty field unless
its operand holds ``EMPTY``: ``NOT labels = x`` matches, like ``labels != x``, only labelled issues.

Anything else raises :class:`JqlError` carrying the message Jira would give; the API answers 400.
Issues are seen through *facts*: plain dicts built by ``emulator.jira_json.issue_facts``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator.timefmt import parse_moment, relative_offset, start_of_day

Facts = Mapping[str, Any]
Predicate = Callable[[Facts], bool]

SET_FIELDS = {
    "project",
    "issuetype",
    "status",
    "statuscategory",
    "labels",
    "key",
    "id",
    "priority",
    "component",
    "resolution",
    "assignee",
    "reporter",
    "parent",
}
DATE_FIELDS = {"created", "updated", "resolutiondate", "duedate"}
TEXT_FIELDS = {"summary", "description", "text"}
ALIASES = {
    "type": "issuetype",
    "issuekey": "key",
    "resolved": "resolutiondate",
    "components": "component",
    "due": "duedate",
    "category": "statuscategory",
}
SORTABLE = {"key", "id", "created", "updated", "resolutiondate", "priority"}
KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
NEGATED = {
    "=": "!=",
    "!=": "=",
    "in": "not in",
    "not in": "in",
    "~": "!~",
    "!~": "~",
    "is": "is not",
    "is not": "is",
    ">": "<=",
    ">=": "<",
    "<": ">=",
    "<=": ">",
}
POSITIVE = frozenset(("=", "in", "~", "is"))

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z0-9_.\-+/:@\[\]]+)
    )""",
    re.VERBOSE,
)


class JqlError(ValueError):
    """A query Jira would refuse; ``str(error)`` is Jira's message."""


class _Empty:
    """The operand ``EMPTY`` / ``NULL`` in ``=``, ``!=``, ``IN`` and ``NOT IN``."""

    def __repr__(self) -> str:
        return "EMPTY"


EMPTY = _Empty()


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | punct | word | end
    text: str
    position: int

    @property
    def keyword(self) -> str:
        return self.text.lower() if self.kind == "word" else ""


@dataclass(frozen=True)
class CustomClause:
    """A custom field JQL may name: the facts key holding its value, how it compares, its name."""

    fact: str  # customfield_10101
    kind: str  # issue | number | text
    label: str  # Epic Link


@dataclass(frozen=True)
class JqlContext:
    now: datetime
    current_user: frozenset[str] = frozenset()
    projects: frozenset[str] | None = None  # lowercase keys, names and ids; None skips the check
    custom_fields: Mapping[str, CustomClause] = field(default_factory=dict)  # lower-cased JQL name → field


@dataclass
class Query:
    predicate: Predicate
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    bounded: bool = True
    reads_clock: bool = False  # relative dates or now()-style functions: the matches move with time
    # the values of each ``project =`` / ``project in`` clause every match must meet (a query of ANDs only,
    # no OR, no NOT); None: any project may match
    projects: tuple[frozenset[str], ...] | None = None

    def matches(self, facts: Facts) -> bool:
        return self.predicate(facts)

    def may_match_project(self, names: set[str]) -> bool:
        """Whether an issue of the project known by ``names`` (lowercase key, name and id) can match:
        False only when a project clause the query cannot do without names none of them."""
        return self.projects is None or all(names & wanted for wanted in self.projects)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position, end = 0, len(text.rstrip())  # what follows ``end`` is blanks: no token
    while position < end:
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            where = len(text) - len(text[position:].lstrip())
            raise JqlError(
                f"Error in the JQL Query: The character '{text[where]}' is a reserved "
                f"JQL character. (line 1, character {where + 1})"
            )
        kind = match.lastgroup or "word"
        value = match.group(kind)
        start = match.start(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(Token(kind, value, start + 1))
        position = match.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


def compile_jql(text: str, context: JqlContext) -> Query:
    """Parse ``text`` into a predicate over issue facts plus the requested order."""
    return _Parser(tokenize(text or ""), context).query()


def sort_issues(facts: list[Facts], order: list[tuple[str, bool]]) -> list[Facts]:
    """Stable sort by each ORDER BY term, last term first; the default is issue id ascending."""
    ordered = sorted(facts, key=lambda f: f["_id"])
    for name, descending in reversed(order):
        present = [f for f in ordered if f.get(f"_sort_{name}") is not None]
        missing = [f for f in ordered if f.get(f"_sort_{name}") is None]
        present.sort(key=lambda f: f[f"_sort_{name}"], reverse=descending)
        ordered = present + missing
    return ordered


class _Parser:
    def __init__(self, tokens: list[Token], context: JqlContext) -> None:
        self.tokens = tokens
        self.index = 0
        self.context = context
        self.reads_clock = False
        self.project_clauses: list[frozenset[str]] = []  # the positive, unnegated ones

    # -------------------------------------------------------------- structure

    def query(self) -> Query:
        if self._at_end() or self._peek().keyword == "order":
            predicate: Predicate = lambda facts: True  # noqa: E731
            bounded = False
        else:
            predicate = self._or(negated=False)
            bounded = True
        order = self._order_by()
        if not self._at_end():
            self._fail("either 'OR' or 'AND'")
        return Query(predicate, order, bounded, self.reads_clock, self._required_projects())

    def _required_projects(self) -> tuple[frozenset[str], ...] | None:
        """The project clauses every match must meet: all of them when the query joins its clauses by
        AND alone (no OR or NOT anywhere, so no clause stands negated or as an alternative)."""
        if not self.project_clauses or any(t.keyword in ("or", "not") for t in self.tokens):
            return None
        return tuple(self.project_clauses)

    # ``negated``: the part stands under an odd number of NOTs; it is built as its negation, as
    # Jira rewrites it (OR ↔ AND, each clause's operator flipped).

    def _or(self, negated: bool) -> Predicate:
        parts = [self._and(negated)]
        while self._peek().keyword == "or":
            self._advance()
            parts.append(self._and(negated))
        return _joined(parts, every=negated)

    def _and(self, negated: bool) -> Predicate:
        parts = [self._not(negated)]
        while self._peek().keyword == "and":
            self._advance()
            parts.append(self._not(negated))
        return _joined(parts, every=not negated)

    def _not(self, negated: bool) -> Predicate:
        token = self._peek()
        if token.keyword == "not":
            self._advance()
            return self._not(not negated)
        if token.kind == "punct" and token.text == "(":
            self._advance()
            inner = self._or(negated)
            self._expect_punct(")")
            return inner
        return self._clause(negated)

    def _order_by(self) -> list[tuple[str, bool]]:
        if self._peek().keyword != "order":
            return []
        self._advance()
        if self._peek().keyword != "by":
            self._fail("'by'")
        self._advance()
        terms = [self._sort_term()]
        while self._peek().kind == "punct" and self._peek().text == ",":
            self._advance()
            terms.append(self._sort_term())
        return terms

    def _sort_term(self) -> tuple[str, bool]:
        token = self._advance()
        name = ALIASES.get(token.text.lower(), token.text.lower())
        if token.kind not in ("word", "string") or name not in SORTABLE:
            raise JqlError(f"Not able to sort using field '{token.text}'.")
        descending = False
        if self._peek().keyword in ("asc", "desc"):
            descending = self._advance().keyword == "desc"
        return name, descending

    # -------------------------------------------------------------- clauses

    def _clause(self, negated: bool) -> Predicate:
        token = self._advance()
        if token.kind not in ("word", "string") or token.keyword in KEYWORDS:
            self._fail("a field name", token)
        name = ALIASES.get(token.text.lower(), token.text.lower())
        custom = self.context.custom_fields.get(token.text.lower())
        if custom is not None and name not in SET_FIELDS | DATE_FIELDS | TEXT_FIELDS:
            return self._custom_clause(custom, token.text, negated)
        if name not in SET_FIELDS | DATE_FIELDS | TEXT_FIELDS:
            raise JqlError(f"Field '{token.text}' does not exist or you do not have permission to view it.")
        operator = self._operator()
        if operator in ("is", "is not"):
            return self._emptiness(name, NEGATED[operator] if negated else operator)
        if operator in ("in", "not in"):
            values = self._value_list(name)
            return self._set_clause(name, operator, values, token.text, negated)
        value = self._value(name)
        if name in SET_FIELDS:
            return self._set_clause(name, operator, _flatten([value]), token.text, negated)
        if name in DATE_FIELDS:
            return _date_clause(name, operator, value, token.text, negated)
        return _text_clause(name, operator, value, token.text, negated)

    def _operator(self) -> str:
        token = self._advance()
        if token.kind == "op":
            return token.text
        if token.keyword == "in":
            return "in"
        if token.keyword in ("is", "not"):
            following = self._peek().keyword
            if token.keyword == "is" and following == "not":
                self._advance()
                return "is not"
            if token.keyword == "not" and following == "in":
                self._advance()
                return "not in"
            if token.keyword == "is":
                return "is"
        self._fail("an operator such as '=', '!=', '~', 'IN', 'IS'", token)
        raise AssertionError  # unreachable

    def _emptiness(self, name: str, operator: str) -> Predicate:
        token = self._advance()
        if token.keyword not in ("empty", "null"):
            self._fail("'EMPTY' or 'NULL'", token)
        wanted_empty = operator == "is"
        return lambda facts: _is_empty(facts.get(name)) == wanted_empty

    def _set_clause(self, name: str, operator: str, values: list[Any], label: str, negated: bool) -> Predicate:
        """``=`` / ``IN`` (``!=`` / ``NOT IN`` negated): whether the field holds one of the values;
        an empty field matches only a positive clause whose values hold EMPTY."""
        if name not in SET_FIELDS:
            if name in DATE_FIELDS and operator in ("in", "not in"):
                moments = [value for value in values if value is not EMPTY]
                return _among(name, EMPTY in values, (operator in POSITIVE) != negated, lambda value: value in moments)
            raise JqlError(f"The operator '{operator.upper()}' is not supported by the '{label}' field.")
        if operator not in ("=", "!=", "in", "not in"):
            raise JqlError(f"The operator '{operator}' is not supported by the '{label}' field.")
        wanted = _lowered([value for value in values if value is not EMPTY])
        if name == "project":
            self._check_projects(wanted)
            if operator in POSITIVE and not negated and EMPTY not in values:
                self.project_clauses.append(frozenset(wanted))
        return _among(
            name, EMPTY in values, (operator in POSITIVE) != negated, lambda value: _intersects(value, wanted)
        )

    def _custom_clause(self, custom: CustomClause, label: str, negated: bool) -> Predicate:
        """A clause on a custom field, by the kind of its values (see CustomClause)."""
        operator = self._operator()
        if operator in ("is", "is not"):
            return self._emptiness(custom.fact, NEGATED[operator] if negated else operator)
        values = self._value_list(custom.fact) if operator in ("in", "not in") else [self._value(custom.fact)]
        if custom.kind == "text":
            if operator not in ("~", "!~"):
                raise JqlError(f"The operator '{operator}' is not supported by the '{label}' field.")
            return _text_clause(custom.fact, operator, values[0], label, negated)
        if operator not in (_NUMBER_OPERATORS if custom.kind == "number" else ("=", "!=", "in", "not in")):
            raise JqlError(f"The operator '{operator}' is not supported by the '{label}' field.")
        if custom.kind == "number":
            return _number_clause(custom.fact, operator, [_number(v, label) for v in values], negated)
        wanted = _lowered([value for value in values if value is not EMPTY])
        return _among(
            custom.fact, EMPTY in values, (operator in POSITIVE) != negated, lambda value: _intersects(value, wanted)
        )

    def _check_projects(self, wanted: set[str]) -> None:
        known = self.context.projects
        if known is None:
            return
        for value in sorted(wanted):
            if value not in known:
                raise JqlError(f"The value '{value}' does not exist for the field 'project'.")

    # -------------------------------------------------------------- values

    def _value_list(self, name: str) -> list[Any]:
        self._expect_punct("(")
        values = [self._value(name)]
        while self._peek().kind == "punct" and self._peek().text == ",":
            self._advance()
            values.append(self._value(name))
        self._expect_punct(")")
        return _flatten(values)

    def _value(self, name: str) -> Any:
        token = self._advance()
        if token.kind == "string":
            return self._literal(name, token.text)
        if token.kind != "word" or token.keyword in KEYWORDS - {"empty", "null"}:
            self._fail("a value", token)
        if token.keyword in ("empty", "null") and name not in TEXT_FIELDS:
            return EMPTY
        if self._peek().kind == "punct" and self._peek().text == "(":
            return self._function(name, token)
        return self._literal(name, token.text)

    def _literal(self, name: str, text: str) -> Any:
        if name in DATE_FIELDS:
            try:
                self.reads_clock = self.reads_clock or relative_offset(text) is not None
                return parse_moment(text, self.context.now)
            except (ValueError, OverflowError):  # not a date, or an offset beyond the calendar
                raise JqlError(
                    f"Date value '{text}' for field '{name}' is invalid. Valid formats include: "
                    f"'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
                    f"format e.g. '-5d', '4w 2d'."
                ) from None
        return text

    def _function(self, name: str, token: Token) -> Any:
        self._expect_punct("(")
        argument = None
        if not (self._peek().kind == "punct" and self._peek().text == ")"):
            argument = self._advance().text
        self._expect_punct(")")
        function = token.text.lower()
        if function == "currentuser" and name in ("assignee", "reporter"):
            return frozenset(self.context.current_user)
        offset = timedelta()
        if argument is not None:
            try:
                offset = parse_moment(argument, self.context.now) - self.context.now
            except (ValueError, OverflowError):
                raise JqlError(f"Invalid argument '{argument}' for function '{token.text}'.") from None
        now = self.context.now
        moments = {
            "now": now,
            "startofday": start_of_day(now),
            "endofday": start_of_day(now) + timedelta(days=1, milliseconds=-1),
        }
        if function not in moments or name not in DATE_FIELDS:
            raise JqlError(f"Unable to find JQL function '{token.text}()'.")
        self.reads_clock = True
        return moments[function] + offset

    # -------------------------------------------------------------- tokens

    def _peek(self) -> Token:
        return self.tokens[self.index]

    def _advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind != "end":
            self.index += 1
        return token

    def _at_end(self) -> bool:
        return self._peek().kind == "end"

    def _expect_punct(self, text: str) -> None:
        token = self._advance()
        if token.kind != "punct" or token.text != text:
            self._fail(f"'{text}'", token)

    def _fail(self, expected: str, token: Token | None = None) -> None:
        token = token or self._peek()
        got = "end of query" if token.kind == "end" else f"'{token.text}'"
        raise JqlError(
            f"Error in the JQL Query: Expecting {expected} but got {got}. (line 1, character {token.position})"
        )


def _joined(parts: list[Predicate], every: bool) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    return (lambda facts: all(p(facts) for p in parts)) if every else (lambda facts: any(p(facts) for p in parts))


def _among(name: str, wants_empty: bool, positive: bool, holds: Callable[[Any], bool]) -> Predicate:
    """A filled field matches when ``holds`` it (``positive``) or when it does not; an empty field
    only when EMPTY is asked for (``= EMPTY``, ``IN (EMPTY, …)``): ``!= x`` and ``NOT IN`` never match it."""

    def check(facts: Facts) -> bool:
        value = facts.get(name)
        if _is_empty(value):
            return positive and wants_empty
        return holds(value) == positive

    return check


def _flatten(values: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for value in values:
        flat.extend(value if isinstance(value, (set, frozenset)) else [value])
    return flat


def _lowered(values: list[Any]) -> set[str]:
    return {str(v).lower() for v in values}


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, (set, frozenset, list)) and not value)


def _intersects(value: Any, wanted: set[str]) -> bool:
    if value is None:
        return False
    have = value if isinstance(value, (set, frozenset)) else {str(value).lower()}
    return not have.isdisjoint(wanted)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {  # datetimes, or numbers
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def _date_clause(name: str, operator: str, value: Any, label: str, negated: bool) -> Predicate:
    if value is EMPTY and operator in ("=", "!="):
        return _among(name, True, (operator in POSITIVE) != negated, lambda moment: False)
    if operator not in _COMPARE or not isinstance(value, datetime):
        raise JqlError(f"The operator '{operator}' is not supported by the '{label}' field.")
    compare = _COMPARE[NEGATED[operator] if negated else operator]
    return lambda facts: facts.get(name) is not None and compare(facts[name], value)


_NUMBER_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "not in")


def _number(value: Any, label: str) -> Any:
    """A JQL operand of a number field: EMPTY, or the number the text spells."""
    if value is EMPTY:
        return EMPTY
    try:
        return float(str(value))
    except ValueError:
        raise JqlError(f"The value '{value}' is not a valid number for the field '{label}'.") from None


def _number_clause(name: str, operator: str, values: list[Any], negated: bool) -> Predicate:
    """``=`` / ``IN`` (and their negations) hold the field among the numbers; ``<`` … compare with the
    one number. An empty field matches only a positive clause whose values hold EMPTY."""
    numbers = [value for value in values if value is not EMPTY]
    if operator in ("=", "!=", "in", "not in"):
        return _among(name, EMPTY in values, (operator in POSITIVE) != negated, lambda value: value in numbers)
    if not numbers or len(values) != 1:
        raise JqlError(f"The operator '{operator}' needs one number, got {len(values)} value(s).")
    compare, bound = _COMPARE[NEGATED[operator] if negated else operator], numbers[0]
    return lambda facts: facts.get(name) is not None and compare(facts[name], bound)


def _text_clause(name: str, operator: str, value: Any, label: str, negated: bool) -> Predicate:
    if operator not in ("~", "!~"):
        raise JqlError(f"The operator '{operator}' is not supported by the '{label}' field.")
    needle = str(value).lower().strip("*")
    return _among(name, False, (operator in POSITIVE) != negated, lambda text: needle in text)

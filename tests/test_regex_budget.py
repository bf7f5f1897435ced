"""Every regular expression of the product answers in time linear in its input.

A pattern with nested repetition (``(\\d+\\s*)+``) or with overlapping neighbours (``\\s*\\(?\\s*``)
backtracks: a JQL period of 26 digits followed by a letter took 12 s. Each pattern is listed here
with the way the product uses it; generated adversarial strings (a head, a pumped motif, a tail; 5,000
characters) must each be answered within ``BUDGET_SECONDS``. A pattern added to the product without
being listed here fails ``test_every_product_regex_is_listed``. The patterns that were rewritten are
checked against their former spelling on short strings: same answers."""

from __future__ import annotations

import ast
import importlib
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark.exceptions import UnexpectedInput

from jql.dates import Period, _unit, parse_period
from jql.grammar import jql_parser
from jql.parser import _LAST_TOKEN, LAST_TOKEN_WINDOW, parse_jql
from jql.query import JqlError
from mapping.lint import _DONE_FILTER
from okr.problems.model import _KEY
from okrsync.cli import main
from publish.confluence.regions import MACRO_TAG, find_regions

ROOT = Path(__file__).resolve().parents[1]
PRODUCT_PACKAGES = ("jql", "okr", "publish", "mapping", "webhooks", "sync", "connector", "okrsync", "emulator")
LONGEST = 5_000
BUDGET_SECONDS = 0.050  # one use of one pattern on LONGEST characters
LEXER_BUDGET_SECONDS = 0.250  # the JQL lexer on LONGEST characters (5,000 one-character tokens: 35 ms)
HARD_LIMIT_SECONDS = 1.0  # a use still running then is stopped (the regex engine checks for signals)


class Overrun(Exception):
    """A use of a pattern still running at its hard limit."""


@contextmanager
def at_most(limit: float) -> Iterator[None]:
    """Raise ``Overrun`` in the block after ``limit`` seconds, so that backtracking fails the test
    instead of hanging it (POSIX, main thread; elsewhere without a limit)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise Overrun(f"still running after {limit} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


Use = Callable[[re.Pattern[str], str], Any]


def match(pattern: re.Pattern[str], text: str) -> Any:
    return pattern.match(text)


def search(pattern: re.Pattern[str], text: str) -> Any:
    return pattern.search(text)


def fullmatch(pattern: re.Pattern[str], text: str) -> Any:
    return pattern.fullmatch(text)


def findall(pattern: re.Pattern[str], text: str) -> Any:
    return pattern.findall(text)


def sub(pattern: re.Pattern[str], text: str) -> Any:
    return pattern.sub("", text)


def tags_up_to_the_last_gt(pattern: re.Pattern[str], text: str) -> Any:
    """As ``publish.confluence.regions.find_regions`` reads macro tags."""
    return list(pattern.finditer(text, 0, text.rfind(">") + 1))


def search_before_an_error(pattern: re.Pattern[str], text: str) -> Any:
    """As ``jql.parser.unexpected_token_message`` looks for the last token: in the window before it."""
    return pattern.search(text[-LAST_TOKEN_WINDOW:])


def fullmatch_of_an_event_name(pattern: re.Pattern[str], text: str) -> Any:
    """As ``okrsync.counters`` checks an unknown event name: its first 64 characters."""
    return pattern.fullmatch(text[:64])


def search_in_request_head(pattern: Any, text: str) -> Any:
    """As ``okrsync.gunicorn_app`` reads the buffered request head (bytes)."""
    return pattern.search(text.encode("utf-8", "replace"))


def tokens(pattern: re.Pattern[str], text: str) -> Any:
    """As ``emulator.search.tokenize`` reads tokens: one match at each position until one fails."""
    position = 0
    while position < len(text) and (found := pattern.match(text, position)) and found.end() > position:
        position = found.end()
    return position


# Each compiled pattern of the product ("module:NAME") with the ways the product uses it.
COMPILED: dict[str, tuple[Use, ...]] = {
    "publish.confluence.templates:NOT_XML": (sub,),
    "publish.confluence.regions:MACRO_TAG": (tags_up_to_the_last_gt,),
    "publish.confluence.regions:PARAMETER": (match,),
    "jql.parser:_ESCAPE": (sub,),
    "jql.parser:_LAST_TOKEN": (search_before_an_error,),
    "okr.problems.model:_KEY": (match,),
    "jql.formatting:_BARE": (fullmatch,),
    "jql.validate:ISSUE_KEY": (match,),
    "mapping.models:CLOSE_AFTER": (match,),
    "jql.validate:PROJECT_KEY": (match,),
    "jql.dates:_DATE_LITERAL": (match,),
    "jql.text:_WORD": (findall,),
    "jql.text:_QUERY_PART": (findall,),
    "mapping.lint:_DONE_FILTER": (search,),
    "mapping.models:DAYS": (match,),
    "mapping.warehouse:CONNECTION_NAME": (match,),
    "mapping.warehouse:SQL_DURATION": (match,),
    "okrsync.admin.routing:PATH_PARAMETER": (findall, sub),
    "emulator.search:_TOKEN": (tokens,),
    "emulator.timefmt:_RELATIVE": (match,),
    "emulator.server_info:_VERSION": (match,),
    "emulator.app:WEBHOOK_API": (match,),
    "emulator.viewer:SAFE_HREF": (match,),
    "emulator.wiki_markup:HEADING": (match,),
    "emulator.wiki_markup:LIST_ITEM": (match,),
    "emulator.wiki_markup:BLOCK_MACRO": (match,),
    "emulator.wiki_markup:COLOR": (sub,),
    "emulator.wiki_markup:MONOSPACE": (sub,),
    "emulator.wiki_markup:LINK": (sub,),
    "emulator.wiki_markup:BARE_URL": (sub,),
    "emulator.wiki_markup:PLACEHOLDER": (sub,),
    "emulator.wiki_markup:STRONG": (sub,),
    "emulator.wiki_markup:EMPHASIS": (sub,),
    "emulator.wiki_markup:DELETED": (sub,),
    "emulator.wiki_markup:INSERTED": (sub,),
    "emulator.wiki_markup:SUPERSCRIPT": (sub,),
    "emulator.wiki_markup:SUBSCRIPT": (sub,),
    "emulator.wiki_markup:CITATION": (sub,),
    "okrsync.counters:EVENT_NAME": (fullmatch_of_an_event_name,),
    "okrsync.gunicorn_app:_CONTENT_LENGTH": (search_in_request_head,),
    "okrsync.gunicorn_app:_CHUNKED": (search_in_request_head,),
    "okrsync.gunicorn_app:_EXPECT_CONTINUE": (search_in_request_head,),
}
# Patterns written in the call (``re.sub(r"\D", "", text)``): (file, pattern) → the ways they are used.
INLINE: dict[tuple[str, str], tuple[Use, ...]] = {
    ("jql/parser.py", r"\D"): (sub,),
    ("mapping/versions.py", r"\s+"): (sub,),
    ("emulator/search.py", r"\\(.)"): (sub,),
    ("emulator/timefmt.py", r"([+-]\d\d)(\d\d)$"): (sub,),
    ("emulator/confluence_api.py", r"[^A-Za-z0-9]+"): (sub,),
    ("emulator/viewer.py", r"&([A-Za-z][A-Za-z0-9]*);"): (sub,),
    ("emulator/app.py", r"<(?:[^>]*:)?(\w+)>"): (sub,),
}
PATTERN_FUNCTIONS = frozenset(
    ("compile", "match", "search", "fullmatch", "findall", "finditer", "sub", "subn", "split")
)


def compiled_pattern(name: str) -> re.Pattern[str]:
    module, attribute = name.split(":")
    found = getattr(importlib.import_module(module), attribute)
    assert isinstance(found, re.Pattern), f"{name} is not a compiled pattern"
    return found


def every_use() -> list[tuple[str, re.Pattern[str], Use]]:
    """(label, pattern, use) for every listed pattern and use."""
    uses = [(name, compiled_pattern(name), use) for name, ways in COMPILED.items() for use in ways]
    uses += [(f"{path}:{text}", re.compile(text), use) for (path, text), ways in INLINE.items() for use in ways]
    return uses


EVERY_USE = every_use()


# --- the list is complete ----------------------------------------------------------------------------


def product_files() -> list[Path]:
    return sorted(path for package in PRODUCT_PACKAGES for path in (ROOT / package).rglob("*.py"))


def pattern_calls(tree: ast.AST) -> list[ast.Call]:
    """Calls ``re.<function>(…)`` in a module."""
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "re"
        and node.func.attr in PATTERN_FUNCTIONS
    ]


@lru_cache(maxsize=1)
def patterns_in_source() -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
    """The compiled patterns ("module:NAME", or "module:line N" when not kept in a module name) and
    the inline patterns ((file, pattern text), or (file, "line N") when not a literal) of the product."""
    compiled: set[str] = set()
    inline: set[tuple[str, str]] = set()
    for path in product_files():
        relative = path.relative_to(ROOT)
        module = ".".join(relative.with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        named = {
            id(node.value): target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for call in pattern_calls(tree):
            if call.func.attr == "compile":  # type: ignore[attr-defined]
                compiled.add(f"{module}:{named.get(id(call), f'line {call.lineno}')}")
            elif call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
                inline.add((relative.as_posix(), call.args[0].value))
            else:
                inline.add((relative.as_posix(), f"line {call.lineno}"))
    return frozenset(compiled), frozenset(inline)


def test_every_product_regex_is_listed() -> None:
    compiled, inline = patterns_in_source()
    unlisted = sorted(compiled - set(COMPILED)) + [f"{path}: {text!r}" for path, text in sorted(inline - set(INLINE))]
    assert not unlisted, (
        f"regular expressions not checked for backtracking: {unlisted}; add each to COMPILED (a module-level "
        "name, with how the product uses it) or INLINE in tests/test_regex_budget.py"
    )
    gone = sorted(set(COMPILED) - compiled) + [f"{path}: {text!r}" for path, text in sorted(set(INLINE) - inline)]
    assert not gone, f"listed in tests/test_regex_budget.py but no longer in the product: {gone}; remove them"


def test_the_source_scan_sees_every_re_compile() -> None:
    compiled, _ = patterns_in_source()
    written = sum(path.read_text(encoding="utf-8").count("re.compile(") for path in product_files())
    assert written == len(compiled), "a re.compile( the scan does not see as a call: list it by hand"


# --- adversarial strings ------------------------------------------------------------------------------

PIECES = [
    "1",
    "123456789",
    "0",
    "٣",
    " ",
    "   ",
    "\t",
    "\n",
    "\u00a0",
    "d",
    "D",
    "w",
    "M",
    "m",
    "h",
    "y",
    "x",
    "Z",
    "_",
    "-",
    "+",
    "/",
    ":",
    ".",
    "=",
    "!",
    "~",
    "<",
    ">",
    "(",
    ")",
    ",",
    '"',
    "'",
    "\\",
    "&",
    ";",
    "@",
    "[",
    "]",
    "status",
    " = ",
    "in",
    "done",
    "resolution is not empty",
    "resolved",
    "<ac:structured-macro ",
    "<ac:parameter ac:name='id'>",
    "</ac:parameter>",
    "ac:",
    "cf[",
    "-1d",
    "2026-10-01",
    " 10:00",
    "SHOP-",
    "AND ",
    "OR ",
    "EMPTY",
    "now()",
    "/rest/api/",
    "webhooks",
    "<a:b>",
    "&amp",
    "1.2.",
    "*",
    "?",
    "^",
    "|",
    "{",
    "}",
    "\x00",
    "https://",
]
motifs = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)
ends = st.sampled_from(["", *PIECES])


def pumped(head: str, motif: str, tail: str, longest: int = LONGEST) -> str:
    """``head`` + ``motif`` repeated + ``tail``, ``longest`` characters in all."""
    room = max(longest - len(head) - len(tail), 0)
    return head + (motif * (room // len(motif) + 1))[:room] + tail


adversarial = st.builds(pumped, ends, motifs, ends)

KNOWN_HARD = [  # the strings that made the former patterns backtrack, and their cousins
    pumped("", '"\\', ""),
    pumped("-", "1", "x"),
    pumped("-", "1 ", "x"),
    pumped("", "1d", "dd"),
    pumped("", "a", " = x "),
    pumped("status =", " ", "x"),
    pumped("statusCategory in", " ", " ("),
    pumped("", "1", "x"),
    pumped("A", "1", "-"),
    pumped("", "<ac:structured-macro ", ""),
    pumped("<ac:parameter ac:name='", "x", ""),
    pumped("", " ", "x"),
    pumped("", '"', ""),
    pumped("", "\\", ""),
    pumped("", "'a", ""),
    pumped("", "&a", ""),
    pumped("<", "a:", ""),
    pumped("", "+11", "1"),
    pumped("/rest/api/", "a", "/webhooks?"),
    pumped("", "1.", "x"),
]


def best_time(action: Callable[[], Any], budget: float) -> float:
    """The time ``action`` takes; measured again (best of three) when over ``budget``, so that a busy
    machine does not fail the test; infinite when it is still running at the hard limit."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        try:
            with at_most(HARD_LIMIT_SECONDS):
                action()
        except Overrun:
            return float("inf")
        best = min(best, time.perf_counter() - started)
        if best <= budget:
            break
    return best


def seconds(use: Use, pattern: re.Pattern[str], text: str) -> float:
    return best_time(lambda: use(pattern, text), BUDGET_SECONDS)


def over_budget(text: str) -> list[str]:
    return [
        f"{label} ({use.__name__}): {elapsed * 1000:.0f} ms"
        for label, pattern, use in EVERY_USE
        if (elapsed := seconds(use, pattern, text)) > BUDGET_SECONDS
    ]


@pytest.mark.parametrize("text", KNOWN_HARD, ids=lambda text: repr(text[:12] + "…" + text[-6:]))
def test_known_hard_strings_are_answered_within_budget(text: str) -> None:
    assert not over_budget(text), f"over {BUDGET_SECONDS * 1000:.0f} ms on {len(text)} characters"


@settings(max_examples=60, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(adversarial)
def test_generated_strings_are_answered_within_budget(text: str) -> None:
    assert not over_budget(text), f"over {BUDGET_SECONDS * 1000:.0f} ms on {len(text)} characters"


@settings(max_examples=60, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(adversarial)
def test_the_jql_lexer_and_periods_answer_within_budget(text: str) -> None:
    """The JQL grammar's terminals (lark compiles them into regular expressions; lark makes a token
    object per token, some microseconds each) and periods."""

    def lex_and_read_period() -> None:
        try:
            list(jql_parser().lex(text))
        except UnexpectedInput:
            pass
        parse_period.__wrapped__(text)

    assert best_time(lex_and_read_period, LEXER_BUDGET_SECONDS) <= LEXER_BUDGET_SECONDS


@pytest.mark.parametrize(
    "text",
    [
        pumped("created >= -", "1", "x"),
        pumped("", "a", " = x y"),
        pumped("created >= -", "1", ""),
        pumped("cf[", "1", "] = 1"),
        pumped('summary ~ "', 'a\\"', '"'),
    ],
)
def test_parsing_long_jql_answers_quickly_with_a_message_or_a_query(text: str) -> None:
    started = time.perf_counter()
    with at_most(2 * HARD_LIMIT_SECONDS):
        try:
            parse_jql(text)
        except JqlError as exc:
            assert str(exc)
    assert time.perf_counter() - started < 0.5


# --- the rewritten patterns answer as they did --------------------------------------------------------

FORMER_PERIOD = re.compile(r"^\s*([+-])?\s*((?:\d+\s*[yYMwWdDhHm]?\s*)+)$")
FORMER_PERIOD_PART = re.compile(r"(\d+)\s*([yYMwWdDhHm]?)")
FORMER_LAST_TOKEN = re.compile(r"""(!=|!~|>=|<=|[=~<>(),]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s=!~<>(),"']+)\s*$""")
FORMER_KEY = re.compile(r"^(.*?)-?(\d+)$")
FORMER_DONE_FILTER = re.compile(
    r"status(category)?\s*(=|in)\s*\(?\s*\"?(done|closed|resolved|完成)|resolution\s+is\s+not\s+empty|resolved\s*(>|<|=)",
    re.IGNORECASE,
)
SHORT = 12


def former_period(text: str, default_unit: str) -> Period | None:
    found = FORMER_PERIOD.match(text)
    if not found:
        return None
    sign = -1 if found.group(1) == "-" else 1
    return Period(
        tuple(
            (sign * int(amount), _unit(unit, default_unit))
            for amount, unit in FORMER_PERIOD_PART.findall(found.group(2))
        )
    )


def short_texts(alphabet: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(alphabet), max_size=SHORT).map("".join)


def spans(found: re.Match[str] | None) -> Any:
    return None if found is None else (found.span(), found.groups())


@settings(max_examples=300, deadline=None)
@given(short_texts(list("0123456789٣ \t\n\u00a0yYMwWdDhHmx+-")), st.sampled_from(["m", "d", "w", "M", "y"]))
def test_periods_are_read_as_before(text: str, default_unit: str) -> None:
    assert parse_period.__wrapped__(text, default_unit) == former_period(text, default_unit)


@settings(max_examples=300, deadline=None)
@given(short_texts(list("ab1 \t\n=!~<>(),\"'\\") + ["!=", ">=", '\\"']))
def test_the_last_token_is_found_as_before(text: str) -> None:
    assert spans(_LAST_TOKEN.search(text)) == spans(FORMER_LAST_TOKEN.search(text))


@settings(max_examples=300, deadline=None)
@given(short_texts(list("AB1290-_\n x")))
def test_issue_keys_are_split_as_before(key: str) -> None:
    assert spans(_KEY.match(key)) == spans(FORMER_KEY.match(key))


@settings(max_examples=300, deadline=None)
@given(
    short_texts(
        [
            "status",
            "Category",
            "category",
            " ",
            "\t",
            "=",
            "in",
            "(",
            '"',
            "Done",
            "closed",
            "完成",
            "x",
            "resolved",
            ">",
            "resolution is not empty",
            "resolution  is not",
        ]
    )
)
def test_done_filters_are_recognised_as_before(jql: str) -> None:
    assert spans(_DONE_FILTER.search(jql)) == spans(FORMER_DONE_FILTER.search(jql))


@settings(max_examples=300, deadline=None)
@given(
    short_texts(
        [
            "<ac:structured-macro",
            "</ac:structured-macro",
            "<ac:structured-macroX",
            ">",
            "/>",
            "/",
            " ",
            "x",
            "<",
            'a="1"',
            '<ac:parameter ac:name="id">okrsync-a</ac:parameter>',
        ]
    )
)
def test_macro_tags_are_found_as_before(body: str) -> None:
    limited = [spans(tag) for tag in MACRO_TAG.finditer(body, 0, body.rfind(">") + 1)]
    assert limited == [spans(tag) for tag in MACRO_TAG.finditer(body)]
    find_regions(body)


# --- okrsync validate on a period of 30 digits ----------------------------------------------------------

CONFIG = """\
cycles: [{{id: Q4, start: "2026-10-01", end: "2026-12-31"}}]
metrics:
  recent: {{description: issues created lately, jql: {jql}}}
okr_sets:
  - id: s
    name: S
    cycle: Q4
    objectives:
      - id: O1
        title: Fewer incidents
        key_results:
          - {{id: KR1, title: Fewer new incidents, metric: recent, baseline: 10, target: 2}}
          - {{id: KR2, title: Fewer of them again, metric: recent, baseline: 8, target: 1}}
"""
THIRTY = "1" * 30


@pytest.mark.parametrize(
    ("jql", "exit_code", "message"),
    [
        (f"'project = OPS AND created >= -{THIRTY}'", 0, "valid (1 OKR set(s)"),
        (
            f"'project = OPS AND created >= -{THIRTY}x'",
            1,
            f"'-{THIRTY}x' at column 30 is not a date for the field 'created'",
        ),
        (f"'project = OPS AND created >= \"-{THIRTY} {THIRTY}dd\"'", 1, "is not a date for the field 'created'"),
        (f"'project = OPS AND created >= startOfDay(-{THIRTY}x)'", 1, "expected an offset such as -1"),
    ],
)
def test_validate_answers_a_thirty_digit_period_at_once(tmp_path: Path, jql: str, exit_code: int, message: str) -> None:
    path = tmp_path / "okrs.yaml"
    path.write_text(CONFIG.format(jql=jql))
    started = time.perf_counter()
    with at_most(5.0):
        result = CliRunner().invoke(main, ["validate", str(path)])
    assert time.perf_counter() - started < 2.0
    assert result.exit_code == exit_code, result.output
    assert message in result.output and "Traceback" not in result.output

"""The lark grammar of JQL as users write it.

It accepts more than the local subset (WAS / CHANGED with their predicates, any function, any field)
so that valid-looking JQL outside the subset is recognised as such and routed to remote evaluation,
while text that is not JQL at all is reported as an error with its position. Keywords, field names
and function names are case-insensitive; keywords only count as keywords when they stand alone
(``android`` is a word, ``and`` is a keyword)."""

from __future__ import annotations

from functools import lru_cache

from lark import Lark

_WORD_CHARS = r"\w.@:\/+*#$%^?;\-"
_ALONE = rf"(?![{_WORD_CHARS}])"

GRAMMAR = rf"""
start: expr? order_by?

?expr: disjunction
?disjunction: conjunction (_OR conjunction)*
?conjunction: negation (_AND negation)*
?negation: NOT negation                    -> negation
         | "(" expr ")"
         | clause

clause: field OPERATOR operand             -> compare
      | field IS NOT? EMPTY                -> emptiness
      | field NOT? IN in_operand           -> membership
      | field WAS NOT? IN? history_operand predicate*   -> history
      | field CHANGED predicate*           -> history

field: WORD | STRING | CF

operand: WORD | STRING | EMPTY | call
call: FUNCTION "(" [argument ("," argument)*] ")"
argument: WORD | STRING
in_operand: list | call
list: "(" operand ("," operand)* ")"
history_operand: operand | list
predicate: PREDICATE history_operand

order_by: ORDER_BY order_key ("," order_key)*
order_key: field DIRECTION?

_OR.3: /(or{_ALONE}|\|\|?)/i
_AND.3: /(and{_ALONE}|&&?)/i
NOT.3: /(not{_ALONE}|!(?![=~]))/i
IS.3: /is{_ALONE}/i
IN.3: /in{_ALONE}/i
EMPTY.3: /(empty|null){_ALONE}/i
WAS.3: /was{_ALONE}/i
CHANGED.3: /changed{_ALONE}/i
PREDICATE.3: /(after|before|by|during|on|from|to){_ALONE}/i
ORDER_BY.3: /order\s+by{_ALONE}/i
DIRECTION.3: /(asc|desc){_ALONE}/i
FUNCTION.4: /(?!(?i:in|not|and|or|during|after|before|on|by|from|to)\s*\()[A-Za-z_][A-Za-z0-9_]*(?=\s*\()/
CF.4: /cf\s*\[\s*\d+\s*\]/i
OPERATOR: /!=|!~|>=|<=|=|~|>|</
STRING: /"(?:[^"\\]|\\.)*"/s | /'(?:[^'\\]|\\.)*'/s
WORD.1: /(?!(?i:and|or|not|in|is|order|was|changed){_ALONE})[{_WORD_CHARS}]+/

%import common.WS
%ignore WS
"""


@lru_cache(maxsize=1)
def jql_parser() -> Lark:
    """The LALR parser (built once; lark parsers are safe to share)."""
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=False, maybe_placeholders=True)

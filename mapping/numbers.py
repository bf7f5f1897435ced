"""The numbers the configuration, the admin API and pushed measurements accept: finite and bounded.

One bound for every one of them (baselines, targets, weights, health bands, impacts, thresholds,
pushed values): ``|x| ≤ NUMBER_LIMIT``. No OKR measures beyond it, and sums and differences of such
numbers stay finite and exact enough to print.

Number literals too large to be read as such a number are never converted (Python refuses ``int()``
beyond 4300 digits, and converting is slow well before that; ``1e400`` would become an infinity): the
YAML and JSON readers keep them as an :class:`OutOfRangeLiteral`, which every field refuses with a
message that shows what was written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

NUMBER_LIMIT = 1e15
EXPECTED_NUMBER = "a finite number from -1e15 to 1e15"
LONG_INTEGER_DIGITS = 20  # an integer literal with more digits is kept as an OutOfRangeLiteral


@dataclass(frozen=True)
class OutOfRangeLiteral:
    """A number literal too large to be any number of the configuration, kept as what was written."""

    written: str  # "1e400", "an integer of 5000 digits"

    def __repr__(self) -> str:
        return self.written


def integer_literal(text: str) -> int | OutOfRangeLiteral:
    """A decimal integer literal (``-12``, ``+7``) as an int, or an OutOfRangeLiteral when it is too long."""
    sign = text[:1] in ("-", "+")
    digits = len(text) - sign
    if digits > LONG_INTEGER_DIGITS:
        return OutOfRangeLiteral(f"{'a negative' if text.startswith('-') else 'an'} integer of {digits} digits")
    return int(text)


def float_literal(text: str) -> float | OutOfRangeLiteral:
    """A float literal, or an OutOfRangeLiteral when it lies beyond a double's range (``1e400``)."""
    value = float(text)
    if math.isinf(value):
        return OutOfRangeLiteral(text if len(text) <= 40 else f"a number of {len(text)} characters")
    return value


def is_bounded(value: float) -> bool:
    return math.isfinite(value) and abs(value) <= NUMBER_LIMIT


def _number_input(value: object) -> object:
    """Before float parsing: refuse what would otherwise be read as a number by accident or overflow."""
    if isinstance(value, (bool, OutOfRangeLiteral)):
        raise ValueError(f"{EXPECTED_NUMBER} is required")
    if isinstance(value, int) and abs(value) > NUMBER_LIMIT:
        raise ValueError(f"{EXPECTED_NUMBER} is required")
    return value


def _bounded(value: float) -> float:
    if not is_bounded(value):
        raise ValueError(f"{EXPECTED_NUMBER} is required")
    return value


Number = Annotated[
    float,
    BeforeValidator(_number_input),
    AfterValidator(_bounded),
    Field(json_schema_extra={"minimum": -NUMBER_LIMIT, "maximum": NUMBER_LIMIT}),
]
"""A float field of the configuration or the API: finite, within ±NUMBER_LIMIT, never true/false."""

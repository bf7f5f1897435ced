"""Every number formatter of the Confluence pages and the admin views renders any float (huge, tiny,
negative, subnormal, infinite, NaN from old data) as text, never raising and never printing Python's
'nan' or 'inf'; a whole page renders whatever its KRs hold."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from okr.report import SetReport
from okrsync.admin import views
from publish.confluence import formatting as fmt
from publish.confluence import review_page as pages_review
from publish.confluence.okr_page import okr_set_page
from tests.publish.sample import context, evaluated

EXTREMES = [
    math.inf,
    -math.inf,
    math.nan,
    1e308,
    -1e308,
    1.7976931348623157e308,
    5e-324,
    -5e-324,
    2.2e-308,
    0.0,
    -0.0,
    1e15,
    -1e15,
    0.005,
    -0.005,
    0.995,
    1e-7,
]
any_float = st.one_of(st.floats(), st.sampled_from(EXTREMES))
maybe_float = st.one_of(st.none(), any_float)

SINGLE: list[tuple[str, Callable[[Any], str]]] = [
    ("pages.number", fmt.number),
    ("pages.with_unit %", lambda v: fmt.with_unit(v, "%")),
    ("pages.with_unit h", lambda v: fmt.with_unit(v, "h")),
    ("pages.score_text", fmt.score_text),
    ("pages.percent", fmt.percent),
    ("pages.progress_bar", fmt.progress_bar),
    ("review.rate", lambda v: pages_review._rate(v if v is not None else 0.0)),
    ("admin.number", views.number),
    ("admin.percent", views.percent),
    ("admin.bar_width", lambda v: str(views.bar_width(v))),
]
SERIES: list[tuple[str, Callable[[list[float]], str]]] = [
    ("pages.sparkline", fmt.sparkline),
    ("pages.trend_text", lambda vs: fmt.trend_text(vs, "%")),
    ("admin.sparkline", lambda vs: views.sparkline([{"value": v} for v in vs])),
]


PYTHON_SPELLING = re.compile(r"\b(nan|inf|infinity)\b", re.IGNORECASE)


def readable(text: str) -> bool:
    """No Python float spelling leaked onto the page."""
    lowered = text.lower()
    return "nan" not in lowered and "inf" not in lowered and "\n" not in text


@pytest.mark.parametrize("name, formatter", SINGLE, ids=[n for n, _ in SINGLE])
@settings(max_examples=300, deadline=None)
@given(value=maybe_float)
def test_single_value_formatters_render_any_float(
    name: str, formatter: Callable[[Any], str], value: float | None
) -> None:
    text = formatter(value)
    assert isinstance(text, str) and readable(text), (name, value, text)


@pytest.mark.parametrize("name, formatter", SERIES, ids=[n for n, _ in SERIES])
@settings(max_examples=300, deadline=None)
@given(values=st.lists(any_float, max_size=14))
def test_series_formatters_render_any_floats(
    name: str, formatter: Callable[[list[float]], str], values: list[float]
) -> None:
    text = formatter(values)
    assert isinstance(text, str) and readable(text), (name, values, text)


@settings(max_examples=300, deadline=None)
@given(value=any_float)
def test_the_bar_width_is_a_percentage_and_nan_fills_nothing(value: float) -> None:
    width = views.bar_width(value)
    assert 0 <= width <= 100
    if math.isnan(value):
        assert width == 0


def test_infinities_and_nan_read_as_such() -> None:
    assert fmt.number(math.inf) == "∞" and fmt.number(-math.inf) == "-∞" and fmt.number(math.nan) == "—"
    assert fmt.percent(math.inf) == "∞%" and fmt.percent(1e308) == "∞%" and fmt.percent(math.nan) == "—"
    assert fmt.progress_bar(math.nan) == "—" and fmt.progress_bar(math.inf) == "█" * 10 + " ∞%"
    assert views.number(math.inf) == "∞" and views.percent(-math.inf) == "-∞%"
    assert fmt.sparkline([1e308, -1e308, 0.0]) == "█▁▅" and fmt.sparkline([math.nan, 1.0, 2.0]) == " ▁█"


def test_finite_values_read_as_before() -> None:
    assert [fmt.number(v) for v in (0.125, -0.0, 40.0, 1e15, 12.345)] == ["0.12", "0", "40", "1e+15", "12.35"]
    assert [fmt.percent(v) for v in (0.5, -0.004, 1.25)] == ["50%", "0%", "125%"]
    assert fmt.progress_bar(0.7) == "███████░░░ 70%"
    assert fmt.sparkline([20.0, 25.0, 30.0]) == "▁▅█"


def _with_every_float(value: Any, replacement: float) -> Any:
    if isinstance(value, float):
        return replacement
    if isinstance(value, dict):
        return {k: _with_every_float(v, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_every_float(v, replacement) for v in value]
    return value


@settings(max_examples=60, deadline=None)
@given(value=any_float, trend=st.lists(any_float, max_size=10))
def test_an_okr_set_page_renders_whatever_its_krs_hold(value: float, trend: list[float]) -> None:
    cfg, _, report = evaluated()
    result = _with_every_float(report["okr_sets"][0], value)
    page = okr_set_page(cfg, cfg.okr_sets[0], SetReport.from_dict(result), context(trends={"O1.KR1": trend}))
    for _, markup in page.regions:
        ElementTree.fromstring(f'<r xmlns:ac="a" xmlns:ri="r">{markup}</r>')
        assert not PYTHON_SPELLING.search(markup), markup


@pytest.mark.parametrize(
    ("value", "unit", "said"),
    [
        (1, "incidents", "1 incident"),
        (1.0, "hours", "1 hour"),
        (2, "incidents", "2 incidents"),
        (0, "incidents", "0 incidents"),
        (1, "ms", "1 ms"),
        (1, "status", "1 status"),
        (1, "Points", "1 Points"),
        (1, "%", "1%"),
        (1, "bug", "1 bug"),
    ],
)
def test_a_plural_unit_reads_in_the_singular_for_exactly_one(value: float, unit: str, said: str) -> None:
    assert fmt.with_unit(value, unit) == said

"""Numbers in okrs.yaml: finite and within ±1e15, or one line naming the path, the value and what is
expected (never a traceback, never an infinity or a NaN in the configuration)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from mapping.errors import ConfigError
from mapping.loader import load_config_document, load_config_text, read_yaml
from mapping.numbers import NUMBER_LIMIT
from okrsync.cli import main
from tests.mapping.test_config import _minimal

EXPECTED = "a finite number from -1e15 to 1e15 is required"
KR = "okr_sets[0].objectives[0].key_results[0]"


def _yaml_with(field: str, literal: str) -> str:
    document = _minimal()
    text = yaml.safe_dump(document, sort_keys=False)
    return text.replace(f"{field}: 6\n", f"{field}: {literal}\n", 1)


def _problems_of_text(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load_config_text(text, "okrs.yaml")
    return [str(p) for p in raised.value.problems]


@pytest.mark.parametrize(
    "literal, shown",
    [
        (".inf", "inf"),
        ("-.inf", "-inf"),
        (".nan", "nan"),
        ("1e400", "'1e400'"),
        ("1.0e+400", "1.0e+400"),
        ("1e16", "'1e16'"),
        ("-2000000000000000", "-2000000000000000"),
        ("true", "True"),
    ],
)
def test_a_number_out_of_range_names_path_value_and_bound(literal: str, shown: str) -> None:
    assert _problems_of_text(_yaml_with("baseline", literal)) == [f"{KR}.baseline: {EXPECTED} (got {shown})"]


def test_a_5000_digit_integer_is_one_problem_not_a_crash() -> None:
    problems = _problems_of_text(_yaml_with("baseline", "9" * 5000))
    assert problems == [f"{KR}.baseline: {EXPECTED} (got an integer of 5000 digits)"]
    negative = _problems_of_text(_yaml_with("baseline", "-" + "9" * 5000))
    assert negative == [f"{KR}.baseline: {EXPECTED} (got a negative integer of 5000 digits)"]


def test_a_huge_integer_where_text_belongs_is_explained_briefly() -> None:
    text = yaml.safe_dump(_minimal(), sort_keys=False).replace("title: Dependable checkout", "title: " + "7" * 5000)
    assert _problems_of_text(text) == [
        "okr_sets[0].objectives[0].title: text is required (got an integer of 5000 digits)"
    ]


@pytest.mark.parametrize(
    "place, path",
    [
        (lambda d: d["okr_sets"][0]["objectives"][0]["key_results"][0].update(target=float("nan")), f"{KR}.target"),
        (lambda d: d["okr_sets"][0]["objectives"][0]["key_results"][0].update(weight=float("inf")), f"{KR}.weight"),
        (lambda d: d["okr_sets"][0]["objectives"][0].update(weight=1e300), "okr_sets[0].objectives[0].weight"),
        (lambda d: d.update(health={"on_track": float("inf")}), "health.on_track"),
    ],
)
def test_every_number_of_the_document_is_bounded(place, path: str) -> None:
    document = _minimal()
    place(document)
    with pytest.raises(ConfigError) as raised:
        load_config_document(document)
    assert [p.path for p in raised.value.problems][:1] == [path]
    assert EXPECTED in raised.value.problems[0].message


def test_problem_program_numbers_are_bounded() -> None:
    program = {
        "id": "p",
        "name": "P",
        "sources": [{"id": "s", "name": "S", "jql": "project = OPS"}],
        "classify": {"field": "Category"},
        "action_points": {"project": "OPS"},
        "threshold": float("inf"),
        "impact": {"scale": {"High": float("nan")}, "default": 1e20},
    }
    with pytest.raises(ConfigError) as raised:
        load_config_document(_minimal(problem_programs=[program]))
    paths = sorted(p.path for p in raised.value.problems)
    assert paths == [
        "problem_programs[0].impact.default",
        "problem_programs[0].impact.scale.High",
        "problem_programs[0].threshold",
    ]
    assert all(EXPECTED in p.message for p in raised.value.problems)


def test_numbers_at_the_bound_are_accepted() -> None:
    document = _minimal()
    document["okr_sets"][0]["objectives"][0]["key_results"][0].update(baseline=-NUMBER_LIMIT, target=NUMBER_LIMIT)
    kr = load_config_document(document).okr_sets[0].objectives[0].key_results[0]
    assert (kr.baseline, kr.target) == (-1e15, 1e15)


def test_validate_prints_one_line_for_a_5000_digit_integer(tmp_path: Path) -> None:
    path = tmp_path / "okrs.yaml"
    path.write_text(_yaml_with("baseline", "1" * 5000))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, (SystemExit, type(None)))
    assert "Traceback" not in result.output
    assert f"{KR}.baseline: {EXPECTED} (got an integer of 5000 digits)" in result.output


def _accepted(value: float | int) -> bool:
    if isinstance(value, int):
        return abs(value) <= NUMBER_LIMIT
    return math.isfinite(value) and abs(value) <= NUMBER_LIMIT


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.floats(), st.integers(), st.sampled_from([1e15, -1e15, 1e15 + 1, 5e-324, 1e308, -1e308])))
def test_yaml_baselines_are_accepted_exactly_when_finite_and_bounded(value: float | int) -> None:
    document = _minimal()
    document["okr_sets"][0]["objectives"][0]["key_results"][0]["baseline"] = value
    text = yaml.safe_dump(document, sort_keys=False)
    try:
        config = load_config_text(text)
    except ConfigError as exc:
        assert not _accepted(value), exc
        assert [p.path for p in exc.problems] == [f"{KR}.baseline"]
        assert EXPECTED in exc.problems[0].message and "\n" not in str(exc.problems[0])
        return
    assert _accepted(value)
    assert config.okr_sets[0].objectives[0].key_results[0].baseline == float(value)


def test_yaml_integer_forms_read_as_yaml_reads_them() -> None:
    assert read_yaml("a: 017\nb: 0x1f\nc: 1_000\nd: +12\ne: 1:30\nf: 12345678901234567890") == {
        "a": 15,
        "b": 31,
        "c": 1000,
        "d": 12,
        "e": 90,
        "f": 12345678901234567890,
    }


def test_yaml_aliases_are_refused_at_once() -> None:
    """A few nested aliases stand for a document of billions of nodes; the file is refused, fast."""
    import time

    from mapping.errors import ConfigError
    from mapping.loader import load_config_text

    layers = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    layers += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    started = time.perf_counter()
    with pytest.raises(ConfigError, match=r"alias \*a0 is not supported"):
        load_config_text("\n".join(layers) + "\n")
    assert time.perf_counter() - started < 1.0

"""A set's `cadence:` and a KR's `roles:`: defaults, and bad values refused with the path and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mapping.errors import ConfigError
from mapping.loader import load_config_document
from okrsync.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "okrs.yaml"


def example(set_changes: dict | None = None, kr_changes: dict | None = None) -> dict:
    document = yaml.safe_load(EXAMPLE.read_text())
    document["okr_sets"][0].update(set_changes or {})
    document["okr_sets"][0]["objectives"][0]["key_results"][0].update(kr_changes or {})
    return document


def problems(document: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config_document(document, "okrs.yaml")
    return [str(p) for p in caught.value.problems]


def test_the_cadence_defaults_to_monday_the_first_and_the_configs_zone() -> None:
    cadence = load_config_document(example(), "okrs.yaml").okr_sets[0].cadence
    assert (cadence.weekly, cadence.monthly, cadence.timezone, cadence.digest_comment) == ("monday", 1, None, False)
    given = load_config_document(example({"cadence": {"weekly": "Friday", "monthly": 15, "timezone": "Asia/Shanghai"}}))
    assert (given.okr_sets[0].cadence.weekly, given.okr_sets[0].cadence.weekday) == ("friday", 4)


@pytest.mark.parametrize(
    "cadence, path, words",
    [
        ({"weekly": "mon"}, "cadence.weekly", "must be a day of the week: monday, tuesday"),
        ({"weekly": 3}, "cadence.weekly", "must be a day of the week"),
        ({"monthly": 31}, "cadence.monthly", "whole number from 1 to 28 (a day every month has) (got 31)"),
        ({"monthly": 0}, "cadence.monthly", "from 1 to 28"),
        ({"monthly": "1"}, "cadence.monthly", "whole number from 1 to 28"),
        ({"monthly": True}, "cadence.monthly", "whole number from 1 to 28"),
        ({"timezone": "Mars/Base"}, "cadence.timezone", "unknown time zone 'Mars/Base' (expected an IANA name"),
        ({"yearly": "jan"}, "cadence.yearly", "unknown key"),
    ],
)
def test_a_bad_cadence_is_refused_with_its_path(cadence: dict, path: str, words: str) -> None:
    found = problems(example({"cadence": cadence}))
    assert len(found) == 1 and f"okr_sets[0].{path}" in found[0] and words in found[0], found


def test_roles_are_checked() -> None:
    twice = problems(example(kr_changes={"roles": {"responsible": ["ada", "ada"]}}))
    assert "roles.responsible" in twice[0] and "names ada more than once: name each person once" in twice[0]
    empty = problems(example(kr_changes={"roles": {"consulted": [""]}}))
    assert "roles.consulted[0]" in empty[0]
    unknown = problems(example(kr_changes={"roles": {"approver": ["ada"]}}))
    assert "roles.approver" in unknown[0] and "unknown key" in unknown[0]


def test_one_accountable_person_per_kr() -> None:
    found = problems(example(kr_changes={"accountable": "ada", "roles": {"accountable": "alan"}}))
    assert "accountable is 'ada' but roles.accountable is 'alan'" in found[0]
    same = load_config_document(example(kr_changes={"accountable": "ada", "roles": {"accountable": "ada"}}))
    kr = same.okr_sets[0].objectives[0].key_results[0]
    assert kr.accountable_person == "ada"


def test_validate_names_a_bad_cadence(tmp_path: Path) -> None:
    path = tmp_path / "okrs.yaml"
    path.write_text(yaml.safe_dump(example({"cadence": {"weekly": "someday"}})))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "okr_sets[0].cadence.weekly: the weekly digest's day must be a day of the week" in result.output

"""`okrsync cadence weekly|monthly|problems`: a ritual that cannot run is one sentence on stderr and exit
code 2; bad arguments are refused before anything runs."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from okrsync.cli import main
from tests.okrsync.test_rescope_cli import cli_env  # noqa: F401  (the fixture)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            ["cadence", "weekly"],
            "okrsync: no Confluence is configured: set OKRSYNC_CONFLUENCE_URL (the rituals write pages)\n",
        ),
        (
            ["cadence", "problems"],
            "okrsync: no Confluence is configured: set OKRSYNC_CONFLUENCE_URL (the reviews write pages)\n",
        ),
        (
            ["cadence", "monthly", "--program", "p"],
            "okrsync: --program goes with `okrsync cadence problems`; `monthly` takes --set ID\n",
        ),
        (
            ["cadence", "problems", "--set", "shop"],
            "okrsync: --set goes with `okrsync cadence weekly` or `monthly`; `problems` takes --program ID\n",
        ),
    ],
)
def test_a_ritual_that_cannot_run_is_one_sentence(cli_env, arguments: list[str], message: str) -> None:  # noqa: F811
    result = CliRunner().invoke(main, arguments)
    assert (result.exit_code, result.stderr) == (2, message)


def test_bad_arguments_are_refused(cli_env) -> None:  # noqa: F811
    unknown = CliRunner().invoke(main, ["cadence", "yearly"])
    assert unknown.exit_code == 2 and "'yearly' is not one of 'weekly', 'monthly', 'problems'" in unknown.stderr
    both = CliRunner().invoke(main, ["cadence", "weekly", "--set", "a", "--program", "b"])
    assert both.exit_code == 2 and "give --set or --program, not both" in both.stderr

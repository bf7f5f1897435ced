"""``okrsync cadence weekly|monthly|problems``: a ritual run now, in words."""

from __future__ import annotations

import sys

import click

from okr.cadence import Ritual
from okrsync.cli_errors import CommandSetupError
from sync.cadence import CadenceError, run_rituals
from sync.problem_reviews import run_problem_reviews
from sync.runtime import Runtime

RITUALS = ("weekly", "monthly", "problems")


def run_cadence(runtime: Runtime, ritual: str, set_id: str | None, program_id: str | None) -> None:
    """Run the ritual for one set or every set and say what each wrote; a period already written is
    said, not written again. A ritual that cannot run is one sentence and exit 2; a failed write exit 1."""
    if ritual == "problems" and set_id is not None:
        raise CommandSetupError("--set goes with `okrsync cadence weekly` or `monthly`; `problems` takes --program ID")
    if ritual != "problems" and program_id is not None:
        raise CommandSetupError(f"--program goes with `okrsync cadence problems`; `{ritual}` takes --set ID")
    chosen: Ritual = "weekly" if ritual == "weekly" else "monthly"
    try:
        if ritual == "problems":
            runs = run_problem_reviews(runtime, program_id, force=True)
        else:
            runs = run_rituals(runtime, chosen, set_id)
    except CadenceError as exc:
        raise CommandSetupError(str(exc)) from None
    if not runs:
        click.echo("no problem program has a 'confluence' page: nothing to review")
    for run in runs:
        click.echo(run.sentence())
    if any(run.outcome == "failed" for run in runs):
        sys.exit(1)

"""``okrsync close CYCLE``: closing a cycle on command, in words."""

from __future__ import annotations

import getpass
import sys

import click

from publish.confluence.formatting import number, score_text
from sync.close import CloseError, close_cycle
from sync.close_page import write_close_pages
from sync.runtime import Runtime


def run_close(runtime: Runtime, cycle: str, again: bool, who: str | None) -> None:
    """Close ``cycle`` and say what was frozen; a close that cannot be done is one sentence and exit 2."""
    try:
        record = close_cycle(runtime, cycle, who or _user(), again=again)
    except CloseError as exc:
        click.echo(f"okrsync: {exc}", err=True)
        sys.exit(2)
    verb = "closed again" if again else "closed"
    click.echo(
        f"cycle {record.cycle} {verb} at {record.closed_at} by {record.by}: "
        f"{len(record.key_results)} KR result(s) frozen; a flush writes them"
    )
    for ref, kr in sorted(record.key_results.items()):
        click.echo(f"  {ref}: {number(kr.current)} · score {score_text(kr.score)} · {kr.health}")
    for run in write_close_pages(runtime, record.cycle):
        click.echo(run.sentence())


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid
        return "unknown"

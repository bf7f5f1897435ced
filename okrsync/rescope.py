"""`okrsync rescope SET KR --reason TEXT`: the command's words around ``sync.scope.rescope``."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime

import click

from okr.scope import scope_facts, scope_words
from sync.runtime import Runtime
from sync.scope import RescopeError, rescope


def run_rescope(runtime: Runtime, set_id: str, kr_id: str, reason: str) -> None:
    """Rescope and say what the scope now is; a bad request is one sentence on stderr and exit 2."""
    try:
        scope = rescope(runtime, set_id, kr_id, reason, _author(), datetime.now(UTC))
    except RescopeError as exc:
        click.echo(f"okrsync: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(f"{set_id}/{kr_id}: {scope_words(scope_facts(scope, scope.epics))}")


def _author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"

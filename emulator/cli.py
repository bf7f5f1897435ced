"""`okrsync emulator`: placeholder until the emulator server lands."""

from __future__ import annotations

import click


@click.command()
def command() -> None:
    """Run the local Atlassian emulator (not available yet)."""
    raise click.ClickException("the emulator is not available in this version")

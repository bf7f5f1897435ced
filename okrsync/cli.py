"""The ``okrsync`` command line."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

import click
import redis

from okrsync.logs import configure_logging
from okrsync.redis_store import connect_redis, describe_redis
from okrsync.settings import Settings, SettingsError, load_settings

log = logging.getLogger("okrsync")


class OkrsyncGroup(click.Group):
    """Turns setup mistakes into one sentence and exit code 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.echo(f"okrsync: {exc}", err=True)
            ctx.exit(2)
        except redis.ConnectionError as exc:
            click.echo(f"okrsync: cannot reach Redis ({exc}); check OKRSYNC_REDIS_URL", err=True)
            ctx.exit(3)


@click.group(cls=OkrsyncGroup)
@click.version_option(package_name="okrsync")
def main() -> None:
    """OKR Sync for Jira: honest OKR progress from the Jira tickets you already have."""


def _settings() -> Settings:
    settings = load_settings()
    configure_logging(settings.log_level)
    return settings


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="gunicorn worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Run the web service (webhook endpoint, health, metrics) under gunicorn."""
    settings = _settings()
    settings.require_webhook_secrets()
    connect_redis(settings)  # start the embedded Redis before gunicorn forks its workers
    from okrsync.gunicorn_app import run_gunicorn

    click.echo(f"okrsync: serving on http://{host}:{port} ({describe_redis(settings)})")
    run_gunicorn(f"{host}:{port}", workers)


@main.command()
@click.option("--burst", is_flag=True, help="Drain what is queued, then exit.")
def worker(burst: bool) -> None:
    """Run an RQ worker that applies queued events to the mirror."""
    from rq import Worker

    from sync.jobs import sweep

    settings = _settings()
    connection = connect_redis(settings)
    sweep(connection, settings.queue_name)  # events left by a previous run are drained first
    click.echo(f"okrsync: worker on queue {settings.queue_name!r} ({describe_redis(settings)})")
    Worker([settings.queue_name], connection=connection).work(burst=burst, logging_level=settings.log_level)


@main.command()
@click.option("--interval", default=5.0, show_default=True, type=float, help="Seconds between sweeps.")
@click.option("--once", is_flag=True, help="Run one round and exit.")
def scheduler(interval: float, once: bool) -> None:
    """Run periodic work: re-drain events a lost enqueue or a dead worker left behind."""
    from sync.jobs import sweep

    settings = _settings()
    connection = connect_redis(settings)
    click.echo(f"okrsync: scheduler every {interval:g}s ({describe_redis(settings)})")
    while True:
        try:
            if sweep(connection, settings.queue_name):
                log.info("scheduler: events were waiting with no drain scheduled; drain enqueued")
        except redis.RedisError as exc:
            log.warning("scheduler: Redis unreachable (%s); retrying", exc)
        if once:
            return
        time.sleep(interval)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--limit", default=50, show_default=True, type=int, help="Mirrored issues to list (0: none).")
def status(as_json: bool, limit: int) -> None:
    """Show the queue, the event counters and the mirrored issues."""
    from okrsync.status import collect_status, render_status

    settings = _settings()
    report = collect_status(connect_redis(settings), describe_redis(settings), limit)
    click.echo(json.dumps(report, indent=2) if as_json else render_status(report))


def _register_optional_commands() -> None:
    from emulator.cli import command as emulator_command

    main.add_command(emulator_command, "emulator")


_register_optional_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

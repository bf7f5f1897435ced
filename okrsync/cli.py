"""The ``okrsync`` command line."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import redis

from mapping.stages import STAGES
from okrsync.cli_errors import CommandSetupError, debug_wanted, failure_of
from okrsync.logs import configure_logging
from okrsync.redis_store import connect_redis, describe_redis
from okrsync.settings import Settings, load_settings

if TYPE_CHECKING:  # imported where used, so a command loads only what it needs
    from connector.jira import JiraPort
    from mapping.models import OkrConfig, Stage
    from sync.runtime import Runtime

log = logging.getLogger("okrsync")


class OkrsyncGroup(click.Group):
    """Ends every failed command with one sentence and its exit code (okrsync/cli_errors.py); the
    traceback only with --debug or OKRSYNC_LOG_LEVEL=DEBUG."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            failure = failure_of(exc)
            if debug_wanted(bool(ctx.params.get("debug"))):
                traceback.print_exc()
            click.echo(f"okrsync: {failure.sentence}", err=True)
            ctx.exit(failure.exit_code)


@click.group(cls=OkrsyncGroup)
@click.version_option(package_name="okrsync")
@click.option("--debug", is_flag=True, help="Show the traceback of a failure (as OKRSYNC_LOG_LEVEL=DEBUG does).")
def main(debug: bool) -> None:
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
    """Run the web service (webhook endpoint, health, metrics) under gunicorn; each request is read
    before a thread gets it, so slow clients never hold one (settings in okrsync/gunicorn_conf.py)."""
    settings = _settings()
    settings.require_webhook_secrets()
    connect_redis(settings)  # start the embedded Redis before gunicorn forks its workers
    from okrsync.gunicorn_app import run_gunicorn

    click.echo(f"okrsync: serving on http://{host}:{port} ({describe_redis(settings)})")
    run_gunicorn(f"{host}:{port}", workers)


@main.command()
@click.option("--burst", is_flag=True, help="Drain what is queued, then exit.")
@click.option(
    "--nice",
    "niceness",
    type=click.IntRange(0, 19),
    help="Run at this niceness (0-19; default OKRSYNC_WORKER_NICE, 0) so that on cores shared with "
    "the web service, answering webhooks comes before draining them.",
)
def worker(burst: bool, niceness: int | None) -> None:
    """Run an RQ worker that applies queued events to the mirror."""
    import socket

    from sync.jobs import set_worker_identity
    from sync.scheduling import sweep

    settings = _settings()
    connection = connect_redis(settings)  # an embedded Redis started here keeps the normal priority
    _lower_priority(settings.worker_nice if niceness is None else niceness)
    runtime = _runtime(settings, connection)
    _prepare(runtime)
    sweep(connection, settings.queue_name)  # events left by a previous run are drained first
    set_worker_identity(f"{socket.gethostname()}:{os.getpid()}")
    click.echo(f"okrsync: worker on queue {settings.queue_name!r} ({describe_redis(settings)})")
    run_worker_until_stopped(settings, connection, burst)


def _lower_priority(niceness: int) -> None:
    """Only ever lowers the priority (raising it needs privileges): a worker started nicer stays so."""
    if niceness <= os.getpriority(os.PRIO_PROCESS, 0):
        return
    os.setpriority(os.PRIO_PROCESS, 0, niceness)
    if os.getsid(0) == os.getpid():
        _lower_session_priority(niceness)
    log.info("worker: running at niceness %d", niceness)


def _lower_session_priority(niceness: int) -> None:
    """Linux with autogroups shares CPU between sessions before it looks at niceness, so a worker
    that leads its own session (a service manager or setsid started it) lowers its session too;
    one sharing a session with the web service must not, and does not need to."""
    try:
        Path("/proc/self/autogroup").write_text(f"{niceness}\n")
    except OSError:  # no autogroups on this kernel: the niceness alone counts
        pass


RESTART_PAUSE_SECONDS = 2.0


def _shutdown_requested(worker: object) -> bool:
    """SIGTERM / SIGINT reached RQ (it records when, idle or busy), or it could not tell us."""
    if not hasattr(worker, "_shutdown_requested_date"):
        return True  # an RQ without the attribute: never loop on a stop we cannot see
    return worker._shutdown_requested_date is not None or bool(getattr(worker, "_stop_requested", False))


def run_worker_until_stopped(settings: Settings, connection: redis.Redis, burst: bool) -> None:
    """RQ's loop ends on an error it does not handle (Redis gone in the middle of a job): start it
    again once Redis answers, so a Redis restart does not leave the queue without a worker.

    SIGTERM and SIGINT always stop it: inside RQ's loop RQ handles them (when Redis is unreachable
    its shutdown fails and ends the loop with a ConnectionError: the worker stops then too); outside
    it, starting or pausing, nothing is in hand and the process exits at once. A signal that lands
    just after RQ's loop returned, while RQ's handlers are still in place, raises RQ's StopRequested:
    that is a stop too."""
    from rq.exceptions import StopRequested

    try:
        while not _work_once(settings, connection, burst):
            _exit_on_stop_signals()  # RQ's handlers would raise its StopRequested out of the pause
            time.sleep(RESTART_PAUSE_SECONDS)
    except StopRequested:
        log.info("worker: stopped")


def _work_once(settings: Settings, connection: redis.Redis, burst: bool) -> bool:
    """One run of RQ's loop; True when the worker is to stop, False when the loop is to start again."""
    _exit_on_stop_signals()  # until RQ's loop installs its own handlers
    worker: Any = None
    try:
        worker = _worker_class()([settings.queue_name], connection=connection)  # it names its connection
        worker.work(burst=burst, logging_level=settings.log_level)
    except redis.ConnectionError as exc:
        if worker is not None and _shutdown_requested(worker):
            log.info("worker: stopped (Redis unreachable: %s)", exc)
            return True
        log.warning("worker: Redis unreachable (%s); starting again in %.0f s", exc, RESTART_PAUSE_SECONDS)
        return False
    if burst or _shutdown_requested(worker):
        return True
    log.warning("worker: the work loop ended on an error; starting again in %.0f s", RESTART_PAUSE_SECONDS)
    return False


def _worker_class() -> type:
    """RQ's SimpleWorker (jobs run in this process: the mirror kept in memory lasts between them)
    without its pub/sub channel. The service sends RQ no remote commands, and on a stop RQ's teardown
    joins and closes that channel's listening thread, which can hang past a stop's deadline."""
    from rq import SimpleWorker

    class Worker(SimpleWorker):
        def subscribe(self) -> None:
            """No channel: ``unsubscribe`` then has nothing to stop."""

    return Worker


def _exit_on_stop_signals() -> None:
    import signal

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, _exit_now)


def _exit_now(signum: int, _frame: object) -> None:
    raise SystemExit(0)


@main.command()
@click.option("--interval", default=5.0, show_default=True, type=float, help="Seconds between sweeps.")
@click.option(
    "--recompute-every",
    default=300.0,
    show_default=True,
    type=float,
    help="Seconds between recomputations of every KR (time-based windows, expected progress).",
)
@click.option(
    "--reconcile-every",
    default=600.0,
    show_default=True,
    type=float,
    help="Seconds between reconciliations with Jira (when a Jira is configured).",
)
@click.option("--once", is_flag=True, help="Run one round of everything and exit.")
def scheduler(interval: float, recompute_every: float, reconcile_every: float, once: bool) -> None:
    """Run periodic work: re-drain stranded events, recompute KRs, reconcile with Jira."""
    from okrsync.periodic import Periodic

    settings = _settings()
    connection = connect_redis(settings)
    runtime = _runtime(settings, connection)
    _prepare(runtime)
    click.echo(f"okrsync: scheduler every {interval:g}s ({describe_redis(settings)})")
    Periodic(runtime, recompute_every=recompute_every, reconcile_every=reconcile_every).run(interval, once)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.option("--limit", default=50, show_default=True, type=int, help="Mirrored issues to list (0: none).")
def status(as_json: bool, limit: int) -> None:
    """Show the queue, the event counters and the mirrored issues."""
    from okrsync.status import collect_status, render_status

    settings = _settings()
    report = collect_status(connect_redis(settings), describe_redis(settings), limit)
    click.echo(json.dumps(report, indent=2) if as_json else render_status(report))


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--online",
    is_flag=True,
    help="Also check with Jira (OKRSYNC_JIRA_URL) that the projects, fields, statuses, priorities, issue types "
    "and issues the file names exist, and that the fields it writes fit (kind, health options, edit screens); "
    "exit 2 when one does not.",
)
@click.option("--fields", "fields_file", type=click.Path(path_type=Path), help="Jira's /rest/api/2/field answer.")
def validate(file: Path, online: bool, fields_file: Path | None) -> None:
    """Check an okrs.yaml: exit 0 when valid, 1 with every problem and its path otherwise."""
    from mapping.versions import metric_version
    from okrsync.offline import sql_connection_warnings
    from okrsync.settings import sql_connection_urls
    from okrsync.site_facts import report_site_findings, report_unknown_fields

    config = _load_config_or_exit(file)
    sets, krs = len(config.okr_sets), sum(len(o.key_results) for s in config.okr_sets for o in s.objectives)
    click.echo(
        f"{file}: valid ({sets} OKR set(s), {krs} key result(s), {len(config.metrics)} metric(s), "
        f"{len(config.problem_programs)} problem program(s))"
    )
    for metric_id, metric in sorted(config.metrics.items()):
        click.echo(f"  metric {metric_id}: definition {metric_version(metric)}")
    for warning in sql_connection_warnings(config, sql_connection_urls()):
        click.echo(f"warning: {warning}", err=True)
    if online:
        sys.exit(report_site_findings(_online_jira(), config))
    report_unknown_fields(config, _field_names_or_exit(fields_file) if fields_file else None)


def _field_names_or_exit(fields_file: Path) -> dict[str, str]:
    from okrsync.offline import InputFileError, read_field_names

    try:
        return read_field_names(fields_file)
    except InputFileError as exc:
        raise click.UsageError(str(exc)) from None


def _online_jira() -> JiraPort:
    """The configured Jira; a setting that cannot work is the group's one sentence, exit 2."""
    from connector import jira_from_settings

    jira = jira_from_settings(_settings())
    if jira is None:
        raise CommandSetupError("--online needs a Jira: set OKRSYNC_JIRA_URL, OKRSYNC_JIRA_USER and OKRSYNC_JIRA_TOKEN")
    return jira


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when there is any finding.")
@click.option("--fields", "fields_file", type=click.Path(path_type=Path), help="Jira's /rest/api/2/field answer.")
def lint(file: Path, as_json: bool, strict: bool, fields_file: Path | None) -> None:
    """Warn about OKRs that will mislead: too many objectives, task-shaped KRs, missing owners, …"""
    from mapping.lint import lint as lint_config

    config = _load_config_or_exit(file)
    findings = lint_config(config, _field_names_or_exit(fields_file) if fields_file else None)
    if as_json:
        click.echo(json.dumps([f.as_dict() for f in findings], indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            click.echo(f"{finding.where}: {finding.message} [{finding.rule}]")
        click.echo(f"{len(findings)} finding(s)")
    if strict and findings:
        sys.exit(1)


@main.command()
@click.option("--stage", type=click.Choice(STAGES), help="The product's stage (asked for on a terminal when left out).")
@click.option("--out", default="okrs.yaml", show_default=True, type=click.Path(path_type=Path), help="File to write.")
@click.option("--offline", is_flag=True, help="Do not ask Jira: write placeholders (YOURPROJECT) to replace.")
@click.option("--force", is_flag=True, help="Overwrite --out when it exists.")
def init(stage: Stage | None, out: Path, offline: bool, force: bool) -> None:
    """Write a first okrs.yaml for the product's stage, with the connected Jira's names."""
    from okrsync.init_command import InitOptions, run_init

    run_init(InitOptions(stage, out, offline, force))


@main.command()
def schema() -> None:
    """Print the JSON Schema of okrs.yaml (for editor completion)."""
    from mapping.models import OkrConfig

    document = OkrConfig.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "okrs.yaml"
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@main.command()
@click.option("--config", "config_file", required=True, type=click.Path(path_type=Path), help="okrs.yaml")
@click.option(
    "--issues",
    "issues_file",
    required=True,
    type=click.Path(path_type=Path),
    help="Jira REST issue objects, one JSON object per line.",
)
@click.option(
    "--measurements",
    "measurements_file",
    type=click.Path(path_type=Path),
    help='Pushed values, one {"metric", "value", "at"} per line.',
)
@click.option(
    "--fields",
    "fields_file",
    type=click.Path(path_type=Path),
    help="Jira's /rest/api/2/field answer, to resolve custom field names.",
)
@click.option("--at", "at_text", required=True, help="Evaluation instant, ISO-8601 with offset (2026-11-15T12:00:00Z).")
@click.option(
    "--user",
    "current_user",
    metavar="ID",
    help="Whom JQL's currentUser() means (the service's Jira account): an account id on Cloud, the "
    "user key or name on Data Center, as issues name their assignee. Without it currentUser() "
    "matches no one.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the evaluation as JSON.")
def evaluate(
    config_file: Path,
    issues_file: Path,
    measurements_file: Path | None,
    fields_file: Path | None,
    at_text: str,
    current_user: str | None,
    as_json: bool,
) -> None:
    """Dry run: evaluate every KR over issues from files, at a given instant. Reads and writes nothing else
    (the queries of SQL metrics whose OKRSYNC_SQL_<NAME>_URL is set run, read-only)."""
    from okr.evaluate import evaluate_report, evaluation_input
    from okrsync.offline import InputFileError, fetch_sql_values, read_field_names, read_issues, read_measurements
    from okrsync.report import render_evaluation
    from okrsync.settings import sql_connection_urls

    config = _load_config_or_exit(config_file)
    at, user = _parse_instant(at_text), _parse_user(current_user)
    try:
        documents = read_issues(issues_file)
        measurements = read_measurements(measurements_file) if measurements_file else []
        custom_fields = read_field_names(fields_file) if fields_file else {}
    except InputFileError as exc:
        raise click.UsageError(str(exc)) from None
    sql_values, sql_problems = fetch_sql_values(config, sql_connection_urls(), datetime.now(UTC))
    for problem in sql_problems:
        click.echo(f"okrsync: {problem}", err=True)
    given = evaluation_input(
        at, config, documents, measurements, custom_fields, current_user=user, sql_values=sql_values
    )
    report = evaluate_report(config, given)
    text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else render_evaluation(report, config)
    click.echo(text)


def _load_config_or_exit(file: Path) -> OkrConfig:
    from mapping.errors import ConfigError
    from mapping.loader import load_config_text

    try:
        return load_config_text(read_config_text(file), source=str(file))
    except ConfigError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


MAX_CONFIG_BYTES = 1024 * 1024  # a real okrs.yaml is a few hundred KiB at most; parsing 50 MB takes minutes


def read_config_text(file: Path) -> str:
    """The text of a configuration file, read no further than MAX_CONFIG_BYTES (a pipe or a device
    has no size to check first). Raises ConfigError naming the file, the problem and the fix."""
    from mapping.errors import ConfigError, ConfigProblem

    def problem(message: str) -> ConfigError:
        return ConfigError(str(file), [ConfigProblem("", message)])

    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise problem(f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise problem(
            f"the file is larger than {MAX_CONFIG_BYTES // 1024} KiB, the most a configuration may be: "
            "check that it is the okrs.yaml you meant, and move data that is not configuration "
            "(issues, measurements) out of it"
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise problem("the file is not UTF-8 text") from None


def _parse_user(text: str | None) -> str | None:
    """``--user`` trimmed; given but blank is a usage error."""
    if text is None:
        return None
    if not text.strip():
        raise click.BadParameter(
            "an empty user; expected an account id (Cloud) or a user key or name (Data Center)", param_hint="--user"
        )
    return text.strip()


def _parse_instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO-8601 time such as 2026-11-15T12:00:00Z", param_hint="--at"
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r} has no UTC offset; add Z or +08:00", param_hint="--at")
    return moment


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
def apply(file: Path) -> None:
    """Validate FILE and make it the configuration in force; what it affects is recomputed."""
    from okrsync.ops import apply_config_file

    settings = _settings()
    config = _load_config_or_exit(file)  # a clear answer for a bad file before anything is stored
    runtime = _runtime(settings, connect_redis(settings))
    _check_against_site_or_exit(runtime, config)
    applied = apply_config_file(runtime, file)
    if not applied.changed:
        click.echo(f"{file}: already in force (revision {applied.revision})")
    else:
        click.echo(f"{file}: applied as revision {applied.revision}")
    for change in applied.metric_changes:
        was = f"{change.old} → " if change.old else "new, "
        click.echo(f"  metric {change.metric}: {was}{change.new}")


def _check_against_site_or_exit(runtime: Runtime, config: OkrConfig) -> None:
    """With a Jira: what the file names must exist there (exit 2, nothing applied, when not);
    without one: the JQL fields neither the local subset nor the learned field names know."""
    from okrsync.site_facts import SiteReader, report_site_findings, report_unknown_fields

    if isinstance(runtime.jira, SiteReader):
        if report_site_findings(runtime.jira, config):
            sys.exit(2)
        return
    report_unknown_fields(config, runtime.config_store.field_names() or None)


@main.command()
@click.argument("cycle")
@click.option("--again", is_flag=True, help="Freeze the results of a closed cycle anew (the earlier freeze is kept).")
@click.option("--by", "who", metavar="NAME", help="Who closes it, as recorded (default: the user running this).")
def close(cycle: str, again: bool, who: str | None) -> None:
    """Close CYCLE now: freeze its sets' final results (the scheduler does it close_after its end)."""
    from okrsync.close_command import run_close

    settings = _settings()
    run_close(_runtime(settings, connect_redis(settings)), cycle, again, who)


@main.command()
@click.argument("ritual", type=click.Choice(["weekly", "monthly", "problems"]))
@click.option("--set", "set_id", metavar="ID", help="Only this OKR set (default: every set with a page).")
@click.option("--program", "program_id", metavar="ID", help="Only this problem program (with `problems`).")
def cadence(ritual: str, set_id: str | None, program_id: str | None) -> None:
    """Run a ritual now: each set's weekly digest or monthly review, once per week or month."""
    from okrsync.cadence_command import run_cadence

    if set_id is not None and program_id is not None:
        raise click.UsageError("give --set or --program, not both")
    settings = _settings()
    run_cadence(_runtime(settings, connect_redis(settings)), ritual, set_id, program_id)


@main.command()
@click.argument("set_id", metavar="SET")
@click.argument("kr_id", metavar="KR")
@click.option("--reason", default="", help="Why the scope is set again (required).")
def rescope(set_id: str, kr_id: str, reason: str) -> None:
    """Record KR's current contributing epics as its scope, with a reason; it is recomputed."""
    from okrsync.rescope import run_rescope

    settings = _settings()
    run_rescope(_runtime(settings, connect_redis(settings)), set_id, kr_id, reason)


@main.command()
def export() -> None:
    """Print the configuration in force (as applied, comments included)."""
    from sync.config_store import CONFIG
    from sync.redis_text import decoded

    settings = _settings()
    text = connect_redis(settings).hget(CONFIG, "text")
    if text is None:
        raise CommandSetupError("no configuration applied yet: run `okrsync apply okrs.yaml` first")
    click.echo(decoded(text), nl=False)


@main.command()
@click.option("--full", is_flag=True, help="Start over, and forget mirrored issues Jira no longer has.")
def resync(full: bool) -> None:
    """Walk every mapped project in Jira into the mirror (resumable: finished projects are skipped)."""
    from okrsync.progress import ProgressBar
    from sync.reconcile import resync as run_resync

    settings = _settings()
    runtime = _runtime(settings, connect_redis(settings))
    _require_jira(runtime)
    bar = ProgressBar()
    report = run_resync(runtime, full=full, progress=bar.update)
    bar.close()
    click.echo(f"resync: {report.seen} issue(s) read in {report.seconds:.1f}s, {report.drift} changed in the mirror")


@main.command("register-webhook")
@click.option("--url", help="Where Jira should deliver (default: OKRSYNC_PUBLIC_URL + /webhooks/jira).")
def register_webhook_command(url: str | None) -> None:
    """Register (idempotently) the Jira webhook with the secret, the events used and a JQL filter."""
    from connector import AuthError, NotFound
    from okrsync.ops import manual_webhook_steps, register_webhook, webhook_jql

    settings = _settings()
    settings.require_webhook_secrets()
    if not url and not settings.public_url:
        raise click.UsageError("give --url or set OKRSYNC_PUBLIC_URL (where Jira reaches this service)")
    url = url or settings.public_url.rstrip("/") + "/webhooks/jira"  # type: ignore[union-attr]
    runtime = _runtime(settings, connect_redis(settings))
    _require_jira(runtime)
    try:
        result = register_webhook(runtime, url)
    except (AuthError, NotFound) as exc:
        config = runtime.config_store.current()
        jql = webhook_jql(config) if config else "project in (…)"
        why = (
            "This Jira has no webhook administration API (404)"
            if isinstance(exc, NotFound)
            else "The Jira account may not manage webhooks"
        )
        click.echo(f"{why}.\n" + manual_webhook_steps(url, jql), err=True)
        sys.exit(4)
    click.echo(f"webhook {result.action}: {result.url} (JQL: {result.jql})")


@main.command()
@click.option(
    "--duration",
    type=float,
    help="Play duration / pace actions, print a summary and stop (default: until Ctrl-C); the service finishes "
    "each action's work before the next, so a run takes somewhat longer.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the web service.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port of the web service (another if busy).")
@click.option("--emulator-port", default=8090, show_default=True, type=int, help="Port of the emulated Atlassian site.")
@click.option("--pace", default=1.5, show_default=True, type=float, help="Seconds between two simulated actions.")
@click.option("--seed", default=7, show_default=True, type=int, help="Seed of the demo company and its activity.")
def demo(duration: float | None, host: str, port: int, emulator_port: int, pace: float, seed: int) -> None:
    """The whole product on the emulator with a demo company and a stream of activity."""
    from okrsync.demo.runner import DemoOptions, run_demo

    settings = _settings()
    if settings.jira_url:
        raise click.UsageError(
            "okrsync demo runs on the emulator; with OKRSYNC_JIRA_URL set, run "
            "`okrsync serve`, `okrsync worker` and `okrsync scheduler` (make run does)"
        )
    run_demo(
        settings,
        DemoOptions(host=host, port=port, emulator_port=emulator_port, duration=duration, pace=pace, seed=seed),
    )


def _runtime(settings: Settings, connection: redis.Redis) -> Runtime:
    """The runtime of this command on ``connection``; jobs run in this process (the worker's) find it,
    and build one from the same settings for any other connection."""
    from okrsync.runtime_builder import build_runtime, install_runtime_from_settings
    from sync.runtime import install_runtime

    install_runtime_from_settings(settings)
    runtime = build_runtime(settings, connection)
    install_runtime(runtime)
    return runtime


def _prepare(runtime: Runtime) -> None:
    """At start: apply OKRSYNC_CONFIG, learn Jira's field names and the service's own account."""
    from connector import ConnectorError
    from mapping.errors import ConfigError
    from okrsync.ops import apply_configured_file, learn_jira_facts

    try:
        apply_configured_file(runtime)
    except ConfigError as exc:
        raise CommandSetupError(f"OKRSYNC_CONFIG: {exc}") from None
    try:
        learn_jira_facts(runtime)
    except ConnectorError as exc:
        log.warning("could not read Jira's fields and account yet (%s); will retry on the next start", exc)


def _require_jira(runtime: Runtime) -> None:
    if runtime.jira is None:
        raise CommandSetupError("no Jira configured: set OKRSYNC_JIRA_URL, OKRSYNC_JIRA_USER and OKRSYNC_JIRA_TOKEN")


def _register_optional_commands() -> None:
    from emulator.cli import command as emulator_command

    main.add_command(emulator_command, "emulator")


_register_optional_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

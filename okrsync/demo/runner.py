"""`okrsync demo`: the whole product on a laptop with no Jira. Starts the emulator (seeded with the
demo company), the web service, a worker and the scheduler as processes; applies the demo OKRs,
registers the webhook, resyncs, then plays a stream of activity until Ctrl-C or ``--duration``."""

from __future__ import annotations

import secrets
import signal
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import click
import redis

from connector.errors import ConnectorError
from connector.jira import property_value
from mapping.measurements import Measurement
from okrsync.demo.activity import DemoActivity
from okrsync.demo.scenario import demo_scenario
from okrsync.demo.summary import DemoSummary, read_summary
from okrsync.demo.warehouse import write_demo_warehouse
from okrsync.local_stack import (
    EmulatorOptions,
    LocalStack,
    RedisOptions,
    StackError,
    StackOptions,
    WebOptions,
    choose_port,
)
from okrsync.progress import ProgressBar
from okrsync.redis_store import connect_redis
from okrsync.settings import Settings
from publish.jira import CHECKIN_PROPERTY
from sync.configured import configured_jira
from sync.reconcile import SyncReport, resync
from sync.runtime import Runtime
from sync.sql_metrics import refresh_sql_metrics

DEMO_CONFIG = Path(__file__).with_name("okrs.yaml")
DEMO_USER = "okrsync@shop.example"
MIN_PACE = 0.1  # seconds an action takes at the least, for counting the actions of a duration
SHOWN_EPIC = "CHK-1"  # "Contract tests for the payment adapters", a contributor epic of checkout O1.KR2
SHOWN_KR_ISSUE = "CHK-106"  # checkout O1.KR4's jira_issue: the service comments there as SEV1 incidents open, close
PEOPLE_CHECKIN_ISSUE = "CHK-5"  # checkout O1.KR2's jira_issue: people's `/checkin` comments land there
FIRST_SETTLE_SECONDS = 120  # for the first flush (every KR, every page created) before the story starts
STEP_SETTLE_SECONDS = 30  # for the service to finish what one action caused
END_SETTLE_SECONDS = 60  # for the last action's work and every page waiting out its interval
STOP_SETTLE_SECONDS = 20  # after Ctrl-C
WAREHOUSE_VARIABLE = "OKRSYNC_SQL_DWH_URL"  # the demo's SQLite warehouse (okrsync/demo/warehouse.py), connection dwh


@dataclass
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    emulator_port: int = 8090
    duration: float | None = None
    pace: float = 1.5  # seconds between two actions
    seed: int = 7


def run_demo(settings: Settings, options: DemoOptions, out: TextIO = sys.stdout) -> DemoSummary | None:
    signal.signal(signal.SIGTERM, _stop_requested)  # `kill` stops the stack's processes too, as Ctrl-C does
    stack = demo_stack(settings, options, out)
    played: list[str] = []
    try:
        start_demo(stack, out)
        play(stack, options, played, out)
        return finish(stack, played, out, END_SETTLE_SECONDS)
    except KeyboardInterrupt:
        out.write("\nstopping: the service finishes the last action's work first (Ctrl-C again: at once)\n")
        return finish(stack, played, out, STOP_SETTLE_SECONDS)
    except StackError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        stack.stop()


def _stop_requested(number: int, frame: object) -> None:
    raise KeyboardInterrupt


def demo_stack(settings: Settings, options: DemoOptions, out: TextIO) -> LocalStack:
    """The demo's stack, not started yet: the data directory reset to a clean slate, the ports chosen."""
    data_dir = settings.data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    connection = connect_redis(settings)
    _start_clean(settings, connection, data_dir, out)
    ports = _demo_ports(options, out)
    stack_options = _stack_options(settings, options, ports, data_dir, connection, out)
    warehouse = write_demo_warehouse(data_dir, date.today(), _quarter_of(date.today())[0], options.seed)
    return LocalStack(replace(stack_options, env={**stack_options.env, WAREHOUSE_VARIABLE: warehouse}))


def start_demo(stack: LocalStack, out: TextIO) -> None:
    """The stack started, where to look printed, and the first evaluation (every page too) done."""
    stack.start()
    _print_where_to_look(out, stack.url, stack.jira_url, stack.env, stack.data_dir)
    _settle(stack, out, "its first evaluation and pages", FIRST_SETTLE_SECONDS)


def _start_clean(settings: Settings, connection: redis.Redis, data_dir: Path, out: TextIO) -> None:
    """Each run starts from the demo company as seeded: the previous run's state (claims, counters,
    mirror, configuration) in the data directory's embedded Redis is reset, and that is said in one line."""
    if settings.redis_url:
        out.write("clean slate: not reset, OKRSYNC_REDIS_URL names a Redis the demo does not own\n")
        return
    keys = int(connection.dbsize())
    connection.flushdb()
    out.write(
        f"clean slate: the previous run's state in {data_dir} reset ({keys} Redis keys: claims, counters, mirror)\n"
    )


@dataclass(frozen=True)
class DemoPorts:
    web: int
    emulator: int


def _demo_ports(options: DemoOptions, out: TextIO) -> DemoPorts:
    """The requested ports, or others when they are really busy (said loudly: the URLs change)."""
    return DemoPorts(
        web=_port(options.port, "the web service (admin pages)", "--port", out),
        emulator=_port(options.emulator_port, "the emulated Jira and Confluence", "--emulator-port", out),
    )


def _port(preferred: int, what: str, option: str, out: TextIO) -> int:
    choice = choose_port(preferred)
    if choice.busy:
        out.write(
            f"PORT {preferred} IS TAKEN ({choice.busy}): another program listens on it; {what} uses port "
            f"{choice.port} instead, so its URL below differs (stop that program or pass {option})\n"
        )
    return choice.port


def _stack_options(
    settings: Settings, options: DemoOptions, ports: DemoPorts, data_dir: Path, connection: redis.Redis, out: TextIO
) -> StackOptions:
    """The emulator (seeded with the demo company) and the web service as processes, a worker and the
    scheduler; the demo OKRs applied, the webhook registered, a full resync shown with a progress bar."""
    port = ports.web
    return StackOptions(
        emulator=_emulator_options(options, ports.emulator),
        redis=RedisOptions(connection=connection, url_for_processes=settings.redis_url or None),
        web=WebOptions(mode="process", host=options.host, port=port, arguments=("--workers", "1")),
        data_dir=data_dir,
        user=DEMO_USER,
        token="demo",
        webhook_secret=_secret(settings),
        env=_demo_env(settings, f"http://{options.host}:{port}"),
        config_text=_demo_config(date.today()),
        config_source=str(DEMO_CONFIG),
        config_author="demo",
        learn_jira_facts=True,
        resync=lambda runtime: _resync_shown(runtime, out),
        install_runtime=True,
        scheduler=("scheduler", "--interval", "2", "--recompute-every", "60", "--reconcile-every", "120"),
        log=data_dir / "demo.log",
        new_session=True,
        stop_timeout=20,
    )


def _emulator_options(options: DemoOptions, port: int) -> EmulatorOptions:
    return EmulatorOptions(
        scenario=demo_scenario(options.seed),
        flavor=None,
        knobs={"webhook_retry_delays_s": [0.2, 0.5, 1, 2]},
        confluence=True,
        as_process=True,
        port=port,
        scenario_file="demo-scenario.json",
    )


def _secret(settings: Settings) -> str:
    return settings.webhook_secret.get_secret_value() if settings.webhook_secret else "demo-" + secrets.token_hex(8)


def _demo_env(settings: Settings, public_url: str) -> dict[str, str]:
    token = settings.admin_token.get_secret_value() if settings.admin_token else "demo-admin-" + secrets.token_hex(6)
    return {
        "OKRSYNC_ADMIN_TOKEN": token,
        "OKRSYNC_PUBLIC_URL": public_url,
        "OKRSYNC_PAGES_INTERVAL_SECONDS": "5",
        "OKRSYNC_CHECKIN_HOLD_SECONDS": "0",  # a check-in follows a new health at once: no clock decides it
        "OKRSYNC_CHECKIN_MIN_INTERVAL_SECONDS": "0",  # each change of health its comment, however close the last
        "OKRSYNC_LOG_LEVEL": settings.log_level,
    }


def _resync_shown(runtime: Runtime, out: TextIO) -> SyncReport:
    """A full resync with a progress bar, then the readings the data pipeline pushed before today."""
    out.write("resync: reading the demo company's Jira into the mirror\n")
    bar = ProgressBar(stream=out)
    report = resync(runtime, full=True, progress=bar.update)
    bar.close()
    out.write(f"resync: {report.seen} issues in {report.seconds:.1f}s\n")
    _seed_measurements(runtime)
    _read_warehouse(runtime, out)
    return report


def _read_warehouse(runtime: Runtime, out: TextIO) -> None:
    """The warehouse's metrics read once before the first evaluation, their daily rows into the history
    (so the first evaluation sees the payment success KPI out of band for days already)."""
    refreshed = refresh_sql_metrics(runtime, force=True)
    for metric_id, reason in refreshed.failed.items():
        out.write(f"warehouse: {metric_id} not read: {reason}\n")
    out.write(f"warehouse: {', '.join(refreshed.refreshed) or 'nothing'} read from the demo's SQLite warehouse\n")


def _seed_measurements(runtime: Runtime) -> None:
    """What the data pipeline pushed before today: the last few weekly readings."""
    now = datetime.now(UTC)
    for weeks_ago, conversion, nps in ((3, 2.42, 31.5), (2, 2.47, 32.0), (1, 2.51, 33.5)):
        at = now - timedelta(weeks=weeks_ago)
        for metric, value in (("checkout_conversion", conversion), ("nps", nps)):
            runtime.measurements.add(Measurement(metric=metric, value=value, at=at, source="demo pipeline"))


def _demo_config(today: date) -> str:
    """The demo's okrs.yaml with this quarter's dates, and last quarter's (a cycle already closed)."""
    start, end = _quarter_of(today)
    last_start, last_end = _quarter_of(start - timedelta(days=1))
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    for name, day in (("LAST_START", last_start), ("LAST_END", last_end), ("CYCLE_START", start), ("CYCLE_END", end)):
        text = text.replace(name, day.isoformat())
    return text


def _quarter_of(day: date) -> tuple[date, date]:
    """The first and the last day of the calendar quarter ``day`` lies in."""
    start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    following = date(start.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
    return start, following - timedelta(days=1)


def play(stack: LocalStack, options: DemoOptions, played: list[str], out: TextIO) -> None:
    """The activity: ``duration / pace`` actions (the same ones for the same seed), or until Ctrl-C.
    After each action the service finishes what it caused (page writes waiting out their interval
    aside) before the next one, so what it writes is a function of the story, not of timing."""
    activity = DemoActivity(stack.runtime, stack.jira_url, options.seed)
    steps = _steps(options)
    while steps is None or len(played) < steps:
        started = time.monotonic()
        stack.check()
        try:
            line = activity.step()
        except Exception as exc:  # a demo action failing must not end the demo
            line = f"(an action failed: {exc})"
        played.append(line)
        out.write(f"{datetime.now():%H:%M:%S}  {line}\n")
        out.flush()
        _settle(stack, out, "this action", STEP_SETTLE_SECONDS, pages=False)
        # the demo's pace: a person's next action comes no sooner than this after the last
        time.sleep(max(0.0, options.pace - (time.monotonic() - started)))


def _steps(options: DemoOptions) -> int | None:
    """How many actions a bounded demo plays: a count, not a clock, so two runs play the same ones."""
    if options.duration is None:
        return None
    return max(1, round(options.duration / max(options.pace, MIN_PACE)))


def _settle(stack: LocalStack, out: TextIO, what: str, seconds: float, pages: bool = True) -> bool:
    """Wait for the service to finish the work of ``what``; said in one line when it does not in time."""
    settling = stack.settle(seconds, pages=pages)
    if not settling.settled:
        out.write(f"(the service had not finished {what} after {seconds:g} s: still {settling.waiting})\n")
    return settling.settled


def finish(stack: LocalStack, played: list[str], out: TextIO, seconds: float) -> DemoSummary | None:
    """The summary, once the service has finished the story's work (every page written too)."""
    try:
        settled = _settle(stack, out, "the story's work", seconds)
        summary = read_summary(stack.runtime, len(played), settled)
    except StackError:  # stopped before the stack was up: nothing to sum up
        return None
    out.write("\n" + "\n".join(summary.lines()) + "\n")
    out.write(_issue_pages(stack.jira_url, _service_checkins(stack.runtime, SHOWN_KR_ISSUE)))
    return summary


def _service_checkins(runtime: Runtime, key: str) -> int | str:
    """How many comments on ``key`` are the service's check-ins (they carry its check-in comment
    property), or why they could not be read."""
    try:
        comments = list(configured_jira(runtime).comments(key))
    except ConnectorError as exc:
        return str(exc)
    return sum(1 for comment in comments if property_value(comment, CHECKIN_PROPERTY) is not None)


def _issue_pages(emulator_url: str, checkins: int | str) -> str:
    """The issues to open in the emulated Jira's issue view: what a team member sees there."""
    if isinstance(checkins, str):
        said = f"its comments could not be read: {checkins}"
    elif checkins:
        said = f"{checkins} check-in comment(s) by the service: its health as SEV1 incidents open and close"
    else:
        said = "no check-in comment by the service yet: it comments when the KR's health changes"
    return (
        f"  a contributor epic:    {emulator_url}/browse/{SHOWN_EPIC}   (its KR links, health and status fields)\n"
        f"  a KR issue:            {emulator_url}/browse/{SHOWN_KR_ISSUE}   ({said})\n"
        f"  people's check-ins:    {emulator_url}/browse/{PEOPLE_CHECKIN_ISSUE}   (their `/checkin` comments on a KR)\n"
    )


def _print_where_to_look(out: TextIO, public_url: str, emulator_url: str, env: dict[str, str], data_dir: Path) -> None:
    out.write(
        "\nOKR Sync is running on the demo company. Where to look:\n"
        f"  admin pages       {public_url}/admin/   (sign in with the token {env['OKRSYNC_ADMIN_TOKEN']})\n"
        f"  Confluence pages  {emulator_url}/view/   (the emulated Confluence: Company OKRs, "
        "Checkout & Payments OKRs, Platform problem review)\n"
        f"  Jira issues       {emulator_url}/browse/{SHOWN_EPIC}   {emulator_url}/browse/{SHOWN_KR_ISSUE}   "
        f"{emulator_url}/browse/{PEOPLE_CHECKIN_ISSUE}   (a contributor epic, a KR issue with the service's "
        "check-ins and one with people's, as Jira shows them)\n"
        f"  status property   {emulator_url}/rest/api/2/issue/{SHOWN_EPIC}/properties/okrsync.status\n"
        f"  searchable health {emulator_url}/rest/api/3/search/jql?jql=%22OKR%20health%22%3D%22Off%20track%22   "
        "(the off-track epics and KR issues)\n"
        f"  health, metrics   {public_url}/readyz   {public_url}/metrics\n"
        f"  logs              {data_dir / 'demo.log'}\n"
        "Activity follows; Ctrl-C stops everything.\n\n"
    )
    out.flush()

"""The whole product assembled on one machine: the emulator as Jira (and Confluence), Redis, the web
service on a real port, the configuration applied, the webhook registered, the mirror filled by a
resync, and ``okrsync worker`` / ``okrsync scheduler`` processes. The demo, the benchmarks and the
end-to-end tests all start it from a ``StackOptions``; everything it started is stopped by ``stop()``.

Order of the steps: data directory, Redis, emulator, the service's settings, runtime, configuration,
Jira facts (optional), webhook, resync, web service, worker, scheduler."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

import redis

from okrsync.ops import apply_config_text, learn_jira_facts, register_webhook
from okrsync.redis_store import embedded_redis, stop_embedded_redis
from okrsync.runtime_builder import build_runtime
from okrsync.settings import SQL_URL_PREFIX, SQL_URL_SUFFIX, Settings
from sync.idle import is_idle, pending_work
from sync.reconcile import SyncReport, resync
from sync.runtime import Runtime, forget_runtimes, install_runtime

OKRSYNC = str(Path(sys.executable).parent / "okrsync")
SOCKET = "unix socket"  # RedisOptions.url_for_processes: the connection's own unix socket
HOST = "127.0.0.1"
SETTLE_POLL_SECONDS = 0.1  # between two looks at whether the stack is quiet
RequestHook = Callable[[], Any]
T = TypeVar("T")


class StackError(RuntimeError):
    """A part of the stack did not start, or a process of it stopped."""


@dataclass(frozen=True)
class EmulatorOptions:
    """The emulated Atlassian site; ``scenario`` None means a real Jira at ``StackOptions.jira_url``."""

    scenario: Mapping[str, Any] | None = None
    flavor: str | None = "cloud"  # None: the scenario's own, else cloud
    knobs: Mapping[str, Any] = field(default_factory=dict)
    confluence: bool = False  # the service is given the emulator's Confluence too
    before_request: Callable[[Any], RequestHook] | None = None  # made from the emulator, run before each request
    as_process: bool = False  # `okrsync emulator` as a process instead of werkzeug threads in this one
    port: int = 0  # 0: any free port
    scenario_file: str = "scenario.json"  # as_process: where the scenario is written in the data directory


@dataclass(frozen=True)
class RedisOptions:
    """A given connection, or an embedded Redis in ``embedded_dir`` (relative: in the data directory)."""

    connection: redis.Redis | None = None
    embedded_dir: Path | None = None
    url_for_processes: str | None = SOCKET  # None: the processes find the embedded Redis in the data directory


@dataclass(frozen=True)
class WebOptions:
    """The web service: the app on werkzeug threads in this process, or `okrsync serve` as a process."""

    mode: Literal["thread", "process"] = "thread"
    host: str = HOST
    port: int = 0  # 0: any free port
    arguments: Sequence[str] = ()  # more arguments of `okrsync serve`
    quiet_http_log: bool = False  # no werkzeug access line per request


@dataclass(frozen=True)
class StackOptions:
    """Everything a LocalStack is made of; the defaults are the smallest stack with a worker."""

    emulator: EmulatorOptions = field(default_factory=EmulatorOptions)
    redis: RedisOptions = field(default_factory=RedisOptions)
    web: WebOptions = field(default_factory=WebOptions)
    data_dir: Path | None = None  # None: a temporary directory, removed by stop()
    jira_url: str | None = None  # a real Jira instead of the emulator
    site: tuple[Any, str] | None = None  # an emulator already running, (emulator, its URL); not stopped here
    user: str = "admin@acme.example"
    token: str = "any"
    webhook_secret: str = "local-stack"
    env: Mapping[str, str] = field(default_factory=dict)  # more OKRSYNC_* variables for the service
    config_text: str | None = None  # okrs.yaml; None: nothing applied, no webhook, no resync
    config_source: str | None = None  # None: written to <data dir>/okrs.yaml and applied from there
    config_author: str = "local-stack"
    learn_jira_facts: bool = False
    resync: Callable[[Runtime], SyncReport] | None = None  # None: sync.reconcile.resync(runtime)
    install_runtime: bool = False  # jobs run in this process use the stack's runtime
    worker: Sequence[str] | None = ("worker",)  # the worker's command line; None: no worker
    scheduler: Sequence[str] | None = None  # e.g. ("scheduler", "--interval", "1"); None: no scheduler
    log: Path | None = None  # where the processes write; None: nowhere
    cwd: Path | None = None  # the processes' working directory
    new_session: bool = False  # the processes in a session of their own (Ctrl-C reaches only this one)
    stop_timeout: float = 30.0  # seconds between SIGTERM and SIGKILL
    ready_timeout: float = 60.0  # seconds a process-hosted emulator or web service has to answer


@dataclass(frozen=True)
class Settling:
    """What ``LocalStack.settle`` saw last: ``settled``, else what was still pending (``waiting``)."""

    settled: bool
    waiting: str = "idle"
    published: int = 0  # the site's webhook deliveries published by then


@dataclass
class Launched:
    name: str
    process: subprocess.Popen[bytes]


class LocalStack:
    """Start with ``start()`` or ``with LocalStack(options) as stack``; see the module's docstring."""

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.data_dir = options.data_dir or Path(tempfile.gettempdir())  # a directory of its own in start()
        self._connection: redis.Redis | None = None
        self.emulator: Any = None
        self.request_hook: RequestHook | None = None
        self.jira_url = options.jira_url or ""
        self.url = ""
        self.env: dict[str, str] = {}
        self._settings: Settings | None = None
        self._runtime: Runtime | None = None
        self.resync_report: SyncReport | None = None
        self.launched: list[Launched] = []
        self._servers: list[Any] = []
        self._temporary_dir: Path | None = None
        self._own_redis = False
        self._web_server: Any = None
        self._app: Any = None
        self._site: RunningEmulator | None = None

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> LocalStack:
        """Every step in order; on a failure what was started is stopped and the error raised."""
        try:
            self._quiet_http_log()
            self._prepare_data_dir()
            self._start_redis()
            self._start_emulator()
            self._prepare_service()
            self._configure()
            self._start_web()
            self._start_processes()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def connection(self) -> redis.Redis:
        return _started(self._connection, "Redis")

    @property
    def settings(self) -> Settings:
        """The service's settings, as its processes read them from ``env``."""
        return _started(self._settings, "the service's settings")

    @property
    def runtime(self) -> Runtime:
        """The jobs' runtime on the stack's Redis, Jira and Confluence (for a test or a benchmark to read)."""
        return _started(self._runtime, "the runtime")

    # -------------------------------------------------------------------------------- the steps

    def _prepare_data_dir(self) -> None:
        if self.options.data_dir is None:
            self.data_dir = self._temporary_dir = Path(tempfile.mkdtemp(prefix="okrsync-stack-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)

    def _start_redis(self) -> None:
        given = self.options.redis.connection
        if given is not None:
            self._connection = given
            return
        self._connection = embedded_redis(self.data_dir / (self.options.redis.embedded_dir or ""))
        self._own_redis = True

    def _start_emulator(self) -> None:
        options = self.options.emulator
        if self.options.site is not None:
            self.emulator, self.jira_url = self.options.site
        elif options.scenario is None and not self.jira_url:
            raise StackError("no emulator scenario and no Jira URL: the stack has no Jira")
        elif options.scenario is None:
            return
        elif options.as_process:
            self._launch_emulator(options)
        else:
            self._site = start_emulator(options)
            self.emulator, self.jira_url, self.request_hook = self._site.emulator, self._site.url, self._site.hook

    def _launch_emulator(self, options: EmulatorOptions) -> None:
        scenario = self.data_dir / options.scenario_file
        scenario.write_text(json.dumps(options.scenario))
        self.jira_url = f"http://{HOST}:{free_port(options.port)}"
        port = self.jira_url.rsplit(":", 1)[1]
        self.launch("emulator", ["emulator", "--port", port, "--scenario", str(scenario), *_emulator_knobs(options)])
        self._wait_up(self.jira_url + "/_emulator/health", "the emulator")

    def _prepare_service(self) -> None:
        self.url = self._reserve_web()
        self.env = self._service_env()
        self._settings = settings_from_env(self.env)
        self._runtime = build_runtime(self._settings, self.connection)
        self._runtime.sql_urls = {**self._runtime.sql_urls, **sql_connection_urls_in(self.env)}
        if self.options.install_runtime:
            install_runtime(self._runtime)

    def _reserve_web(self) -> str:
        """The web service's URL: for threads, its socket bound now (the app arrives in _start_web)."""
        web = self.options.web
        if web.mode == "process":
            return f"http://{web.host}:{free_port(web.port)}"
        self._web_server = bind(self._web_app, web.host, web.port)
        return f"http://{web.host}:{self._web_server.server_port}"

    def _web_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        assert self._app is not None, "a request before the web app was made"
        return self._app(environ, start_response)

    def _service_env(self) -> dict[str, str]:
        options = self.options
        env = {
            "OKRSYNC_WEBHOOK_SECRET": options.webhook_secret,
            "OKRSYNC_JIRA_URL": self.jira_url,
            "OKRSYNC_JIRA_USER": options.user,
            "OKRSYNC_JIRA_TOKEN": options.token,
            "OKRSYNC_DATA_DIR": str(self.data_dir),
        }
        if options.emulator.confluence:
            env["OKRSYNC_CONFLUENCE_URL"] = self.jira_url + "/wiki"
            env["OKRSYNC_CONFLUENCE_USER"] = options.user
            env["OKRSYNC_CONFLUENCE_TOKEN"] = options.token
        redis_url = self._redis_url_for_processes()
        if redis_url:
            env["OKRSYNC_REDIS_URL"] = redis_url
        return {**env, **options.env}

    def _redis_url_for_processes(self) -> str | None:
        wanted = self.options.redis.url_for_processes
        if wanted != SOCKET:
            return wanted
        path = self.connection.connection_pool.connection_kwargs.get("path")
        return f"unix://{path}" if path else None

    def _configure(self) -> None:
        """The configuration applied, the Jira facts learnt, the webhook registered, the mirror filled."""
        options, runtime = self.options, self.runtime
        if options.config_text is None:
            return
        source = options.config_source
        if source is None:
            path = self.data_dir / "okrs.yaml"
            path.write_text(options.config_text, encoding="utf-8")
            source = str(path)
        apply_config_text(runtime, options.config_text, options.config_author, source)
        if options.learn_jira_facts:
            learn_jira_facts(runtime)
        register_webhook(runtime, f"{self.url}/webhooks/jira")
        self.resync_report = (options.resync or resync)(runtime)

    def _start_web(self) -> None:
        web = self.options.web
        port = self.url.rsplit(":", 1)[1]
        if web.mode == "process":
            self.launch("web", ["serve", "--host", web.host, "--port", port, *web.arguments])
            self._wait_up(self.url + "/healthz", "the web service")
            return
        from okrsync.app import create_app

        self._app = create_app(self.settings, connection=self.connection)
        run_in_thread(self._web_server)
        self._servers.append(self._web_server)
        self._quiet_http_log()  # again: the app factory may have reset it

    def _quiet_http_log(self) -> None:
        if self.options.web.quiet_http_log:
            logging.getLogger("werkzeug").setLevel(logging.ERROR)  # an access line per call drowns the output

    def _start_processes(self) -> None:
        if self.options.worker is not None:
            self.launch("worker", list(self.options.worker))
        if self.options.scheduler is not None:
            self.launch("scheduler", list(self.options.scheduler))

    # -------------------------------------------------------------------------------- processes

    def launch(self, name: str, arguments: Sequence[str]) -> subprocess.Popen[bytes]:
        """``okrsync <arguments>`` with the stack's environment, writing to the stack's log."""
        options = self.options
        process = launch_okrsync(arguments, self.env, options.log, options.cwd, options.new_session)
        self.launched.append(Launched(name, process))
        return process

    def process(self, name: str) -> subprocess.Popen[bytes] | None:
        """The last process launched under this name."""
        found = [launched.process for launched in self.launched if launched.name == name]
        return found[-1] if found else None

    def check(self) -> None:
        """Raises StackError when a process of the stack has stopped."""
        for launched in self.launched:
            if launched.process.poll() is not None:
                raise StackError(
                    f"the {launched.name} process stopped (exit {launched.process.returncode}); see its log"
                )

    def stop_process(self, process: subprocess.Popen[bytes]) -> None:
        """SIGTERM (a worker finishes its job), then SIGKILL after the stop timeout."""
        stop_processes([process], self.options.stop_timeout)

    # -------------------------------------------------------------------------------- questions

    def idle(self) -> bool:
        """Every delivery made (the emulator's dispatcher is idle) and nothing left for the service to do."""
        deliveries_done = self.emulator is None or bool(self.emulator.dispatcher.idle())
        return deliveries_done and is_idle(self.connection, self.settings.queue_name)

    def deliveries(self) -> tuple[bool, int]:
        """The emulated Jira's webhooks: (none waiting or in flight, how many were published so far);
        a real Jira's cannot be seen, (True, 0)."""
        if self.emulator is not None:
            idle, published = self.emulator.dispatcher.state()
            return bool(idle), int(published)
        if self.options.emulator.scenario is None:
            return True, 0
        url = self.jira_url + "/_emulator/deliveries/state"
        try:
            with urllib.request.urlopen(url, timeout=10) as answer:
                state = json.load(answer)
        except OSError as exc:
            raise StackError(f"the emulator did not answer {url} ({exc}); see its log") from None
        return bool(state["idle"]), int(state["published"])

    def settle(self, seconds: float = 60.0, pages: bool = True) -> Settling:
        """Wait until the site has made every webhook delivery and the service has nothing left to do
        (``pages`` False: page writes waiting out their interval aside). Quiet must be seen on two polls
        in a row with no delivery published in between: a job an RQ worker has just taken is, for an
        instant, neither queued nor started, and a write's webhook is published before it is delivered."""
        deadline = time.monotonic() + seconds
        last = Settling(False, "not polled yet")
        while True:
            poll = self._quiet_poll(pages)
            if poll.settled and last.settled and poll.published == last.published:
                return poll
            if time.monotonic() > deadline:
                return poll
            last = poll
            time.sleep(SETTLE_POLL_SECONDS)

    def _quiet_poll(self, pages: bool) -> Settling:
        """One look: the site's deliveries before and after the service's pending work."""
        idle_before, published = self.deliveries()
        pending = pending_work(self.connection, self.settings.queue_name)
        if not pages:
            pending = replace(pending, pages=0)
        idle_after, published_after = self.deliveries()
        if not (idle_before and idle_after and published == published_after):
            return Settling(False, "webhook deliveries in flight", published_after)
        return Settling(pending.idle, pending.describe(), published)

    # -------------------------------------------------------------------------------- stopping

    def stop(self) -> None:
        """Every process (SIGTERM, then SIGKILL), the servers, the emulator, an own Redis and data directory."""
        stop_processes([launched.process for launched in reversed(self.launched)], self.options.stop_timeout)
        self.launched.clear()
        if self._site is not None:
            self._site.stop()
            self._site = None
        for server in self._servers:
            server.shutdown()
        self._servers.clear()
        if self._web_server is not None:
            self._web_server.server_close()  # also when it never served (a step before it failed)
            self._web_server = None
        if self.options.install_runtime:
            forget_runtimes()
        self._release_storage()

    def _release_storage(self) -> None:
        if self._own_redis and self._connection is not None:
            stop_embedded_redis(self._connection)
            self._connection, self._own_redis = None, False
        if self._temporary_dir is not None:
            shutil.rmtree(self._temporary_dir, ignore_errors=True)
            self._temporary_dir = None

    # -------------------------------------------------------------------------------- helpers

    def _wait_up(self, url: str, what: str) -> None:
        seconds = self.options.ready_timeout
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.check()
            if _answers(url):
                return
            time.sleep(0.2)
        raise StackError(f"{what} did not come up at {url} within {seconds:.0f}s")


def serve(app: Any, host: str = HOST, port: int = 0) -> tuple[Any, str]:
    """A threaded werkzeug server for ``app`` on ``host``, serving on a daemon thread; and its URL."""
    server = bind(app, host, port)
    run_in_thread(server)
    return server, f"http://{host}:{server.server_port}"


def bind(app: Any, host: str = HOST, port: int = 0) -> Any:
    """A threaded werkzeug server for ``app``, its socket bound (0: any free port), not serving yet."""
    from werkzeug.serving import make_server

    return make_server(host, port, app, threaded=True)


def run_in_thread(server: Any) -> None:
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()


@dataclass
class RunningEmulator:
    """The emulator's app on werkzeug threads in this process: its state, URL and request hook."""

    emulator: Any
    url: str
    server: Any
    hook: RequestHook | None = None

    def stop(self) -> None:
        self.server.shutdown()
        self.emulator.dispatcher.stop()


def start_emulator(options: EmulatorOptions, host: str = HOST) -> RunningEmulator:
    """The emulated site of ``options`` on a real port (``options.port``, 0: any free one)."""
    from emulator.app import create_emulator

    app = create_emulator(dict(options.scenario or {}), flavor=options.flavor, knobs=dict(options.knobs))
    emulator = app.extensions["emulator"]
    hook = options.before_request(emulator) if options.before_request is not None else None
    if hook is not None:
        app.before_request(hook)
    server, url = serve(app, host, options.port)
    return RunningEmulator(emulator, url, server, hook)


def launch_okrsync(
    arguments: Sequence[str],
    env: Mapping[str, str],
    log: Path | None = None,
    cwd: Path | None = None,
    new_session: bool = False,
) -> subprocess.Popen[bytes]:
    """``okrsync <arguments>`` with this environment (its OKRSYNC_* variables replaced by ``env``'s),
    its output appended to ``log`` (None: discarded)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    output: IO[bytes] | int = open(log, "ab") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [OKRSYNC, *arguments],
            env={**inherited, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=new_session,
        )
    finally:
        if not isinstance(output, int):
            output.close()


def stop_processes(processes: Sequence[subprocess.Popen[Any]], timeout: float = 30.0) -> list[subprocess.Popen[Any]]:
    """SIGTERM to every process still running, then each one waited for; SIGKILL after ``timeout``.
    Returns the processes that had to be killed."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.send_signal(signal.SIGTERM)
    killed = []
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
            killed.append(process)
    return killed


@dataclass(frozen=True)
class PortChoice:
    """The port to use; ``busy`` says why the preferred one was not (empty: it was free, or none was)."""

    port: int
    preferred: int = 0
    busy: str = ""


def choose_port(preferred: int = 0) -> PortChoice:
    """``preferred`` when nothing listens on it on 127.0.0.1 (0: none preferred), else any free port.
    The probe binds with SO_REUSEADDR, as the servers do, so a port in TIME_WAIT after a restart is kept."""
    busy = ""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError as exc:
                busy = exc.strerror or str(exc)
                continue
            return PortChoice(int(probe.getsockname()[1]), preferred, busy)
    raise StackError(f"no free port on {HOST}")


def free_port(preferred: int = 0) -> int:
    """``preferred`` when it is free on 127.0.0.1 (0: none preferred), else any free port."""
    return choose_port(preferred).port


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """The service's settings from ``OKRSYNC_*`` variables (and the environment), with no ``.env`` file."""
    build: Callable[..., Settings] = Settings  # its fields parse the strings, as they do the environment's
    values = {k.removeprefix("OKRSYNC_").lower(): v for k, v in env.items() if k.startswith("OKRSYNC_")}
    return build(**values, _env_file=None)


def sql_connection_urls_in(env: Mapping[str, str]) -> dict[str, str]:
    """The ``OKRSYNC_SQL_<NAME>_URL`` variables among the stack's: its processes and its own runtime read them."""
    return {k: v for k, v in env.items() if k.startswith(SQL_URL_PREFIX) and k.endswith(SQL_URL_SUFFIX) and v}


def _started(part: T | None, what: str) -> T:
    if part is None:
        raise StackError(f"{what}: the stack is not started (or already stopped)")
    return part


def _emulator_knobs(options: EmulatorOptions) -> list[str]:
    """The command-line arguments of `okrsync emulator` for the knobs (only the webhook retry delays)."""
    knobs = dict(options.knobs)
    delays = knobs.pop("webhook_retry_delays_s", None)
    if knobs:
        raise StackError(f"knobs {sorted(knobs)} are not passed to an emulator process")
    arguments = ["--flavor", options.flavor] if options.flavor else []
    if delays is not None:
        arguments += ["--webhook-retry-delays", ",".join(f"{delay:g}" for delay in delays)]
    return arguments


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False

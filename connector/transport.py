"""The one place every Jira and Confluence call goes through.

``Transport.call`` runs one client call under the retry policy, counts every attempt in CallStats
and turns whatever ``requests`` or the client raised into the connector's exception tree. The ports
(jira.py, confluence.py) only say which client method to call and how to read its answer.

``client_options`` builds the keyword arguments for ``atlassian.Jira`` / ``atlassian.Confluence``:
credentials on the shared session, and the client's own retry loops switched off — a second retry
layer would sleep behind our back and break the total-wait bound.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from atlassian.errors import ApiError

from connector.errors import (
    AuthError,
    BadRequest,
    Conflict,
    ConnectorError,
    NotFound,
    RateLimited,
    SetupError,
    Unavailable,
)
from connector.retry import Failure, FailureKind, RetryPolicy, parse_retry_after
from connector.stats import CallStats, outcome_of_status

log = logging.getLogger(__name__)

T = TypeVar("T")
SERVER_TEXT_LIMIT = 500
SYSTEM_NAMES = {"jira": "Jira", "confluence": "Confluence"}


@dataclass(frozen=True)
class Credentials:
    """Who the port calls as; ``env_prefix`` names the variables an error message tells to fix."""

    user: str | None
    token: str | None
    env_prefix: str  # "OKRSYNC_JIRA" or "OKRSYNC_CONFLUENCE"

    def check(self) -> None:
        if self.user and not self.token:
            raise SetupError(
                f"{self.env_prefix}_USER is set but {self.env_prefix}_TOKEN is not: set "
                f"{self.env_prefix}_TOKEN to an API token (Cloud) or unset {self.env_prefix}_USER "
                "and use a personal access token (Data Center)"
            )


def check_url(url: str, env_prefix: str) -> None:
    """Refuse a site URL that could never work, before any call is retried against it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SetupError(
            f"{env_prefix}_URL must be the site's http(s) address, e.g. https://acme.atlassian.net; "
            f"got {url.rsplit('@', 1)[-1]!r}"
        )  # never echo user:password@
    if parts.username or parts.password:
        raise SetupError(
            f"{env_prefix}_URL must not carry credentials: put them in {env_prefix}_USER and {env_prefix}_TOKEN"
        )


def client_options(
    client_class: type, credentials: Credentials, timeout: float, session: requests.Session | None
) -> dict[str, Any]:
    """Constructor arguments for an atlassian-python-api client: Basic auth when a user is set, else Bearer.

    Retry switches are passed only if the installed client version knows them.
    """
    credentials.check()
    options: dict[str, Any] = {"timeout": timeout, "session": session}
    if credentials.user:
        options.update(username=credentials.user, password=credentials.token)
    elif credentials.token:
        options["token"] = credentials.token
    accepted = _constructor_parameters(client_class)
    for name, value in (("backoff_and_retry", False), ("retry_with_header", False)):
        if name in accepted:
            options[name] = value
    return options


def keep_exact_timeout(client: Any, timeout: float) -> None:
    """The client rounds its timeout down to whole seconds (0.5 s would become an invalid 0); undo that.

    ``Confluence`` is a facade over the client doing the calls (``_impl``); the timeout must reach that one.
    """
    target = getattr(client, "_impl", None) or client
    target.timeout = timeout


def _constructor_parameters(client_class: type) -> set[str]:
    names: set[str] = set()
    for klass in inspect.getmro(client_class):
        init = klass.__dict__.get("__init__")
        if init is not None:
            names.update(inspect.signature(init).parameters)
    return names


@dataclass(frozen=True)
class Problem:
    """A failed attempt, read once: what happened, where, and what the server said."""

    status: int | None
    method: str
    path: str
    server_text: str
    retry_after: float | None
    read_timed_out: bool = False  # the request went out; a write may have landed
    client_refused: bool = False  # the client raised without an HTTP cause: nothing to retry

    @property
    def outcome(self) -> str:
        return outcome_of_status(self.status)

    def failure(self, idempotent: bool) -> Failure:
        if self.client_refused:
            return Failure(FailureKind.FINAL)
        if self.status == 429:
            return Failure(FailureKind.RATE_LIMITED, self.retry_after)
        if self.status is None or self.status >= 500:
            if self.read_timed_out and not idempotent:
                return Failure(FailureKind.FINAL)
            return Failure(FailureKind.UNAVAILABLE, self.retry_after)
        return Failure(FailureKind.FINAL)


@dataclass(frozen=True)
class Spent:
    """What a call spent before it gave up: attempts, seconds waiting between them, seconds in all."""

    attempts: int
    waited: float
    seconds: float

    def words(self) -> str:
        """ "6 attempts over 15.2 s" """
        return f"{self.attempts} attempt{'' if self.attempts == 1 else 's'} over {self.seconds:.1f} s"


class Transport:
    """Runs client calls for one system ("jira" or "confluence") under one policy and one CallStats;
    ``site`` (the base URL, never with credentials) is named when the site cannot be reached."""

    def __init__(
        self, system: str, credentials: Credentials, policy: RetryPolicy, stats: CallStats, site: str = ""
    ) -> None:
        self.system = system
        self.credentials = credentials
        self.policy = policy
        self.stats = stats
        self.site = site

    def call(self, operation: str, send: Callable[[], T], *, method: str, path: str, idempotent: bool = True) -> T:
        """``send()`` with retries; raises a ConnectorError subclass naming ``operation`` when it fails.

        ``method`` and ``path`` describe the request for messages when no response says otherwise.
        Non-idempotent writes (comments, new issues) are not retried after a timeout that may have
        reached the server: a duplicate comment is worse than a rescheduled job.
        """
        attempts, waited, started = 0, 0.0, time.monotonic()
        while True:
            attempts += 1
            try:
                result = send()
            except (requests.RequestException, ApiError) as exc:
                problem = read_problem(exc, method, path, self.policy.clock())
                self.stats.record_call(self.system, operation, problem.outcome)
                wait = self.policy.wait_before_retry(problem.failure(idempotent), attempts, waited)
                if wait is None:
                    spent = Spent(attempts, waited, max(waited, time.monotonic() - started))
                    raise self._error(operation, problem, spent, idempotent) from exc
                self._before_retry(operation, problem, wait)
                waited += wait
                continue
            self.stats.record_call(self.system, operation, "ok")
            return result

    def _before_retry(self, operation: str, problem: Problem, wait: float) -> None:
        log.info(
            "%s %s (%s %s) answered %s; retrying in %.2fs",
            self.system,
            operation,
            problem.method,
            problem.path,
            problem.status or "no response",
            wait,
        )
        self.stats.record_retry(wait)
        self.policy.sleep(wait)

    def _error(self, operation: str, problem: Problem, spent: Spent, idempotent: bool) -> ConnectorError:
        name = SYSTEM_NAMES.get(self.system, self.system)
        where = f"{name} {operation} ({problem.method} {problem.path})"
        said = f": {problem.server_text}" if problem.server_text else ""
        context: dict[str, Any] = {"status": problem.status, "method": problem.method, "url": problem.path}
        status = problem.status
        if problem.client_refused:
            return ConnectorError(f"{where} failed in the client{said}", **context)
        if status in (401, 403):
            return AuthError(self._auth_advice(where, status, said), **context)
        if status == 404:
            return NotFound(f"{where} found nothing (404){said}", **context)
        if status == 409:
            return Conflict(
                f"{where} conflicts with a newer version (409){said}; re-read it and apply the change again", **context
            )
        if status == 429:
            return RateLimited(
                f"{where} is still rate-limited after {spent.words()} ({spent.waited:.1f} s of "
                f"waiting){_hint(problem.retry_after)}; try again later or lower the call rate",
                retry_after=problem.retry_after,
                **context,
            )
        if status is not None and status < 500:
            return BadRequest(f"{where} was rejected ({status}){said}", **context)
        if problem.read_timed_out and not idempotent:
            return Unavailable(
                f"{where} timed out after the request was sent{said}; it may have been applied, so "
                "it was not repeated — re-read before writing again",
                **context,
            )
        return Unavailable(self._unavailable_message(operation, problem, spent, said), **context)

    def _auth_advice(self, where: str, status: int, said: str) -> str:
        prefix = self.credentials.env_prefix
        if status == 401:
            return (
                f"{where} refused the credentials (401){said}; check {prefix}_USER / {prefix}_TOKEN — on Cloud "
                f"the user is the account's email and the token an API token, on Data Center leave "
                f"{prefix}_USER unset and use a personal access token"
            )
        return (
            f"{where} is not allowed for this account (403){said}; grant the account in {prefix}_USER the "
            f"permission, or check {prefix}_USER / {prefix}_TOKEN name the intended account"
        )

    def _unavailable_message(self, operation: str, problem: Problem, spent: Spent, said: str) -> str:
        """ "Jira at https://acme.atlassian.net did not answer after 6 attempts over 15.2 s (myself, GET …)" """
        if problem.status:
            answer, advice = f"kept answering {problem.status}", ""
        elif problem.read_timed_out:
            answer, advice = "did not answer in time", "; the site is slow: try again later"
        else:
            answer, advice = "did not answer", f"; check {self.credentials.env_prefix}_URL and the network"
        name = SYSTEM_NAMES.get(self.system, self.system)
        site = f"{name} at {self.site}" if self.site else name
        request = f"{operation}, {problem.method} {problem.path}"
        return f"{site} {answer} after {spent.words()} ({request}){said}{advice}"


def _hint(retry_after: float | None) -> str:
    return f" (the server asked for {retry_after:.0f}s more)" if retry_after is not None else ""


def read_problem(exc: BaseException, method: str, path: str, now: float) -> Problem:
    """What a client exception says: status, request, server text, Retry-After; nothing secret."""
    cause = _http_cause(exc)
    if not isinstance(cause, requests.RequestException):
        return Problem(
            status=None,
            method=method,
            path=path,
            server_text=_shorten(str(cause)),
            retry_after=None,
            client_refused=True,
        )
    response = getattr(cause, "response", None)
    request = getattr(cause, "request", None) or getattr(response, "request", None)
    if request is not None and getattr(request, "url", None):
        method, path = str(request.method), urlsplit(str(request.url)).path
    if response is None:
        return Problem(
            status=None,
            method=method,
            path=path,
            server_text=_connection_reason(cause),
            retry_after=None,
            read_timed_out=isinstance(cause, requests.ReadTimeout),
        )
    return Problem(
        status=response.status_code,
        method=method,
        path=path,
        server_text=server_text(response),
        retry_after=parse_retry_after(response.headers.get("Retry-After"), now),
    )


def _http_cause(exc: BaseException) -> BaseException:
    """The ``requests`` exception behind a client ApiError (the client wraps some 404/403 answers)."""
    reason = getattr(exc, "reason", None)
    return reason if isinstance(reason, requests.RequestException) else exc


def server_text(response: requests.Response) -> str:
    """Jira's ``errorMessages`` and field ``errors``, or Confluence's ``message``, as one short line."""
    try:
        body = response.json()
    except ValueError:
        return _shorten(" ".join(response.text.split()))
    if not isinstance(body, dict):
        return _shorten(str(body))
    parts = [str(m) for m in body.get("errorMessages") or [] if m]
    errors = body.get("errors")
    if isinstance(errors, dict):
        parts += [f"{field}: {message}" for field, message in errors.items()]
    elif isinstance(errors, list):
        parts += [str(e.get("title") or e.get("message") or e) if isinstance(e, dict) else str(e) for e in errors]
    if not parts and body.get("message"):
        parts.append(str(body["message"]))
    return _shorten("; ".join(parts))


def _connection_reason(exc: BaseException) -> str:
    """ "[Errno 111] Connection refused" rather than a pool repr with object addresses."""
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", inner)
    text = str(reason).rsplit(": ", 1)[-1]
    return _shorten(f"{type(exc).__name__}: {text}")


def _shorten(text: str) -> str:
    return text if len(text) <= SERVER_TEXT_LIMIT else text[: SERVER_TEXT_LIMIT - 1] + "…"

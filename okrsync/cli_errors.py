"""What a failed ``okrsync`` command says: one sentence naming what to fix, and its exit code.

Exit 2 is for configuration and setup (a missing or malformed setting, no configuration applied, bad
arguments): running again changes nothing until it is fixed. Exit 1 is for the run itself (Jira or
Redis unreachable after the retries, an unexpected error): it may pass later. The traceback is only
shown with ``okrsync --debug`` or OKRSYNC_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import redis
from pydantic import ValidationError

from okrsync.redis_store import EmbeddedRedisError
from okrsync.settings import SettingsError

SETUP = 2
RUNTIME = 1

# The ops' RuntimeErrors that name a missing step rather than a failed run.
SETUP_MESSAGES = ("no configuration applied", "no Jira configured", "no mapped projects")


class CommandSetupError(Exception):
    """A command cannot run until something is set up; the message says what (exit 2)."""


@dataclass(frozen=True)
class CommandFailure:
    sentence: str
    exit_code: int


def debug_wanted(flag: bool) -> bool:
    """``--debug`` was given, or OKRSYNC_LOG_LEVEL asks for DEBUG."""
    return flag or os.environ.get("OKRSYNC_LOG_LEVEL", "").strip().upper() == "DEBUG"


def failure_of(exc: BaseException) -> CommandFailure:
    """The sentence and exit code for ``exc``; an error nobody foresaw still gets one sentence."""
    for describe in (_setup_failure, _connector_failure, _redis_failure, _runtime_failure):
        failure = describe(exc)
        if failure is not None:
            return failure
    return CommandFailure(
        f"unexpected {type(exc).__name__}: {_one_line(exc)} (run `okrsync --debug …` for the traceback)", RUNTIME
    )


def _setup_failure(exc: BaseException) -> CommandFailure | None:
    if isinstance(exc, SettingsError | CommandSetupError):
        return CommandFailure(str(exc), SETUP)
    if isinstance(exc, ValidationError):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return CommandFailure(f"invalid {exc.title}: {problems}", SETUP)
    return None


def _connector_failure(exc: BaseException) -> CommandFailure | None:
    """Settings that cannot work and refused credentials are setup; the rest happened during the run."""
    errors = sys.modules.get("connector.errors")  # not imported: the command never called Jira or Confluence
    if errors is None or not isinstance(exc, errors.ConnectorError):
        return None
    return CommandFailure(_one_line(exc), SETUP if isinstance(exc, errors.SetupError | errors.AuthError) else RUNTIME)


def _redis_failure(exc: BaseException) -> CommandFailure | None:
    if isinstance(exc, redis.AuthenticationError):
        return CommandFailure(f"Redis refused the credentials ({_one_line(exc)}); check OKRSYNC_REDIS_URL", SETUP)
    if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
        return CommandFailure(
            f"cannot reach Redis ({_one_line(exc)}); check OKRSYNC_REDIS_URL, or unset it for the embedded Redis",
            RUNTIME,
        )
    if isinstance(exc, redis.RedisError):
        return CommandFailure(f"Redis failed: {_one_line(exc)}", RUNTIME)
    if isinstance(exc, EmbeddedRedisError):
        return CommandFailure(_one_line(exc), RUNTIME)
    return None


def _runtime_failure(exc: BaseException) -> CommandFailure | None:
    if isinstance(exc, OSError) and exc.filename is not None:
        reason = exc.strerror or _one_line(exc)
        return CommandFailure(f"cannot use {exc.filename}: {reason}; check the path and its permissions", SETUP)
    if isinstance(exc, RuntimeError):
        text = _one_line(exc)
        return CommandFailure(text, SETUP if text.startswith(SETUP_MESSAGES) else RUNTIME)
    return None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

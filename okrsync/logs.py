"""Logging set-up: one line per record, with the logger name; secrets are never passed to it."""

from __future__ import annotations

import logging

import redis
from redis import exceptions

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Redis gone or not ready yet: what a restart looks like from a client (not a wrong password)
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (exceptions.ConnectionError, exceptions.TimeoutError)
NOT_AN_OUTAGE: tuple[type[BaseException], ...] = (
    exceptions.AuthenticationError,
    exceptions.AuthorizationError,
    exceptions.ExternalAuthProviderError,
)
# what the network under a Redis client raises on the way there (the cause of an outage error)
SOCKET_ERRORS: tuple[type[BaseException], ...] = (OSError, redis.RedisError)
OUTAGE_NAMES = (
    "redis.exceptions.ConnectionError",
    "redis.exceptions.TimeoutError",
    "redis.exceptions.BusyLoadingError",
)
SOCKET_NAMES = (
    *OUTAGE_NAMES,
    "ConnectionRefusedError",
    "ConnectionResetError",
    "BrokenPipeError",
    "FileNotFoundError",
    "TimeoutError",
    "socket.timeout",
    "OSError",
)
CHAIN_LINES = (
    "Traceback (most recent call last)",
    "During handling of the above exception",
    "The above exception was the direct cause",
)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level.upper(), format=FORMAT)
    else:
        root.setLevel(level.upper())
    worker_log = logging.getLogger("rq.worker")
    if not any(isinstance(f, RedisOutageInOneLine) for f in worker_log.filters):
        worker_log.addFilter(RedisOutageInOneLine())


class RedisOutageInOneLine(logging.Filter):
    """RQ reports a Redis that went away with a full traceback, from its work loop (``exc_info``) or
    as a failed job (the traceback inside the message). An outage is not a bug: keep the message and
    the error's last line, drop the stack. Any other error, or an outage met while handling another
    error, keeps its traceback; a record this cannot read is left as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._shorten(record)
        except Exception:  # noqa: BLE001 - a log filter must never break the logging call
            pass
        return True

    @staticmethod
    def _shorten(record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            if _is_outage(error):
                _one_line(record, f"{record.getMessage()} (Redis unreachable: {error})")
            return
        args = record.args if isinstance(record.args, tuple) else ()
        last = args[-1] if args else None
        if isinstance(last, str) and last.lstrip().startswith(CHAIN_LINES[0]) and _is_outage_text(last):
            record.args = (*args[:-1], f"(Redis unreachable: {last.strip().splitlines()[-1]})")
            _one_line(record, record.getMessage().replace("\n", " "))


def _is_outage(error: BaseException) -> bool:
    if not isinstance(error, OUTAGE_ERRORS) or isinstance(error, NOT_AN_OUTAGE):
        return False
    seen, cause = {id(error)}, error.__cause__ or error.__context__
    while cause is not None and id(cause) not in seen:
        if not isinstance(cause, SOCKET_ERRORS) or isinstance(cause, NOT_AN_OUTAGE):
            return False
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return True


def _is_outage_text(formatted: str) -> bool:
    """A formatted traceback whose last exception is an outage and whose earlier ones are socket errors."""
    lines = formatted.strip().splitlines()
    raised = [line for line in lines if line and not line[0].isspace() and not line.startswith(CHAIN_LINES)]
    return (
        bool(raised) and raised[-1].startswith(OUTAGE_NAMES) and all(line.startswith(SOCKET_NAMES) for line in raised)
    )


def _one_line(record: logging.LogRecord, message: str) -> None:
    record.msg, record.args = message, ()
    record.exc_info, record.exc_text = None, None

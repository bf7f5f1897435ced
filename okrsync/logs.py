"""Logging set-up: one line per record, with the logger name; secrets are never passed to it."""

from __future__ import annotations

import logging

import redis

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

OUTAGE_ERRORS = (redis.ConnectionError, redis.TimeoutError)
OUTAGE_NAMES = ("redis.exceptions.ConnectionError", "redis.exceptions.TimeoutError")


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
    the error's last line, drop the stack. Any other error keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, OUTAGE_ERRORS):
            _one_line(record, f"{record.getMessage()} (Redis unreachable: {error})")
            return True
        if isinstance(record.args, tuple) and record.args:
            last = record.args[-1]
            if isinstance(last, str) and "Traceback (most recent call last)" in last:
                final = last.strip().splitlines()[-1]
                if final.startswith(OUTAGE_NAMES):
                    record.args = (*record.args[:-1], f"(Redis unreachable: {final})")
                    _one_line(record, record.getMessage().replace("\n", " "))
        return True


def _one_line(record: logging.LogRecord, message: str) -> None:
    record.msg, record.args = message, ()
    record.exc_info, record.exc_text = None, None

"""A Redis outage reaches the log as one line per record; every other error keeps its traceback."""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator

import pytest
import redis

from okrsync.logs import FORMAT, RedisOutageInOneLine, configure_logging


@pytest.fixture
def worker_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    configure_logging("INFO")
    logger = logging.getLogger("rq.worker")  # the logger RQ's worker writes to
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    try:
        yield logger, out
    finally:
        logger.removeHandler(handler)


def _raised(error: Exception) -> tuple:  # type: ignore[type-arg]
    try:
        raise error
    except Exception:
        return sys.exc_info()


def _chained(first: Exception, then: Exception) -> Exception:
    """``then`` raised while ``first`` was being handled (its ``__context__``)."""
    try:
        try:
            raise first
        except Exception:
            raise then  # noqa: B904 -- the point: `then` keeps `first` as its context
    except Exception as error:
        return error


def _job_failure(logger: logging.Logger, error: Exception) -> None:
    """How RQ reports a job that raised: the formatted traceback is the message's last argument."""
    import traceback

    raised = (type(error), error, error.__traceback__) if error.__traceback__ else _raised(error)
    text = "".join(traceback.format_exception(*raised))
    logger.error("Worker %s: job %s: exception raised while executing (%s)\n%s", "w1", "j1", "sync.jobs.drain", text)


def test_work_loop_losing_redis_is_one_line(worker_log) -> None:
    logger, out = worker_log
    error = redis.ConnectionError("Error 111 connecting to /tmp/100%/redis.sock. Connection refused.")
    logger.error("Worker %s: found an unhandled exception, quitting...", "w1", exc_info=_raised(error))
    text = out.getvalue()
    assert "Traceback" not in text
    assert text.count("\n") == 1
    assert (
        "Worker w1: found an unhandled exception, quitting... (Redis unreachable: Error 111 connecting to "
        "/tmp/100%/redis.sock. Connection refused.)" in text
    )


def test_job_failing_on_a_redis_timeout_is_one_line(worker_log) -> None:
    logger, out = worker_log
    _job_failure(logger, redis.TimeoutError("Timeout reading from socket"))
    text = out.getvalue()
    assert "Traceback" not in text and text.count("\n") == 1
    assert (
        "Worker w1: job j1: exception raised while executing (sync.jobs.drain) "
        "(Redis unreachable: redis.exceptions.TimeoutError: Timeout reading from socket)"
    ) in text


@pytest.mark.parametrize("how", ["work loop", "job"])
def test_any_other_error_keeps_its_traceback(worker_log, how) -> None:
    logger, out = worker_log
    error = KeyError("okr_sets")
    if how == "job":
        _job_failure(logger, error)
    else:
        logger.error("Worker %s: found an unhandled exception, quitting...", "w1", exc_info=_raised(error))
    text = out.getvalue()
    assert "Traceback (most recent call last)" in text and "KeyError: 'okr_sets'" in text


def test_an_outage_met_while_handling_another_error_keeps_the_traceback(worker_log) -> None:
    logger, out = worker_log
    error = _chained(KeyError("okr_sets"), redis.ConnectionError("gone"))
    logger.error(
        "Worker %s: found an unhandled exception, quitting...", "w1", exc_info=(type(error), error, error.__traceback__)
    )
    _job_failure(logger, _chained(KeyError("okr_sets"), redis.ConnectionError("gone")))
    text = out.getvalue()
    assert text.count("Traceback (most recent call last)") == 4 and text.count("KeyError: 'okr_sets'") == 2


def test_a_wrong_password_keeps_its_traceback(worker_log) -> None:
    logger, out = worker_log
    logger.error(
        "Worker %s: found an unhandled exception, quitting...",
        "w1",
        exc_info=_raised(redis.AuthenticationError("invalid password")),
    )
    assert "Traceback (most recent call last)" in out.getvalue()


def test_redis_loading_its_data_after_a_restart_is_an_outage(worker_log) -> None:
    logger, out = worker_log
    _job_failure(logger, redis.BusyLoadingError("Redis is loading the dataset in memory"))
    assert "Traceback" not in out.getvalue() and "Redis unreachable" in out.getvalue()


def test_a_record_with_arguments_that_do_not_fit_reaches_logging_unchanged(worker_log) -> None:
    logger, _ = worker_log
    record = logger.makeRecord(
        "rq.worker", logging.ERROR, __file__, 1, "%s and %s", ("one",), _raised(redis.ConnectionError("gone"))
    )
    outage_filter = next(f for f in logger.filters if isinstance(f, RedisOutageInOneLine))
    assert outage_filter.filter(record) is True
    assert record.msg == "%s and %s" and record.exc_info is not None


def test_configuring_twice_adds_one_filter() -> None:
    configure_logging("INFO")
    configure_logging("WARNING")
    logger = logging.getLogger("rq.worker")
    assert sum(isinstance(f, RedisOutageInOneLine) for f in logger.filters) == 1
    configure_logging("INFO")

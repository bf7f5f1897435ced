"""Run the app factory under gunicorn from `okrsync serve` (the Procfile calls gunicorn directly
with the same settings, okrsync/gunicorn_conf.py), and the worker class both use."""

from __future__ import annotations

import errno
import re
import selectors
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import TConn, ThreadWorker

from okrsync import gunicorn_conf


class _OkrsyncApplication(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        """The settings of okrsync/gunicorn_conf.py, as `gunicorn --config` reads them, then the command's."""
        for key, value in {**vars(gunicorn_conf), **self.options}.items():
            if key in self.cfg.settings:  # gunicorn reads only the names it knows
                self.cfg.set(key, value)

    def load(self) -> Any:
        return create_wsgi_app()


def run_gunicorn(bind: str, workers: int) -> None:
    _OkrsyncApplication({"bind": bind, "workers": workers}).run()


def create_wsgi_app() -> Any:
    """The app as gunicorn serves it (the Procfile names this too)."""
    from okrsync.app import create_app

    return close_when_asked(create_app())


def close_when_asked(app: Any) -> Any:
    """gunicorn drops an application's ``Connection`` header; an answer that carries
    ``Connection: close`` (a 413 or 408 whose body was not read whole) closes the connection."""

    def wrapped(environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(name.lower() == "connection" and value.lower() == "close" for name, value in headers):
                force_close = getattr(getattr(start_response, "__self__", None), "force_close", None)
                if force_close is not None:
                    force_close()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return wrapped


# ---------------------------------------------------------------------------- the worker

RECV_BYTES = 64 * 1024
MAX_HEAD_BYTES = 64 * 1024  # a head this long is handed on unfinished: gunicorn's limits refuse it
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)[ \t]*(?=\r\n|$)")
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked")
_EXPECT_CONTINUE = re.compile(rb"\r\nexpect:[ \t]*100-continue")


@dataclass
class _Arriving:
    """A request being read by the event loop: what has come so far and when it must be complete."""

    deadline: float
    data: bytearray = field(default_factory=bytearray)
    head_end: int = -1  # where the body starts, once the head is complete
    watched: bool = False  # registered with the worker's poller

    def add(self, chunk: bytes, now: float) -> bool:
        """Take what arrived; True when the request can go to a thread."""
        self.data += chunk
        if self.head_end < 0:
            end = self.data.find(b"\r\n\r\n")
            if end < 0:
                return len(self.data) > MAX_HEAD_BYTES
            self.head_end = end + 4
            self.deadline = now + gunicorn_conf.BODY_SECONDS
        return _complete(bytes(self.data[: self.head_end]).lower(), len(self.data) - self.head_end, self.data[-5:])


def _complete(head: bytes, body_bytes: int, tail: bytearray) -> bool:
    """Whether the body has arrived (or as much of it as is read before dispatch)."""
    if body_bytes >= gunicorn_conf.BUFFER_BODY_BYTES or _EXPECT_CONTINUE.search(head):
        return True  # a client waiting for "100 Continue" sends its body once the app reads it
    if _CHUNKED.search(head):
        return tail == b"0\r\n\r\n"
    length = _CONTENT_LENGTH.search(head)
    return body_bytes >= (int(length.group(1)) if length else 0)


TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\nConnection: close\r\n"
    b"Content-Length: %d\r\n\r\n%s"
)


def _timeout_answer() -> bytes:
    body = (
        b'{"error": "timeout", "message": "the request did not arrive within %g s (headers) and %g s '
        b'(body); send it again"}' % (gunicorn_conf.HEADER_SECONDS, gunicorn_conf.BODY_SECONDS)
    )
    return TIMEOUT_ANSWER % (len(body), body)


class BufferingThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, whose event loop reads each request (line, headers and a body up
    to BUFFER_BODY_BYTES) before a thread is given it, so slow clients never hold a thread. A
    request not complete within HEADER_SECONDS (its head) and BODY_SECONDS more (its body) is
    answered 408 and closed; in the thread, a client silent for BODY_SECONDS is cut off."""

    def init_process(self) -> None:
        self.arriving: dict[TConn, _Arriving] = {}
        super().init_process()

    def accept(self, listener: Any) -> None:
        try:
            client, address = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._read_before_dispatch(TConn(self.cfg, client, address, listener.getsockname()))

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        """A kept-alive connection's next request is read the same way."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._read_before_dispatch(conn)

    def _read_before_dispatch(self, conn: TConn) -> None:
        if self.cfg.is_ssl or negotiation.prior_knowledge_allowed(self.cfg, conn.client):
            self.enqueue_req(conn)  # bytes that are not plain HTTP/1: gunicorn reads them in the thread
            return
        conn.sock.setblocking(False)
        self.arriving[conn] = _Arriving(deadline=time.monotonic() + gunicorn_conf.HEADER_SECONDS)
        if not self._take(conn):  # usually the whole request is there already: no wait on the poller
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))
            self.arriving[conn].watched = True

    def _on_readable(self, conn: TConn, _sock: Any) -> None:
        self._take(conn)

    def _take(self, conn: TConn) -> bool:
        """Read what has arrived; True when the connection has left the event loop (its request
        went to a thread, or the client went away)."""
        try:
            chunk = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            chunk = b""
        if not chunk:
            self._forget(conn)
            return True
        arriving = self.arriving[conn]
        if not arriving.add(chunk, time.monotonic()):
            return False
        self._leave_loop(conn)
        conn.data_ready = True
        conn.init()  # the parser of a new connection (a kept-alive one keeps its own)
        conn.parser.unreader.unread(bytes(arriving.data))
        self.enqueue_req(conn)
        return True

    def _leave_loop(self, conn: TConn) -> None:
        if self.arriving.pop(conn).watched:
            self.poller.unregister(conn.sock)

    def _forget(self, conn: TConn, answer: bytes = b"") -> None:
        self._leave_loop(conn)
        if answer:
            try:
                conn.sock.send(answer)  # best effort: a few hundred bytes fit any socket buffer
            except OSError:
                pass
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Also answer 408 and close requests that did not arrive in time (called every loop, ≤ 1 s)."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, arriving in self.arriving.items() if arriving.deadline <= now]:
            self._forget(conn, _timeout_answer())

    def handle_request(self, req: Any, conn: TConn) -> Any:
        conn.sock.settimeout(gunicorn_conf.BODY_SECONDS)  # the rest of a long body, and the answer
        return super().handle_request(req, conn)

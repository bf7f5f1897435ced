"""Fixtures: the emulator on a real loopback port, a recording webhook receiver, the OpenAPI documents."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from emulator.app import create_emulator
from emulator.context import Emulator

# The parts of Atlassian's published OpenAPI documents the product and the emulator use, cut out of the full
# documents by tests/fixtures/openapi/extract.py (see tests/fixtures/README.md).
SPECS = Path(__file__).resolve().parents[1] / "fixtures" / "openapi"
AUTH = ("admin@acme.example", "any-token")

logging.getLogger("werkzeug").setLevel(logging.WARNING)


@dataclass
class Running:
    """An emulator serving on 127.0.0.1; ``url`` has no trailing slash."""

    url: str
    app: Any

    @property
    def emulator(self) -> Emulator:
        return self.app.extensions["emulator"]

    def control(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.url}/_emulator/{path}", timeout=10, **kwargs)

    def faults(self, **changes: Any) -> dict[str, Any]:
        response = self.control("PUT", "faults", json=changes)
        assert response.status_code == 200, response.text
        return response.json()

    def counters(self) -> dict[str, Any]:
        return self.control("GET", "counters").json()


@contextmanager
def serve(app: Any) -> Iterator[Running]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Running(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        server.server_close()
        app.extensions["emulator"].dispatcher.stop()


@pytest.fixture
def cloud() -> Iterator[Running]:
    with serve(create_emulator(flavor="cloud", knobs={"webhook_retry_delays_s": [0.02, 0.02, 0.02]})) as running:
        yield running


@pytest.fixture
def datacenter() -> Iterator[Running]:
    with serve(create_emulator(flavor="datacenter")) as running:
        yield running


def bulk_scenario(count: int) -> dict[str, Any]:
    return {
        "users": [{"name": "admin", "email": "admin@acme.example"}],
        "projects": [{"key": "BULK", "name": "Bulk"}, {"key": "SMALL", "name": "Small"}],
        "issues": [{"project": "SMALL", "summary": "Only one", "type": "Task"}],
        "generate": [{"project": "BULK", "count": count, "labels": ["alpha", "beta"], "days": 200}],
    }


@pytest.fixture(scope="module")
def bulk_cloud() -> Iterator[Running]:
    with serve(create_emulator(bulk_scenario(1234), flavor="cloud")) as running:
        yield running


@pytest.fixture(scope="module")
def bulk_datacenter() -> Iterator[Running]:
    with serve(create_emulator(bulk_scenario(1234), flavor="datacenter")) as running:
        yield running


# ---------------------------------------------------------------------------- webhook receiver


@dataclass
class Receiver:
    """A local HTTP server that records deliveries and answers with scripted statuses (then 200)."""

    url: str
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    condition: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        with self.condition:
            self.condition.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            target = box["receiver"]
            with target.condition:
                status = target.statuses.pop(0) if target.statuses else 200
                target.received.append(
                    {"headers": dict(self.headers), "body": body, "answered": status, "json": json.loads(body)}
                )
                target.condition.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_port}/hook")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield box["receiver"]
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------------------- OpenAPI documents


def _load_spec(name: str) -> dict[str, Any]:
    path = SPECS / name
    if not path.is_file():
        pytest.fail(f"OpenAPI subset {path} is missing: tests/fixtures/openapi/extract.py writes it", pytrace=False)
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def jira_spec() -> dict[str, Any]:
    return _load_spec("jira.openapi.json")


@pytest.fixture(scope="session")
def confluence_v1_spec() -> dict[str, Any]:
    return _load_spec("confluence-v1.openapi.json")


@pytest.fixture(scope="session")
def confluence_v2_spec() -> dict[str, Any]:
    return _load_spec("confluence-v2.openapi.json")

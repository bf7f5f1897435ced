"""As a user would: `okrsync serve` and `okrsync worker` as processes, signed POSTs with curl, then
`okrsync status` shows the mirrored issues. Uses the embedded Redis the first process starts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, assert_embedded_redis_stopped
from tests.support.waiting import wait_until
from webhooks.events import sign

pytestmark = pytest.mark.blackbox

OKRSYNC = str(Path(sys.executable).parent / "okrsync")
SECRET = "blackbox-secret"
PAYLOADS = [
    "webhook-issue-created.json",
    "webhook-issue-updated-labels.json",
    "webhook-server-issue-updated-resolved.json",
    "webhook-cloud-issue-created-many-fields.json",
    "webhook-cloud-comment-created.json",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False  # not listening yet


def _wait_for(url: str, seconds: float = 30) -> None:
    wait_until(lambda: _answers_200(url), seconds, f"{url} to come up", every=0.2)


def _post_with_curl(url: str, body: bytes, delivery: str) -> tuple[int, dict]:
    command = [
        "curl",
        "-sS",
        "-o",
        "-",
        "-w",
        "\n%{http_code}",
        "-X",
        "POST",
        url,
        "-H",
        "Content-Type: application/json",
        "-H",
        f"X-Hub-Signature: {sign(body, SECRET.encode())}",
        "-H",
        f"X-Atlassian-Webhook-Identifier: {delivery}",
        "--data-binary",
        "@-",
    ]
    done = subprocess.run(command, input=body, capture_output=True, check=True, timeout=30)
    text, _, code = done.stdout.decode().rpartition("\n")
    return int(code), json.loads(text)


def _status(env: dict[str, str]) -> dict:
    done = subprocess.run([OKRSYNC, "status", "--json"], env=env, capture_output=True, timeout=60, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_serve_worker_curl_status(tmp_path: Path) -> None:
    env = {**os.environ, "OKRSYNC_WEBHOOK_SECRET": SECRET, "OKRSYNC_DATA_DIR": str(tmp_path / "data")}
    env.pop("OKRSYNC_REDIS_URL", None)
    port = _free_port()
    logs = tmp_path / "serve.log"
    with open(logs, "wb") as log:
        serve = subprocess.Popen(
            [OKRSYNC, "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
        worker = subprocess.Popen([OKRSYNC, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        try:
            _wait_for(f"http://127.0.0.1:{port}/healthz")
            url = f"http://127.0.0.1:{port}/webhooks/jira"
            answers = [
                _post_with_curl(url, (FIXTURES / name).read_bytes(), f"bb-{i}") for i, name in enumerate(PAYLOADS)
            ]
            assert [code for code, _ in answers] == [202, 202, 202, 202, 202]  # comments are routed (check-ins)
            assert _post_with_curl(url, (FIXTURES / PAYLOADS[0]).read_bytes(), "bb-0")[1]["status"] == "duplicate"
            report = _wait_for_mirror(env, expected=3)
            keys = {row["key"]: row for row in report["mirror"]["listed"]}
            assert set(keys) == {"TES-41", "TES-4", "KT-22"}
            assert keys["TES-4"]["statusCategory"] == "done"
            plain = subprocess.run([OKRSYNC, "status"], env=env, capture_output=True, timeout=60, check=True)
            assert "TES-41" in plain.stdout.decode() and "3 issue(s)" in plain.stdout.decode()
        finally:
            for process in (worker, serve):
                process.send_signal(signal.SIGTERM)
            for process in (worker, serve):
                process.wait(timeout=30)
            assert_embedded_redis_stopped(tmp_path / "data")
    assert "Traceback" not in logs.read_text(), logs.read_text()


def _wait_for_mirror(env: dict[str, str], expected: int, seconds: float = 30) -> dict:
    last: list[dict] = []

    def filled() -> dict | None:
        last[:] = [_status(env)]
        report = last[0]
        return report if report["mirror"]["issues"] >= expected and report["queue"]["waiting"] == 0 else None

    try:
        return wait_until(filled, seconds, "the mirror to fill", every=0.3)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {last}") from None

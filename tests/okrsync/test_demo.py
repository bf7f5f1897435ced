"""First run: a short bounded `okrsync demo` as a user would start it, on its embedded defaults."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from mapping.lint import lint
from mapping.loader import load_config_text
from okrsync.demo.runner import PEOPLE_CHECKIN_ISSUE, SHOWN_EPIC, SHOWN_KR_ISSUE, _demo_config, _port
from okrsync.demo.scenario import demo_scenario
from okrsync.demo.summary import DemoSummary
from okrsync.local_stack import PortChoice, choose_port
from publish.jira import CHECKIN_PROPERTY

OKRSYNC = str(Path(sys.executable).parent / "okrsync")


def test_the_demo_configuration_is_valid_and_lints_clean() -> None:
    from datetime import date

    config = load_config_text(_demo_config(date(2026, 11, 21)))
    assert [c.start.isoformat() for c in config.cycles] == ["2026-10-01", "2026-07-01"]
    assert [c.end.isoformat() for c in config.cycles] == ["2026-12-31", "2026-09-30"]
    january = load_config_text(_demo_config(date(2027, 1, 5)))
    assert [(c.start.isoformat(), c.end.isoformat()) for c in january.cycles] == [
        ("2027-01-01", "2027-03-31"),
        ("2026-10-01", "2026-12-31"),
    ]
    assert lint(config) == []
    assert len(config.problem_programs[0].sources) == 6


def test_the_issues_the_demo_points_at_are_a_contributor_epic_and_kr_issues() -> None:
    """The epic serves the KR people check in on; the KR issue shown is a keep on the open SEV1
    incidents, none open in the seeded company: it goes off track when the story opens one, on any day."""
    from datetime import UTC, date, datetime

    from emulator.jira_json import issue_facts
    from emulator.scenario import build_site
    from emulator.search import JqlContext, compile_jql

    config = load_config_text(_demo_config(date(2026, 11, 21)))
    now = datetime(2026, 11, 21, tzinfo=UTC)
    site = build_site(demo_scenario(today=now.date()), None, now)
    krs = {kr.jira_issue: kr for s in config.okr_sets for o in s.objectives for kr in o.key_results if kr.jira_issue}
    assert list(krs) == [PEOPLE_CHECKIN_ISSUE, SHOWN_KR_ISSUE]  # people's /checkin goes to the first
    kr = krs[PEOPLE_CHECKIN_ISSUE]
    assert kr.contributors is not None and kr.contributors.jql
    contributors = compile_jql(kr.contributors.jql, JqlContext(now=now))
    assert contributors.matches(issue_facts(site, site.issue(SHOWN_EPIC), now))
    shown = krs[SHOWN_KR_ISSUE]
    assert shown.keep is not None and shown.keep.below == 0 and shown.metric
    assert site.issue(SHOWN_KR_ISSUE).fields["summary"] == "KR: no SEV1 incident left open"
    open_sev1 = compile_jql(config.metrics[shown.metric].jql or "", JqlContext(now=now))
    assert not [key for key in site.issues if open_sev1.matches(issue_facts(site, site.issue(key), now))]


def test_every_owner_in_the_demo_configuration_is_a_person_of_the_demo_site() -> None:
    """No "(unknown user)" on the admin pages, no refused user lookup on Sync health."""
    from datetime import date

    config = load_config_text(_demo_config(date(2026, 11, 21)))
    owners = {s.owner for s in config.okr_sets} | {
        owner
        for s in config.okr_sets
        for o in s.objectives
        for kr in o.key_results
        for owner in ([kr.owner] if isinstance(kr.owner, str) else kr.owner or [])
    }
    emails = {user["email"] for user in demo_scenario()["users"]}
    assert owners - {None} and owners - {None} <= emails, owners - emails


def test_the_demo_company_has_a_few_hundred_issues() -> None:
    scenario = demo_scenario()
    assert 250 <= len(scenario["issues"]) <= 400
    assert {p["key"] for p in scenario["projects"]} == {"CHK", "FUL", "OPS", "PLAT"}


@pytest.mark.blackbox
def test_a_bounded_demo_exits_0_with_pages_written_and_krs_in_several_states(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    env["OKRSYNC_DATA_DIR"] = str(tmp_path / "data")
    done = subprocess.run(
        [OKRSYNC, "demo", "--duration", "20", "--pace", "0.7", "--port", "0", "--emulator-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "Traceback" not in output and "Traceback" not in (tmp_path / "data" / "demo.log").read_text()
    pages = int(re.search(r"pages written:\s+(\d+)", output).group(1))  # type: ignore[union-attr]
    events = int(re.search(r"events processed:\s+(\d+)", output).group(1))  # type: ignore[union-attr]
    states = re.search(r"KRs by health:\s+(.*)", output).group(1)  # type: ignore[union-attr]
    assert pages > 0 and events > 0
    assert len(states.split(",")) > 1, states
    assert "warehouse: checkout_completion, payment_success read from the demo's SQLite warehouse" in output
    assert re.search(r"KPI breaches escalated: 1 \(checkout/payment_success: PLAT-\d+\)", output), output[-2000:]


def _listening() -> socket.socket:
    """A listening socket as the servers make one (werkzeug and gunicorn set SO_REUSEADDR)."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    return server


def test_a_port_in_time_wait_after_a_restart_is_kept() -> None:
    server = _listening()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server's side closes first: its port goes to TIME_WAIT
    server.close()
    client.close()
    assert choose_port(port) == PortChoice(port, port, "")


def test_a_busy_port_is_said_loudly_with_the_one_used_instead() -> None:
    with _listening() as server:
        port = server.getsockname()[1]
        out = io.StringIO()
        chosen = _port(port, "the web service (admin pages)", "--port", out)
    assert chosen != port
    said = out.getvalue()
    assert f"PORT {port} IS TAKEN (Address already in use)" in said and f"uses port {chosen} instead" in said


def test_the_open_action_point_is_due_a_few_days_before_today() -> None:
    from datetime import date

    scenario = demo_scenario(today=date(2026, 12, 3))
    dues = [issue["due"] for issue in scenario["issues"] if "action-point" in issue.get("labels", [])]
    assert dues == ["2026-11-29"]


def test_the_summary_splits_the_events_and_counts_pages_by_title_not_by_version() -> None:
    summary = DemoSummary(
        actions=16,
        settled=False,
        events_processed=66,
        own_events=8,
        link_events=42,
        jira_writes=21,
        jira_targets=7,
        pages=["Company OKRs", "Platform problem review"],
        pages_interval=5,
        action_points_opened=5,
        krs_by_health={"on_track": 1, "off_track": 7},
    )
    lines = summary.lines()
    assert lines[0] == "Summary of 16 action(s) of the story"
    assert "66 (16 from people's changes in the story, 8 from the service's own writes, 42 issue links)" in lines[1]
    assert "pages written:         2 (Company OKRs, Platform problem review)" in lines[3]
    assert lines[4].strip() == (
        "(counted by title: a page is written at most once every 5 s, so how many versions it got depends on "
        "timing, not on the story)"
    )
    assert not any("version" in line for line in lines[:4] + lines[5:])
    assert lines[6] == "  KRs by health:         off_track 7, on_track 1"
    assert lines[-1] == "  (the service had not finished the last action's work: figures partial)"


ACTION_LINE = re.compile(r"^\d\d:\d\d:\d\d  ")


def _bounded_demo(
    data_dir: Path, cwd: Path, port: int, emulator_port: int, pace: float, while_up: Callable[[], None] = lambda: None
) -> str:
    """A demo of 16 actions at ``pace`` seconds apart, on these ports; ``while_up`` is called on each
    action line it prints (the service has finished the previous action's work then, and the stack is up)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRSYNC_")}
    env["OKRSYNC_DATA_DIR"] = str(data_dir)
    command = [OKRSYNC, "demo", "--duration", f"{16 * pace:g}", "--pace", f"{pace:g}", "--port", str(port)]
    command += ["--emulator-port", str(emulator_port)]
    lines = []
    with subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=cwd
    ) as demo:
        for line in demo.stdout or ():
            lines.append(line)
            if ACTION_LINE.match(line):
                while_up()
        returncode = demo.wait(timeout=240)
    output = "".join(lines)
    assert returncode == 0, output[-3000:]
    return output


def _service_checkins(emulator_port: int, key: str) -> list[str] | None:
    """The texts of the comments on ``key`` that carry the service's check-in property (None: not reachable)."""
    url = f"http://127.0.0.1:{emulator_port}/rest/api/2/issue/{key}/comment"
    try:
        answer = requests.get(url, params={"expand": "properties"}, auth=("alice@shop.example", "demo"), timeout=5)
    except requests.ConnectionError:
        return None
    answer.raise_for_status()
    return [
        str(comment["body"])
        for comment in answer.json()["comments"]
        if any(item.get("key") == CHECKIN_PROPERTY for item in comment.get("properties") or [])
    ]


def _figures(output: str) -> dict[str, object]:
    """The run's figures: the resync's count, the actions played and every line of the summary."""
    summary = re.findall(r"^(Summary of .*|  .*)$", output[output.index("\nSummary of ") :], re.MULTILINE)
    return {
        "resync": re.search(r"resync: (\d+ of \d+) issue", output).group(1),  # type: ignore[union-attr]
        "actions": "\n".join(re.findall(r"^\d\d:\d\d:\d\d  (.*)$", output, re.MULTILINE)),
        "summary": summary,
    }


def _number(pattern: str, output: str) -> int:
    return int(re.search(pattern, output).group(1))  # type: ignore[union-attr]


@pytest.mark.blackbox
def test_two_demo_runs_in_a_row_start_clean_keep_their_ports_and_give_the_same_figures(tmp_path: Path) -> None:
    """The same story at two paces: 16 actions take about 18 s at 1.2 s and 9 s at 0.2 s, so a page's
    changes coalesce differently within its 5 s write interval (its versions: 21 and 16). The service
    settles after each action, so every line of the summary is the story's and the same in both runs."""
    port, emulator_port = choose_port().port, choose_port().port
    seen: list[list[str]] = []  # the service's check-ins on the KR issue shown, as a team member reads them

    def read_checkins() -> None:
        checkins = _service_checkins(emulator_port, SHOWN_KR_ISSUE)
        if checkins is not None:
            seen.append(checkins)

    first = _bounded_demo(tmp_path / "data", tmp_path, port, emulator_port, pace=1.2, while_up=read_checkins)
    second = _bounded_demo(tmp_path / "data", tmp_path, port, emulator_port, pace=0.2)
    assert seen and seen[-1], f"no check-in comment by the service on {SHOWN_KR_ISSUE} during the story"
    assert all("okrsync-" not in text for text in seen[-1]), seen[-1]
    assert seen[-1][0].startswith("OKR check-in — O1.KR4 No SEV1 incident left open: on track → off track."), seen
    assert "clean slate: the previous run's state" in second and "IS TAKEN" not in first + second
    for output in (first, second):
        assert f"http://127.0.0.1:{port}/admin/" in output and f"http://127.0.0.1:{emulator_port}/view/" in output
        assert f"a contributor epic:    http://127.0.0.1:{emulator_port}/browse/{SHOWN_EPIC}" in output
        assert re.search(
            rf"a KR issue:            http://127.0.0.1:{emulator_port}/browse/{SHOWN_KR_ISSUE}   \(\d+ check-in "
            r"comment\(s\) by the service",
            output,
        ), output[-2000:]
        assert "had not finished" not in output
    assert _figures(first) == _figures(second)
    assert _figures(second)["resync"] == "293 of 293"
    assert _number(r"action points opened:\s+(\d+)", second) > 0
    assert _number(r"\((\d+) from people's changes in the story", second) > 0
    assert _number(r"(\d+) from the service's own writes", second) > 0


def test_the_demo_warehouse_tells_the_same_story_for_a_seed_with_payment_success_out_of_band_lately() -> None:
    from datetime import date, timedelta

    from okrsync.demo.warehouse import DAYS_AT_LEAST, OUTAGE_DAYS, demo_days

    today = date(2026, 12, 3)
    days = demo_days(today, date(2026, 10, 1), 7)
    assert days == demo_days(today, date(2026, 10, 1), 7) and days != demo_days(today, date(2026, 10, 1), 8)
    assert (days[0].day, days[-1].day, len(days)) == (date(2026, 10, 1), today - timedelta(days=1), 63)
    success = [100 * d.payments_ok / d.orders for d in days]
    assert all(s < 97 for s in success[-OUTAGE_DAYS:]) and all(s >= 97.5 for s in success[:-OUTAGE_DAYS])
    completion = [100 * d.paid / d.reached_payment for d in days]
    assert 71 < min(completion) and max(completion) < 76 and completion[-OUTAGE_DAYS - 1] > completion[0]
    # a day's figures depend on its distance from today: tomorrow's run shows the same recent days
    assert demo_days(today + timedelta(days=1), date(2026, 10, 1), 7)[-1].orders == days[-1].orders
    assert len(demo_days(date(2027, 1, 1), date(2027, 1, 1), 7)) == DAYS_AT_LEAST  # a quarter's first day


def test_the_demo_metrics_read_the_demo_warehouse_as_histories(tmp_path: Path) -> None:
    from datetime import UTC, date, datetime

    from okrsync.demo.runner import WAREHOUSE_VARIABLE
    from okrsync.demo.warehouse import write_demo_warehouse
    from sync.warehouse import connection_url, fetch_sql_metric

    url = write_demo_warehouse(tmp_path, date(2026, 12, 3), date(2026, 10, 1), 7)
    assert write_demo_warehouse(tmp_path, date(2026, 12, 3), date(2026, 10, 1), 7) == url  # written anew
    config = load_config_text(_demo_config(date(2026, 12, 3)))
    now = datetime(2026, 12, 3, 9, tzinfo=UTC)
    for metric_id, band in (("payment_success", (95.0, 99.5)), ("checkout_completion", (71.0, 76.0))):
        metric = config.metrics[metric_id]
        assert (metric.source, metric.connection) == ("sql", "dwh")
        reading = fetch_sql_metric(
            metric_id, metric, connection_url(metric_id, metric, {WAREHOUSE_VARIABLE: url}), now
        ).reading
        assert reading.rows == 63 and reading.at == datetime(2026, 12, 2, tzinfo=UTC)
        assert all(band[0] <= value <= band[1] for _, value in reading.history)
    [kpi] = next(s for s in config.okr_sets if s.id == "checkout").kpis
    assert kpi.escalate is not None
    assert (kpi.metric, kpi.breach_after, kpi.escalate.program) == ("payment_success", "1d", "platform-reverse-drive")
    assert any(kpi.escalate.label in source.jql for source in config.problem_programs[0].sources)

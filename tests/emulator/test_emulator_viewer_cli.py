"""The page viewer renders storage format safely; the CLI command parses its options."""

from __future__ import annotations

import requests
from click.testing import CliRunner

from emulator.cli import command, knob_changes
from emulator.viewer import render_storage
from tests.emulator.conftest import Running

STATUS = (
    '<ac:structured-macro ac:name="status"><ac:parameter ac:name="colour">Red</ac:parameter>'
    '<ac:parameter ac:name="title">AT RISK</ac:parameter></ac:structured-macro>'
)


def test_status_macros_become_coloured_lozenges() -> None:
    html = render_storage(f"<p>KR 1 {STATUS}</p>")
    assert '<span class="lozenge" style="background:#c9372c">AT RISK</span>' in html


def test_text_scripts_and_unsafe_links_are_neutralised() -> None:
    html = render_storage(
        "<p>a &lt;b&gt; &amp; c&nbsp;d</p><script>alert(1)</script>"
        '<a href="javascript:alert(1)" onclick="x()">bad</a><a href="https://ok.example/">ok</a>'
    )
    assert "<script>" not in html and "javascript:" not in html and "onclick" not in html
    assert "a &lt;b&gt; &amp; c\xa0d" in html and '<a href="https://ok.example/">ok</a>' in html


def test_tables_and_page_links_render() -> None:
    storage = (
        '<table><tbody><tr><th colspan="2">KR</th></tr></tbody></table>'
        '<ac:link><ri:page ri:content-title="Q3 Payments"/><ac:plain-text-link-body>Q3</ac:plain-text-link-body>'
        "</ac:link>"
    )
    html = render_storage(storage, lambda title, space: "/view/pages/9" if title == "Q3 Payments" else None)
    assert '<th colspan="2">KR</th>' in html and '<a href="/view/pages/9">Q3</a>' in html


def test_unparsable_storage_is_shown_escaped() -> None:
    html = render_storage("<p>unclosed <b>bold</p>")
    assert "does not parse" in html and "&lt;p&gt;unclosed" in html


def test_viewer_serves_pages_over_http(cloud: Running) -> None:
    index = requests.get(f"{cloud.url}/view/", timeout=5)
    assert index.status_code == 200 and "OKRs home" in index.text
    page = requests.get(f"{cloud.url}/wiki/spaces/OKR/pages/65000/OKRs+home", timeout=5)
    assert page.status_code == 200 and "ON TRACK" in page.text and 'class="lozenge"' in page.text
    assert requests.get(f"{cloud.url}/view/pages/1", timeout=5).status_code == 404


def test_a_display_url_leads_to_the_page_by_space_and_title(cloud: Running) -> None:
    page = requests.get(f"{cloud.url}/wiki/display/OKR/OKRs+home", timeout=5)
    assert page.status_code == 200 and page.url.endswith("/view/pages/65000") and "ON TRACK" in page.text
    assert requests.get(f"{cloud.url}/wiki/display/PLAT/OKRs+home", timeout=5).status_code == 404  # another space
    assert requests.get(f"{cloud.url}/wiki/display/OKR/No+such+page", timeout=5).status_code == 404


def test_cli_help_lists_the_options() -> None:
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    for option in ("--scenario", "--flavor", "--data", "--require-auth", "--error-fraction", "--webhook-drop-fraction"):
        assert option in result.output


def test_cli_refuses_an_unknown_scenario() -> None:
    result = CliRunner().invoke(command, ["--scenario", "no-such-scenario", "--port", "0"])
    assert result.exit_code != 0 and "no-such-scenario" in result.output and "default" in result.output


def test_cli_fault_options_map_to_knobs() -> None:
    assert knob_changes({"error_fraction": 0.2, "latency_ms": None, "webhook_retry_delays": "0.1,0.5"}) == {
        "error_fraction": 0.2,
        "webhook_retry_delays_s": "0.1,0.5",
    }


def test_cli_refuses_a_server_version_data_center_never_had() -> None:
    result = CliRunner().invoke(command, ["--flavor", "datacenter", "--server-version", "7.13", "--port", "0"])
    assert result.exit_code != 0 and "'7.13'" in result.output and "8.20.x or 9.x.y" in result.output
    assert "--server-version" in CliRunner().invoke(command, ["--help"]).output

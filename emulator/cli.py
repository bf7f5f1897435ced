"""`okrsync emulator`: run the local Atlassian emulator. Heavy imports happen inside the command."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from flask import Flask


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8090, show_default=True, type=int, help="Port to listen on (0 picks a free one).")
@click.option(
    "--scenario",
    default=None,
    metavar="NAME|FILE",
    help="A shipped scenario name (default) or a YAML/JSON scenario file.",
)
@click.option(
    "--flavor",
    type=click.Choice(["cloud", "datacenter"]),
    default=None,
    help="Jira Cloud or Jira Data Center behaviour (default: the scenario's, else cloud).",
)
@click.option(
    "--data",
    "data_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Persist state to this JSON file and load it at start when it exists.",
)
@click.option("--public-url", default=None, help="Base URL used in self links and webhook bodies.")
@click.option(
    "--server-version",
    default=None,
    metavar="VERSION",
    help="Data Center release serverInfo reports: 8.20.x or 9.x.y, or 8.20 / 9.12 (default 9.12.15).",
)
@click.option("--require-auth", is_flag=True, help="Accept only the scenario's users and tokens (else 401).")
@click.option("--latency-ms", type=float, default=None, help="Delay every API call by this much.")
@click.option("--rate-limit-fraction", type=float, default=None, help="Answer this fraction of calls with 429.")
@click.option("--retry-after", "retry_after_s", type=int, default=None, help="Retry-After seconds on a 429.")
@click.option("--error-fraction", type=float, default=None, help="Answer this fraction of calls with a 5xx.")
@click.option("--webhook-drop-fraction", type=float, default=None, help="Drop this fraction of deliveries.")
@click.option("--webhook-duplicate-fraction", type=float, default=None, help="Deliver this fraction twice.")
@click.option("--webhook-reorder-fraction", type=float, default=None, help="Hold back this fraction of deliveries.")
@click.option(
    "--webhook-retry-delays",
    default=None,
    metavar="S,S,…",
    help="Seconds before each retry (Jira's schedule, compressed); default 0.1,0.2,0.4,0.8,1.6.",
)
@click.option("--seed", type=int, default=None, help="Seed for every random fault decision.")
def command(
    host: str,
    port: int,
    scenario: str | None,
    flavor: str | None,
    data_path: str | None,
    public_url: str | None,
    server_version: str | None,
    require_auth: bool,
    **fault_options: Any,
) -> None:
    """Run a local stand-in for Jira (at /) and Confluence (at /wiki), with fault knobs at /_emulator."""
    app = build_app(
        scenario,
        flavor=flavor,
        knobs=knob_changes(fault_options),
        require_auth=require_auth,
        data_path=data_path,
        public_url=public_url,
        server_version=server_version,
    )
    serve(app, host, port)


def build_app(scenario: str | None, **settings: Any) -> Flask:
    """The emulator app, or a ClickException naming what is wrong in the scenario, knobs or version."""
    from emulator.app import create_emulator
    from emulator.faults import KnobError
    from emulator.scenario import ScenarioError
    from emulator.server_info import VersionError

    try:
        return create_emulator(scenario, **settings)
    except (ScenarioError, KnobError, VersionError) as exc:
        raise click.ClickException(str(exc)) from None


def serve(app: Flask, host: str, port: int) -> None:
    """Serve ``app`` until interrupted, after one line saying what is served where."""
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True)
    site = app.extensions["emulator"].site
    click.echo(
        f"Atlassian emulator ({site.flavor}, {len(site.issues)} issues, {len(site.pages)} pages) on "
        f"http://{host}:{server.server_port}  —  Jira at /, Confluence at /wiki, pages at /view, "
        f"control at /_emulator"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def knob_changes(options: dict[str, Any]) -> dict[str, Any]:
    """Only the knobs given on the command line, under their control-endpoint names."""
    changes = {name: value for name, value in options.items() if value is not None}
    if "webhook_retry_delays" in changes:
        changes["webhook_retry_delays_s"] = changes.pop("webhook_retry_delays")
    return changes

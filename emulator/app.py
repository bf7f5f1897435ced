"""The emulator's Flask app: ``create_emulator(scenario, flavor=…)``.

Jira is served at ``/``, Confluence under ``/wiki``, the page viewer at ``/view``, Jira's issue view at
``/browse/KEY`` and the control endpoint (fault knobs, counters, deliveries) at ``/_emulator``. This module
registers the blueprints and the request hooks; the blueprints reach the ``Emulator`` through
``emulator.context``, never through this module.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, jsonify, request

from emulator.confluence_api import blueprint as confluence
from emulator.context import Emulator, current_emulator, no_such_resource
from emulator.control import blueprint as control
from emulator.delivery import Dispatcher
from emulator.faults import Faults, Knobs
from emulator.issue_view import blueprint as issues
from emulator.jira_api import blueprint as jira
from emulator.remote_links import blueprint as remote_links
from emulator.scenario import load_site
from emulator.server_info import data_center_release
from emulator.state import NotFound, Site, User
from emulator.viewer import blueprint as viewer
from emulator.webhook_admin import blueprint as webhook_admin

log = logging.getLogger(__name__)

API_PREFIXES = ("/rest/", "/wiki/")


def create_emulator(
    scenario: str | Path | dict[str, Any] | Site | None = None,
    *,
    flavor: str | None = None,
    knobs: Knobs | dict[str, Any] | None = None,
    require_auth: bool = False,
    data_path: str | Path | None = None,
    public_url: str | None = None,
    server_version: str | None = None,
) -> Flask:
    """The app over a site from ``scenario`` (name, file, mapping or Site), or from ``data_path`` if it
    exists; ``server_version`` is the Data Center release serverInfo reports (8.20.x or 9.x.y)."""
    site = _initial_site(scenario, flavor, Path(data_path) if data_path else None, server_version)
    faults = Faults()
    if knobs:
        faults.configure(knobs if isinstance(knobs, dict) else _knob_dict(knobs))
    emulator = Emulator(
        site=site,
        faults=faults,
        dispatcher=Dispatcher(faults),
        require_auth=require_auth,
        data_path=Path(data_path) if data_path else None,
        public_url=public_url,
    )
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["emulator"] = emulator
    _register(app)
    return app


def _initial_site(scenario: Any, flavor: str | None, data_path: Path | None, server_version: str | None) -> Site:
    if data_path is not None and data_path.is_file():
        site = Site.from_json(json.loads(data_path.read_text(encoding="utf-8")))
        if flavor and flavor != site.flavor:
            site.flavor = flavor
        if server_version:
            site.server_version = data_center_release(server_version).version
        return site
    if isinstance(scenario, Site):
        return scenario
    return load_site(scenario, flavor, server_version=server_version)


def _knob_dict(knobs: Knobs) -> dict[str, Any]:
    return asdict(knobs)


def _register(app: Flask) -> None:
    for blueprint in (jira, remote_links, webhook_admin, confluence, viewer, issues, control):
        app.register_blueprint(blueprint)
    app.before_request(_authenticate)
    app.before_request(_inject_faults)
    app.before_request(_refuse_missing_webhook_api)
    app.before_request(_refuse_issue_writes)
    app.after_request(_count_and_persist)


# ---------------------------------------------------------------------------- request hooks


def _is_api_call() -> bool:
    return request.path.startswith(API_PREFIXES)


def _authenticate() -> Response | None:
    if not _is_api_call():
        return None
    emulator = current_emulator()
    user = credentials_user(emulator.site, request.headers.get("Authorization", ""), emulator.require_auth)
    if user is None and emulator.require_auth:
        response = jsonify(
            errorMessages=["You are not authenticated. Authentication required to perform this operation."], errors={}
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="protected-area"'
        return response
    g.actor = user
    return None


def credentials_user(site: Site, header: str, strict: bool) -> User | None:
    """The user named by Basic or Bearer credentials; in strict mode the token must match."""
    scheme, _, value = header.partition(" ")
    login, secret = "", value.strip()
    if scheme.lower() == "basic":
        try:
            login, _, secret = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
    elif scheme.lower() != "bearer":
        return None
    candidates = [u for u in site.users if (login.lower() in u.aliases() if login else u.token == secret)]
    if strict:
        return next((u for u in candidates if u.token and u.token == secret), None)
    return candidates[0] if candidates else site.default_user()


def _inject_faults() -> Response | None:
    if not _is_api_call():
        return None
    faults = current_emulator().faults
    knobs = faults.knobs
    if knobs.latency_ms > 0:
        time.sleep(knobs.latency_ms / 1000)
    if faults.take_next("rate_limit_next") or faults.roll(knobs.rate_limit_fraction):
        return rate_limited(knobs.retry_after_s)
    if faults.take_next("error_next") or faults.roll(knobs.error_fraction):
        response = jsonify(errorMessages=["Internal server error (injected by the emulator)."], errors={})
        response.status_code = knobs.error_status
        return response
    return None


WEBHOOK_API = re.compile(r"^/rest/(?:webhooks/[^/]+|api/[^/]+)/webhooks?(?:/|$)")
WRITES = frozenset(("POST", "PUT", "DELETE"))
REFUSAL_MESSAGES = {403: "You do not have permission to edit issues in this project.", 404: "Issue Does Not Exist"}


def _refuse_missing_webhook_api() -> Response | None:
    """``webhook_api`` off: the webhook admin paths answer 404 as Jira's REST layer does for a resource
    it does not have (``{"message": "null for uri: …", "status-code": 404}``)."""
    if current_emulator().faults.knobs.webhook_api or not WEBHOOK_API.match(request.path):
        return None
    return no_such_resource()


def _refuse_issue_writes() -> Response | None:
    """``refuse_write_keys``: a write to one of those issues (edit, delete, transition, property,
    comment, remote link) answers ``refuse_write_status`` with Jira's error body; reads still work."""
    knobs = current_emulator().faults.knobs
    reference = (request.view_args or {}).get("reference")
    if not knobs.refuse_write_keys or request.method not in WRITES or reference is None:
        return None
    try:
        key = current_emulator().site.issue(str(reference)).key
    except NotFound:
        return None  # the handler answers the missing issue as Jira does
    if key.upper() not in {k.strip().upper() for k in knobs.refuse_write_keys}:
        return None
    status = knobs.refuse_write_status
    message = REFUSAL_MESSAGES.get(status, f"The request was refused ({status}) for issue {key}.")
    response = jsonify(errorMessages=[message], errors={})
    response.status_code = status
    return response


def rate_limited(retry_after: int) -> Response:
    response = jsonify(errorMessages=["Rate limit exceeded."], errors={})
    response.status_code = 429
    reset = datetime.fromtimestamp(time.time() + retry_after).astimezone().isoformat(timespec="seconds")
    response.headers.update(
        {
            "Retry-After": str(retry_after),
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
            "X-RateLimit-NearLimit": "true",
            "RateLimit-Reason": "jira-quota-tenant-based",
        }
    )
    return response


def _count_and_persist(response: Response) -> Response:
    if request.path.startswith("/_emulator"):
        return response
    emulator = current_emulator()
    emulator.faults.count_call(f"{request.method} {endpoint_name()}", str(response.status_code))
    if request.method in ("POST", "PUT", "DELETE") and response.status_code < 400 and _is_api_call():
        try:
            emulator.persist()
        except OSError as exc:
            log.error("could not save the emulator state to %s: %s", emulator.data_path, exc)
    return response


def endpoint_name() -> str:
    """``/rest/api/3/issue/{reference}``: the route with the API version filled in, other parts named."""
    if request.url_rule is None:
        return "(unmatched)"
    arguments = request.view_args or {}

    def part(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(arguments[name]) if name == "api" else "{" + name + "}"

    return re.sub(r"<(?:[^>]*:)?(\w+)>", part, request.url_rule.rule)

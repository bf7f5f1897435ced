"""The control endpoint ``/_emulator``: fault knobs, call counters and recent webhook deliveries.

- ``GET /_emulator/faults`` — the knobs; ``PUT`` / ``PATCH`` / ``POST`` with a JSON object changes some.
- ``GET /_emulator/counters`` — calls by endpoint and status, and webhook outcomes; ``DELETE`` resets.
- ``GET /_emulator/deliveries`` — recent deliveries (``?wait=1`` first waits for the queue to drain).
- ``GET /_emulator/deliveries/state`` — ``{"idle": …, "published": …}``: no delivery waiting or in flight, and
  how many were published since the start (a small answer to poll while waiting for quiet).
- ``GET /_emulator/health`` — flavour, issue and page counts.
"""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, Response, jsonify, request

from emulator.context import current_emulator
from emulator.faults import KnobError

blueprint = Blueprint("control", __name__, url_prefix="/_emulator")


@blueprint.get("/faults")
def get_faults() -> Response:
    return jsonify(asdict(current_emulator().faults.knobs))


@blueprint.route("/faults", methods=["PUT", "PATCH", "POST"])
def set_faults() -> Response:
    changes = request.get_json(silent=True)
    if not isinstance(changes, dict):
        return _error('send a JSON object of fault settings, e.g. {"error_fraction": 0.1}')
    try:
        knobs = current_emulator().faults.configure(changes)
    except KnobError as exc:
        return _error(str(exc))
    return jsonify(asdict(knobs))


@blueprint.get("/counters")
def get_counters() -> Response:
    return jsonify(current_emulator().faults.counters())


@blueprint.delete("/counters")
def reset_counters() -> Response:
    current_emulator().faults.reset_counters()
    return Response(status=204)


@blueprint.get("/deliveries")
def deliveries() -> Response:
    dispatcher = current_emulator().dispatcher
    if request.args.get("wait"):
        dispatcher.wait_idle(timeout=float(request.args.get("timeout", 10)))
    return jsonify(idle=dispatcher.idle(), deliveries=[d.summary() for d in list(dispatcher.recent)])


@blueprint.get("/deliveries/state")
def delivery_state() -> Response:
    idle, published = current_emulator().dispatcher.state()
    return jsonify(idle=idle, published=published)


@blueprint.get("/health")
def health() -> Response:
    emulator = current_emulator()
    site = emulator.site
    return jsonify(
        status="ok",
        flavor=site.flavor,
        title=site.title,
        issues=len(site.issues),
        pages=len(site.pages),
        webhooks=len(site.webhooks),
        requireAuth=emulator.require_auth,
    )


def _error(message: str) -> Response:
    response = jsonify(error=message)
    response.status_code = 400
    return response

"""Jira's remote issue links, ``/rest/api/{2,3}/issue/{issueIdOrKey}/remotelink``: list, create or
update by ``globalId``, read, replace, delete (by id or by ``globalId``).

A link is ``{globalId, application, relationship, object: {url, title, …}}``; Jira answers a create
with 201 ``{id, self}``, and a POST whose ``globalId`` is already on the issue replaces that link (200).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulator.context import current_emulator, not_found
from emulator.state import Issue, NotFound

blueprint = Blueprint("remote_links", __name__)
blueprint.register_error_handler(NotFound, not_found)

ROOT = '/rest/api/<any("2","3"):api>/issue/<reference>/remotelink'
GLOBAL_ID_LIMIT = 255  # Jira's documented maximum


class LinkError(ValueError):
    """A remote link body Jira would refuse; ``errors`` is Jira's per-field map."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@blueprint.errorhandler(LinkError)
def _link_error(exc: LinkError) -> Response:
    return _error(400, errors=exc.errors)


def _error(status: int, *messages: str, errors: dict[str, str] | None = None) -> Response:
    response = jsonify(errorMessages=list(messages), errors=errors or {})
    response.status_code = status
    return response


def link_input(body: Any) -> dict[str, Any]:
    """The stored form of a create/replace body; raises LinkError naming each missing part."""
    if not isinstance(body, dict):
        raise LinkError({"object": "The request body must be a JSON object with an 'object'."})
    item = body.get("object")
    if not isinstance(item, dict):
        raise LinkError({"object": '\'object\' is required: {"url": …, "title": …}.'})
    missing = {name: f"'object.{name}' is required." for name in ("url", "title") if not item.get(name)}
    if missing:
        raise LinkError(missing)
    global_id = body.get("globalId")
    if global_id is not None and (not isinstance(global_id, str) or len(global_id) > GLOBAL_ID_LIMIT):
        raise LinkError({"globalId": f"'globalId' must be a text of at most {GLOBAL_ID_LIMIT} characters."})
    return {key: body[key] for key in ("globalId", "application", "relationship") if key in body} | {"object": item}


def link_json(issue: Issue, link: dict[str, Any], api: str) -> dict[str, Any]:
    base = current_emulator().base_url()
    return {
        "id": int(link["id"]),
        "self": f"{base}/rest/api/{api}/issue/{issue.id}/remotelink/{link['id']}",
        **{key: value for key, value in link.items() if key != "id"},
    }


def _find(issue: Issue, link_id: str) -> dict[str, Any]:
    found = next((link for link in issue.remote_links if link["id"] == str(link_id)), None)
    if found is None:
        raise NotFound(f"No remote link with id {link_id} on issue {issue.key}.")
    return found


@blueprint.get(ROOT)
def list_links(api: str, reference: str) -> Response:
    emulator = current_emulator()
    issue = emulator.site.issue(reference)
    wanted = request.args.get("globalId")
    if wanted is None:
        return jsonify([link_json(issue, link, api) for link in issue.remote_links])
    found = next((link for link in issue.remote_links if link.get("globalId") == wanted), None)
    if found is None:
        raise NotFound(f"No remote link with globalId {wanted} on issue {issue.key}.")
    return jsonify(link_json(issue, found, api))


@blueprint.post(ROOT)
def create_link(api: str, reference: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        stored = link_input(request.get_json(silent=True))
        link = _with_global_id(issue, stored.get("globalId"))
        status = 200 if link is not None else 201
        if link is None:
            link = {"id": emulator.site.next_id("remotelink")}
            issue.remote_links.append(link)
        link_id = link["id"]
        link.clear()
        link.update({"id": link_id, **stored})
    response = jsonify({"id": int(link_id), "self": link_json(issue, link, api)["self"]})
    response.status_code = status
    return response


def _with_global_id(issue: Issue, global_id: Any) -> dict[str, Any] | None:
    """The issue's link with this ``globalId``, which a POST replaces; None when there is none."""
    if not global_id:
        return None
    return next((link for link in issue.remote_links if link.get("globalId") == global_id), None)


@blueprint.get(f"{ROOT}/<link_id>")
def get_link(api: str, reference: str, link_id: str) -> Response:
    issue = current_emulator().site.issue(reference)
    return jsonify(link_json(issue, _find(issue, link_id), api))


@blueprint.put(f"{ROOT}/<link_id>")
def replace_link(api: str, reference: str, link_id: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        link = _find(emulator.site.issue(reference), link_id)
        stored = link_input(request.get_json(silent=True))
        link.clear()
        link.update({"id": str(link_id), **stored})
    return Response(status=204)


@blueprint.delete(f"{ROOT}/<link_id>")
def delete_link(api: str, reference: str, link_id: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        issue.remote_links.remove(_find(issue, link_id))
    return Response(status=204)


@blueprint.delete(ROOT)
def delete_link_by_global_id(api: str, reference: str) -> Response:
    emulator = current_emulator()
    wanted = request.args.get("globalId")
    if not wanted:
        return _error(400, "The globalId query parameter is required to delete remote links by global id.")
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        kept = [link for link in issue.remote_links if link.get("globalId") != wanted]
        if len(kept) == len(issue.remote_links):
            raise NotFound(f"No remote link with globalId {wanted} on issue {issue.key}.")
        issue.remote_links[:] = kept
    return Response(status=204)

"""Jira REST (v2 and v3 paths): search, issues, properties, comments, links, fields, projects, users.

Cloud serves ``/search/jql`` with ``nextPageToken`` paging and answers the old ``/search`` with 410;
Data Center serves ``/search`` with ``startAt`` / ``total``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulator import edits, payloads
from emulator.context import actor, current_emulator, no_such_resource, not_found
from emulator.edit_meta import edit_meta
from emulator.jira_json import (
    FieldSelection,
    comment_json,
    field_catalog,
    issue_json,
    issue_reference,
    issue_type_json,
    link_json,
    link_type_json,
    named_json,
    parse_field_selection,
    project_json,
    status_json,
    user_json,
)
from emulator.search import JqlError
from emulator.server_info import cloud_server_info, data_center_release, data_center_server_info
from emulator.state import Issue, NotFound
from emulator.timefmt import jira_time

blueprint = Blueprint("jira", __name__)
blueprint.register_error_handler(NotFound, not_found)

API = '/rest/api/<any("2","3"):api>'
CLOUD_DEFAULT_RESULTS = 50
CLOUD_MAX_RESULTS = 100
CLOUD_MAX_IDENTIFIER_RESULTS = 5000
DC_MAX_RESULTS = 1000
PROPERTY_LIMIT = 32768


def jira_error(status: int, *messages: str, errors: dict[str, str] | None = None) -> Response:
    response = jsonify(errorMessages=list(messages), errors=errors or {})
    response.status_code = status
    return response


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise edits.FieldErrors({}, ["The request body must be a JSON object."])
    return data


@blueprint.errorhandler(edits.FieldErrors)
def _field_errors(exc: edits.FieldErrors) -> Response:
    return jira_error(400, *exc.messages, errors=exc.errors)


@blueprint.errorhandler(JqlError)
def _jql_error(exc: JqlError) -> Response:
    return jira_error(400, str(exc))


# ---------------------------------------------------------------------------- site information


@blueprint.get(f"{API}/serverInfo")
def server_info(api: str) -> Response:
    emulator = current_emulator()
    site = emulator.site
    if site.flavor == "cloud":
        return jsonify(cloud_server_info(emulator.base_url(), site.title, emulator.now()))
    release = data_center_release(site.server_version)
    return jsonify(data_center_server_info(release, emulator.base_url(), site.title, emulator.now()))


@blueprint.get(f"{API}/myself")
def myself(api: str) -> Response:
    body = user_json(actor(), current_emulator().view(api))
    return jsonify(
        {
            **body,
            "locale": "en_US",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        }
    )


@blueprint.get(f"{API}/user")
def user(api: str) -> Response:
    reference = request.args.get("accountId") or request.args.get("username") or request.args.get("key")
    if not reference:
        return jira_error(400, "Specify accountId (Cloud) or username / key (Data Center).")
    emulator = current_emulator()
    return jsonify(user_json(emulator.site.user(reference), emulator.view(api)))


@blueprint.get(f"{API}/user/search")
def user_search(api: str) -> Response:
    """Cloud: ``query`` against display name and e-mail, or one exact ``accountId`` (not both); Data
    Center: ``username`` against user name, display name and e-mail. A value matches when it, or
    one of its words, starts with the text, in any case (``john`` finds John Smith and johnson@…)."""
    emulator = current_emulator()
    view = emulator.view(api)
    cloud = view.flavor == "cloud"
    account = request.args.get("accountId") if cloud else None
    text = ((request.args.get("query") if cloud else request.args.get("username")) or "").strip()
    if cloud and account and text:
        return jira_error(400, "Specify either query or accountId, not both.")
    if account:
        found = [u for u in emulator.site.users if u.account_id == account]
    elif text:
        found = [
            u
            for u in emulator.site.users
            if any(_starts(value, text) for value in (u.email, u.display_name, *(() if cloud else (u.name,))))
        ]
    else:
        return jira_error(
            400, f"One of {'query or accountId' if cloud else 'username'} must be given to search for users."
        )
    start, size = max(0, _int_arg("startAt", 0)), max(0, _int_arg("maxResults", 50))
    return jsonify([user_json(u, view) for u in found[start : start + size]])


def _starts(value: str, text: str) -> bool:
    folded, wanted = value.casefold(), text.casefold()
    return folded.startswith(wanted) or any(word.startswith(wanted) for word in folded.split())


@blueprint.get(f"{API}/field")
def fields(api: str) -> Response:
    return jsonify(field_catalog(current_emulator().site))


@blueprint.get(f"{API}/project")
def projects(api: str) -> Response:
    emulator = current_emulator()
    return jsonify([project_json(p, emulator.view(api)) for p in emulator.site.projects])


@blueprint.get(f"{API}/project/search")
def project_search(api: str) -> Response:
    emulator = current_emulator()
    start, limit = _int_arg("startAt", 0), _int_arg("maxResults", 50)
    values = [project_json(p, emulator.view(api)) for p in emulator.site.projects]
    page = values[start : start + limit]
    return jsonify(
        {
            "self": request.url,
            "maxResults": limit,
            "startAt": start,
            "total": len(values),
            "isLast": start + len(page) >= len(values),
            "values": page,
        }
    )


@blueprint.get(f"{API}/project/<reference>")
def project(api: str, reference: str) -> Response:
    emulator = current_emulator()
    return jsonify(project_json(emulator.site.project(reference), emulator.view(api), emulator.site))


@blueprint.get(f"{API}/issuetype")
def issue_types(api: str) -> Response:
    emulator = current_emulator()
    return jsonify([issue_type_json(t, emulator.view(api)) for t in emulator.site.issue_types])


@blueprint.get(f"{API}/status")
def statuses(api: str) -> Response:
    emulator = current_emulator()
    return jsonify([status_json(s, emulator.view(api)) for s in emulator.site.statuses])


@blueprint.get(f"{API}/priority")
def priorities(api: str) -> Response:
    emulator = current_emulator()
    return jsonify([named_json("priority", p, emulator.view(api)) for p in emulator.site.priorities])


@blueprint.get(f"{API}/issueLinkType")
def link_types(api: str) -> Response:
    emulator = current_emulator()
    return jsonify(issueLinkTypes=[link_type_json(t, emulator.view(api)) for t in emulator.site.link_types])


# ---------------------------------------------------------------------------- search


def _int_arg(name: str, default: int, source: dict[str, Any] | None = None) -> int:
    value = (source if source is not None else request.args).get(name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise edits.FieldErrors({}, [f"The value '{value}' is not a valid number for '{name}'."]) from None


def _search_arguments() -> dict[str, Any]:
    """GET query parameters or a POST body, as one mapping; list-valued ``fields`` kept as a list."""
    if request.method == "POST":
        return _body()
    arguments: dict[str, Any] = dict(request.args.items())
    arguments["fields"] = request.args.getlist("fields") or None
    return arguments


def _expand(value: Any) -> frozenset[str]:
    items = value if isinstance(value, list) else str(value or "").split(",")
    return frozenset(i.strip() for i in items if i.strip())


def page_token(offset: int, jql: str) -> str:
    raw = json.dumps({"o": offset, "q": hashlib.sha1(jql.encode()).hexdigest()[:12]}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def token_offset(token: str, jql: str) -> int:
    """The offset a ``nextPageToken`` stands for; it is only valid for the query that made it."""
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        offset, digest = int(decoded["o"]), decoded["q"]
    except (ValueError, KeyError, TypeError):
        raise edits.FieldErrors({}, ["The provided next page token is invalid or expired."]) from None
    if digest != hashlib.sha1(jql.encode()).hexdigest()[:12]:
        raise edits.FieldErrors({}, ["The provided next page token is invalid or expired."])
    return offset


def failing_search(text: str) -> Response | None:
    """``fail_search_jql``: a search whose JQL contains one of the knob's substrings answers
    ``fail_search_status`` with Jira's error body, every time; None lets the search run."""
    knobs = current_emulator().faults.knobs
    hit = next((part for part in knobs.fail_search_jql if part and part in text), None)
    if hit is None:
        return None
    return jira_error(knobs.fail_search_status, f"The search failed: its JQL contains {hit!r} (fail_search_jql).")


def cloud_page_size(requested: int, selection: FieldSelection) -> int:
    """Jira Cloud returns up to 5000 issues a page for id/key only, otherwise at most 100."""
    cap = CLOUD_MAX_IDENTIFIER_RESULTS if selection.only_identifiers else CLOUD_MAX_RESULTS
    return max(1, min(requested, cap))


@blueprint.route(f"{API}/search/jql", methods=["GET", "POST"])
def search_jql(api: str) -> Response:
    emulator = current_emulator()
    if emulator.site.flavor != "cloud":
        return no_such_resource()
    arguments = _search_arguments()
    text = str(arguments.get("jql") or "")
    refused = failing_search(text)
    if refused is not None:
        return refused
    selection = parse_field_selection(arguments.get("fields"), "id")
    size = cloud_page_size(_int_arg("maxResults", CLOUD_DEFAULT_RESULTS, arguments), selection)
    offset = token_offset(arguments["nextPageToken"], text) if arguments.get("nextPageToken") else 0
    expand = _expand(arguments.get("expand"))
    with emulator.site.lock:
        query, issues = emulator.search(text, actor())
        if not query.bounded:
            return jira_error(
                400, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
            )
        page = [
            issue_json(emulator.site, i, emulator.view(api), selection, expand) for i in issues[offset : offset + size]
        ]
    body: dict[str, Any] = {"issues": page, "isLast": offset + size >= len(issues)}
    if not body["isLast"]:
        body["nextPageToken"] = page_token(offset + size, text)
    return jsonify(body)


@blueprint.post(f"{API}/search/approximate-count")
def approximate_count(api: str) -> Response:
    emulator = current_emulator()
    text = str(_body().get("jql") or "")
    refused = failing_search(text)
    if refused is not None:
        return refused
    with emulator.site.lock:
        query, issues = emulator.search(text, actor())
    if not query.bounded:
        return jira_error(
            400, "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        )
    return jsonify(count=len(issues))


@blueprint.route(f"{API}/search", methods=["GET", "POST"])
def search(api: str) -> Response:
    emulator = current_emulator()
    if emulator.site.flavor == "cloud":
        return jira_error(
            410,
            "The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
            "API. A full migration guideline is available at "
            "https://developer.atlassian.com/changelog/#CHANGE-2046",
        )
    arguments = _search_arguments()
    text = str(arguments.get("jql") or "")
    refused = failing_search(text)
    if refused is not None:
        return refused
    start = max(0, _int_arg("startAt", 0, arguments))
    size = max(0, min(_int_arg("maxResults", 50, arguments), DC_MAX_RESULTS))
    selection = parse_field_selection(arguments.get("fields"), "*navigable")
    expand = _expand(arguments.get("expand"))
    with emulator.site.lock:
        _, issues = emulator.search(text, actor())
        page = [
            issue_json(emulator.site, i, emulator.view(api), selection, expand, listed=True)
            for i in issues[start : start + size]
        ]
    return jsonify(
        {"expand": "schema,names", "startAt": start, "maxResults": size, "total": len(issues), "issues": page}
    )


# ---------------------------------------------------------------------------- issues


@blueprint.post(f"{API}/issue")
def create_issue(api: str) -> Response:
    emulator = current_emulator()
    body = _body()
    properties = _entity_properties(body.get("properties"))
    with emulator.site.lock:
        issue, changelog = edits.create_issue(emulator.site, body.get("fields") or {}, actor(), emulator.now())
        issue.properties.update(properties)
        _publish_issue_event(issue, "jira:issue_created", "issue_created", changelog)
    response = jsonify({"id": issue.id, "key": issue.key, "self": emulator.view(api).rest(f"issue/{issue.id}")})
    response.status_code = 201
    return response


@blueprint.get(f"{API}/issue/<reference>")
def get_issue(api: str, reference: str) -> Response:
    emulator = current_emulator()
    selection = parse_field_selection(request.args.getlist("fields") or None, "*all")
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        body = issue_json(emulator.site, issue, emulator.view(api), selection, _expand(request.args.get("expand")))
        wanted = _expand(request.args.get("properties"))
        if wanted:
            body["properties"] = {k: v for k, v in issue.properties.items() if "*all" in wanted or k in wanted}
    return jsonify(body)


@blueprint.get(f"{API}/issue/<reference>/editmeta")
def issue_edit_meta(api: str, reference: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        return jsonify(edit_meta(emulator.site, emulator.site.issue(reference), emulator.view(api)))


@blueprint.put(f"{API}/issue/<reference>")
def edit_issue(api: str, reference: str) -> Response:
    emulator = current_emulator()
    body = _body()
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        entry = edits.edit_issue(
            emulator.site, issue, body.get("fields") or {}, body.get("update") or {}, actor(), emulator.now()
        )
        for operation in (body.get("update") or {}).get("comment") or []:
            if "add" in operation:
                _add_comment(issue, operation["add"].get("body"))
        for item in body.get("properties") or []:
            _set_property(issue, item["key"], item["value"])
        if entry is not None:
            _publish_issue_event(
                issue, "jira:issue_updated", edits.event_type_name(entry["items"], emulator.site), entry
            )
        if request.args.get("returnIssue") == "true":
            return jsonify(issue_json(emulator.site, issue, emulator.view(api), parse_field_selection(None, "*all")))
    return Response(status=204)


@blueprint.delete(f"{API}/issue/<reference>")
def delete_issue(api: str, reference: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        if _children(issue) and request.args.get("deleteSubtasks") != "true":
            return jira_error(400, "The issue has subtasks. Set deleteSubtasks=true to delete them too.")
        _publish_issue_event(issue, "jira:issue_deleted", "issue_deleted", None)
        emulator.site.remove_issue(issue)
        for child in _children(issue):
            emulator.site.remove_issue(child)
    return Response(status=204)


def _children(issue: Issue) -> list[Issue]:
    return current_emulator().site.children(issue.id)


@blueprint.get(f"{API}/issue/<reference>/transitions")
def transitions(api: str, reference: str) -> Response:
    emulator = current_emulator()
    emulator.site.issue(reference)
    view = emulator.view(api)
    return jsonify(
        expand="transitions",
        transitions=[
            {
                "id": str(s["id"]),
                "name": s["name"],
                "to": status_json(s, view),
                "hasScreen": False,
                "isGlobal": True,
                "isInitial": False,
                "isAvailable": True,
                "isConditional": False,
                "isLooped": False,
            }
            for s in emulator.site.statuses
        ],
    )


@blueprint.post(f"{API}/issue/<reference>/transitions")
def transition(api: str, reference: str) -> Response:
    emulator = current_emulator()
    body = _body()
    wanted = (body.get("transition") or {}).get("id")
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        try:
            emulator.site.status(wanted)
        except NotFound:
            return jira_error(400, f"Transition id '{wanted}' is not valid for this issue.")
        entry = edits.transition_issue(emulator.site, issue, wanted, actor(), emulator.now())
        if body.get("fields") or body.get("update"):
            more = edits.edit_issue(
                emulator.site, issue, body.get("fields") or {}, body.get("update") or {}, actor(), emulator.now()
            )
            entry["items"].extend(more["items"] if more else [])
        _publish_issue_event(issue, "jira:issue_updated", edits.event_type_name(entry["items"], emulator.site), entry)
    return Response(status=204)


def _publish_issue_event(issue: Issue, event: str, type_name: str, changelog: dict[str, Any] | None) -> None:
    emulator = current_emulator()
    view = payloads.webhook_view(emulator.site, emulator.base_url())
    payload = payloads.issue_event(
        emulator.site,
        issue,
        view,
        event=event,
        type_name=type_name,
        actor=actor(),
        now=emulator.now(),
        changelog=changelog,
    )
    emulator.notify(event, payload, issue)


# ---------------------------------------------------------------------------- properties


@blueprint.get(f"{API}/issue/<reference>/properties")
def property_keys(api: str, reference: str) -> Response:
    emulator = current_emulator()
    issue = emulator.site.issue(reference)
    base = emulator.view(api).rest(f"issue/{issue.id}/properties")
    return jsonify(keys=[{"self": f"{base}/{key}", "key": key} for key in issue.properties])


@blueprint.get(f"{API}/issue/<reference>/properties/<key>")
def get_property(api: str, reference: str, key: str) -> Response:
    issue = current_emulator().site.issue(reference)
    if key not in issue.properties:
        return jira_error(404, f"The property with key '{key}' does not exist.")
    return jsonify(key=key, value=issue.properties[key])


@blueprint.put(f"{API}/issue/<reference>/properties/<key>")
def put_property(api: str, reference: str, key: str) -> Response:
    emulator = current_emulator()
    value = request.get_json(silent=True)
    if value is None and request.get_data(as_text=True).strip() != "null":
        return jira_error(400, "The property value must be valid JSON.")
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        created = key not in issue.properties
        _set_property(issue, key, value)
    response = jsonify({})
    response.status_code = 201 if created else 200
    return response


@blueprint.delete(f"{API}/issue/<reference>/properties/<key>")
def delete_property(api: str, reference: str, key: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        if issue.properties.pop(key, None) is None:
            return jira_error(404, f"The property with key '{key}' does not exist.")
    return Response(status=204)


def _set_property(issue: Issue, key: str, value: Any) -> None:
    _check_property(key, value)
    issue.properties[key] = value


def _check_property(key: Any, value: Any) -> None:
    """Jira's limits on an entity property (issue or comment): a key of 1–255 characters, a value of
    at most 32 KB of JSON."""
    if not isinstance(key, str) or not key or len(key) > 255:
        raise edits.FieldErrors({}, ["The property key must be between 1 and 255 characters long."])
    size = len(json.dumps(value, separators=(",", ":")).encode())
    if size > PROPERTY_LIMIT:
        raise edits.FieldErrors(
            {}, [f"The property value is too long: {size} bytes, the limit is {PROPERTY_LIMIT} bytes (32 KB)."]
        )


def _entity_properties(listed: Any) -> dict[str, Any]:
    """A create or update body's ``properties`` (``[{"key": …, "value": …}]``), checked: key → value."""
    if listed is None:
        return {}
    if not isinstance(listed, list) or not all(isinstance(item, dict) and "value" in item for item in listed):
        raise edits.FieldErrors({}, ['properties must be a list of {"key": …, "value": …} objects.'])
    for item in listed:
        _check_property(item.get("key"), item["value"])
    return {item["key"]: item["value"] for item in listed}


# ---------------------------------------------------------------------------- comments


@blueprint.get(f"{API}/issue/<reference>/comment")
def comments(api: str, reference: str) -> Response:
    emulator = current_emulator()
    issue = emulator.site.issue(reference)
    start, limit = _int_arg("startAt", 0), _int_arg("maxResults", 5000)
    order = request.args.get("orderBy", "created")
    if order not in ("created", "+created", "-created"):
        return jira_error(400, f"The orderBy value '{order}' is not valid: use created or -created.")
    listed = list(reversed(issue.comments)) if order == "-created" else issue.comments
    with_properties = "properties" in _expand(request.args.get("expand"))
    page = [
        comment_json(emulator.site, issue, c, emulator.view(api), with_properties=with_properties)
        for c in listed[start : start + limit]
    ]
    return jsonify(startAt=start, maxResults=limit, total=len(issue.comments), comments=page)


@blueprint.post(f"{API}/issue/<reference>/comment")
def add_comment(api: str, reference: str) -> Response:
    emulator = current_emulator()
    body = _body()
    if not body.get("body"):
        return jira_error(400, errors={"comment": "Comment body can not be empty!"})
    properties = _entity_properties(body.get("properties"))
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        comment = _add_comment(issue, body["body"], properties)
        with_properties = "properties" in _expand(request.args.get("expand"))
        response = jsonify(comment_json(emulator.site, issue, comment, emulator.view(api), with_properties))
    response.status_code = 201
    return response


@blueprint.get(f"{API}/issue/<reference>/comment/<comment_id>")
def get_comment(api: str, reference: str, comment_id: str) -> Response:
    emulator = current_emulator()
    issue = emulator.site.issue(reference)
    with_properties = "properties" in _expand(request.args.get("expand"))
    return jsonify(comment_json(emulator.site, issue, _comment(issue, comment_id), emulator.view(api), with_properties))


@blueprint.put(f"{API}/issue/<reference>/comment/<comment_id>")
def edit_comment(api: str, reference: str, comment_id: str) -> Response:
    emulator = current_emulator()
    body = _body()
    properties = _entity_properties(body.get("properties"))
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        comment = _comment(issue, comment_id)
        comment.update(body=body.get("body", comment["body"]), updated=jira_time(emulator.now()))
        comment.setdefault("properties", {}).update(properties)
        emulator.site.issue_written()
        _publish_comment_event(issue, comment, "comment_updated")
        return jsonify(comment_json(emulator.site, issue, comment, emulator.view(api)))


@blueprint.delete(f"{API}/issue/<reference>/comment/<comment_id>")
def delete_comment(api: str, reference: str, comment_id: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        issue = emulator.site.issue(reference)
        comment = _comment(issue, comment_id)
        _publish_comment_event(issue, comment, "comment_deleted")
        issue.comments.remove(comment)
        emulator.site.issue_written()
    return Response(status=204)


def _comment(issue: Issue, comment_id: str) -> dict[str, Any]:
    found = next((c for c in issue.comments if c["id"] == comment_id), None)
    if found is None:
        raise NotFound(f"Can not find a comment for the id: {comment_id}.")
    return found


def _add_comment(issue: Issue, body: Any, properties: dict[str, Any] | None = None) -> dict[str, Any]:
    emulator = current_emulator()
    stamp = jira_time(emulator.now())
    comment = {
        "id": emulator.site.next_id("comment"),
        "author": actor().account_id,
        "body": body,
        "created": stamp,
        "updated": stamp,
        "properties": dict(properties or {}),
    }
    issue.comments.append(comment)
    issue.fields["updated"] = stamp
    emulator.site.issue_written()
    _publish_comment_event(issue, comment, "comment_created")
    view = payloads.webhook_view(emulator.site, emulator.base_url())
    emulator.notify(
        "jira:issue_updated",
        payloads.issue_commented_event(emulator.site, issue, comment, view, actor=actor(), now=emulator.now()),
        issue,
    )
    return comment


def _publish_comment_event(issue: Issue, comment: dict[str, Any], event: str) -> None:
    emulator = current_emulator()
    view = payloads.webhook_view(emulator.site, emulator.base_url())
    emulator.notify(
        event, payloads.comment_event(emulator.site, issue, comment, view, event=event, now=emulator.now()), issue
    )


# ---------------------------------------------------------------------------- comment properties


@blueprint.get(f"{API}/comment/<comment_id>/properties")
def comment_property_keys(api: str, comment_id: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        issue, comment = _comment_anywhere(comment_id)
        base = emulator.view(api).rest(f"comment/{comment_id}/properties")
        return jsonify(keys=[{"self": f"{base}/{key}", "key": key} for key in comment.get("properties", {})])


@blueprint.get(f"{API}/comment/<comment_id>/properties/<key>")
def get_comment_property(api: str, comment_id: str, key: str) -> Response:
    with current_emulator().site.lock:
        _, comment = _comment_anywhere(comment_id)
        properties = comment.get("properties", {})
        if key not in properties:
            return jira_error(404, f"The property with key '{key}' does not exist.")
        return jsonify(key=key, value=properties[key])


@blueprint.put(f"{API}/comment/<comment_id>/properties/<key>")
def put_comment_property(api: str, comment_id: str, key: str) -> Response:
    emulator = current_emulator()
    value = request.get_json(silent=True)
    if value is None and request.get_data(as_text=True).strip() != "null":
        return jira_error(400, "The property value must be valid JSON.")
    _check_property(key, value)
    with emulator.site.lock:
        _, comment = _comment_anywhere(comment_id)
        properties = comment.setdefault("properties", {})
        created = key not in properties
        properties[key] = value
        emulator.site.issue_written()
    response = jsonify({})
    response.status_code = 201 if created else 200
    return response


@blueprint.delete(f"{API}/comment/<comment_id>/properties/<key>")
def delete_comment_property(api: str, comment_id: str, key: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        _, comment = _comment_anywhere(comment_id)
        if comment.get("properties", {}).pop(key, None) is None:
            return jira_error(404, f"The property with key '{key}' does not exist.")
        emulator.site.issue_written()
    return Response(status=204)


def _comment_anywhere(comment_id: str) -> tuple[Issue, dict[str, Any]]:
    """The comment with this id, on whichever issue it is (Jira's comment ids are site-wide)."""
    for issue in current_emulator().site.issues.values():
        for comment in issue.comments:
            if comment["id"] == comment_id:
                return issue, comment
    raise NotFound(f"Can not find a comment for the id: {comment_id}.")


# ---------------------------------------------------------------------------- links


@blueprint.post(f"{API}/issueLink")
def create_link(api: str) -> Response:
    emulator = current_emulator()
    body = _body()
    with emulator.site.lock:
        site = emulator.site
        try:
            link_type = site.link_type(body.get("type"))
        except NotFound:
            return jira_error(404, f"No issue link type with name '{(body.get('type') or {}).get('name')}' found.")
        inward = site.issue(_issue_reference(body.get("inwardIssue")))
        outward = site.issue(_issue_reference(body.get("outwardIssue")))
        link = {"id": site.next_id("link"), "type": str(link_type["id"]), "inward": inward.id, "outward": outward.id}
        site.add_link(link)
        emulator.notify(
            "issuelink_created", payloads.link_event(site, link, event="issuelink_created", now=emulator.now())
        )
        if (body.get("comment") or {}).get("body"):
            _add_comment(inward, body["comment"]["body"])
    response = jsonify({})
    response.status_code = 201
    response.headers["Location"] = emulator.view(api).rest(f"issueLink/{link['id']}")
    return response


def _issue_reference(value: Any) -> str:
    if not isinstance(value, dict) or not (value.get("key") or value.get("id")):
        raise edits.FieldErrors({}, ["inwardIssue and outwardIssue need a 'key' or an 'id'."])
    return str(value.get("key") or value.get("id"))


@blueprint.get(f"{API}/issueLink/<link_id>")
def get_link(api: str, link_id: str) -> Response:
    emulator = current_emulator()
    link = emulator.site.links.get(link_id)
    if link is None:
        return jira_error(404, f"No issue link with id '{link_id}' exists.")
    view = emulator.view(api)
    body = link_json(emulator.site, link, emulator.site.issues[link["inward"]], view)
    body["inwardIssue"] = issue_reference(emulator.site, emulator.site.issues[link["inward"]], view)
    return jsonify(body)


@blueprint.delete(f"{API}/issueLink/<link_id>")
def delete_link(api: str, link_id: str) -> Response:
    emulator = current_emulator()
    with emulator.site.lock:
        link = emulator.site.remove_link(link_id)
        if link is None:
            return jira_error(404, f"No issue link with id '{link_id}' exists.")
        emulator.notify(
            "issuelink_deleted", payloads.link_event(emulator.site, link, event="issuelink_deleted", now=emulator.now())
        )
    return Response(status=204)

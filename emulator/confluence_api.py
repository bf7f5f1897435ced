"""Confluence REST under ``/wiki``: v1 ``/wiki/rest/api/content`` and ``/space``, v2 ``/wiki/api/v2/pages``.

Storage format bodies are kept verbatim. Updates must carry ``version.number`` = current + 1, else
409 — the optimistic locking the product's write-back relies on.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from flask import Blueprint, Response, jsonify, request

from emulator import confluence_pages
from emulator.context import actor, current_emulator
from emulator.jira_json import avatar_urls
from emulator.state import NotFound, Page, Site, Space, User

blueprint = Blueprint("confluence", __name__)

V1 = "/wiki/rest/api"
V2 = "/wiki/api/v2"
V1_DEFAULT_LIMIT = 25
V2_DEFAULT_LIMIT = 25
V2_MAX_LIMIT = 250


def _v1_error(status: int, message: str) -> Response:
    response = jsonify(
        statusCode=status,
        message=message,
        data={"authorized": status != 403, "valid": status < 500, "errors": [], "successful": False},
    )
    response.status_code = status
    return response


def _v2_error(status: int, message: str) -> Response:
    codes = {400: "INVALID_REQUEST_PARAMETER", 404: "NOT_FOUND", 409: "CONFLICT"}
    response = jsonify(
        errors=[{"status": status, "code": codes.get(status, "ERROR"), "title": message, "detail": None}]
    )
    response.status_code = status
    return response


def _is_v2() -> bool:
    return request.path.startswith(V2)


@blueprint.errorhandler(confluence_pages.PageError)
def _page_error(exc: confluence_pages.PageError) -> Response:
    return (_v2_error if _is_v2() else _v1_error)(exc.status, str(exc))


@blueprint.errorhandler(NotFound)
def _not_found(exc: NotFound) -> Response:
    return (_v2_error if _is_v2() else _v1_error)(404, str(exc))


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise confluence_pages.PageError(400, "The request body must be a JSON object.")
    return data


def _wiki() -> str:
    return current_emulator().base_url() + "/wiki"


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "+", title).strip("+")


def web_path(page: Page) -> str:
    return f"/spaces/{page.space_key}/pages/{page.id}/{_slug(page.title)}"


# ---------------------------------------------------------------------------- v1 rendering


def confluence_user(user: User) -> dict[str, Any]:
    return {
        "type": "known",
        "accountId": user.account_id,
        "accountType": "atlassian",
        "email": user.email,
        "publicName": user.display_name,
        "displayName": user.display_name,
        "profilePicture": {"path": avatar_urls(user.email)["48x48"], "width": 48, "height": 48, "isDefault": True},
        "isExternalCollaborator": False,
        "_links": {"self": f"{_wiki()}/rest/api/user?accountId={user.account_id}"},
    }


def _user_or_default(site: Site, account_id: str) -> User:
    try:
        return site.user(account_id)
    except NotFound:
        return site.default_user()


def version_json(site: Site, page: Page) -> dict[str, Any]:
    return {
        "by": confluence_user(_user_or_default(site, page.author)),
        "when": page.updated,
        "friendlyWhen": page.updated,
        "message": page.message,
        "number": page.version,
        "minorEdit": False,
        "contentTypeModified": False,
        "_links": {"self": f"{_wiki()}/rest/experimental/content/{page.id}/version/{page.version}"},
    }


def space_json(space: Space) -> dict[str, Any]:
    return {
        "id": int(space.id),
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": "current",
        "_expandable": {
            "settings": "",
            "metadata": "",
            "operations": "",
            "lookAndFeel": "",
            "identifiers": "",
            "permissions": "",
            "icon": "",
            "description": "",
            "theme": "",
            "history": "",
            "homepage": f"/rest/api/content/{space.homepage_id}" if space.homepage_id else "",
        },
        "_links": {"webui": f"/spaces/{space.key}", "self": f"{_wiki()}/rest/api/space/{space.key}"},
    }


CONTENT_EXPANDABLE = (
    "childTypes",
    "container",
    "metadata",
    "operations",
    "children",
    "restrictions",
    "ancestors",
    "body",
    "descendants",
)


def content_json(site: Site, page: Page, expand: set[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": page.id,
        "type": "page",
        "status": page.status,
        "title": page.title,
        "space": space_json(site.space(page.space_key)),
        "version": version_json(site, page),
    }
    if "history" in expand:
        body["history"] = history_json(site, page)
    if "ancestors" in expand:
        body["ancestors"] = [content_json(site, a, set()) for a in confluence_pages.ancestors_of(site, page)]
    if any(e.startswith("body") for e in expand):
        body["body"] = storage_body_json(page)
    if "children.page" in expand:
        body["children"] = {"page": child_pages_json(site, page)}
    body["_expandable"] = {k: "" for k in CONTENT_EXPANDABLE if k not in body}
    body["_links"] = content_links(page)
    return body


def storage_body_json(page: Page) -> dict[str, Any]:
    """The ``body`` expansion: the storage representation, the other representations left expandable."""
    return {
        "storage": {
            "value": page.body,
            "representation": "storage",
            "embeddedContent": [],
            "_expandable": {"content": f"/rest/api/content/{page.id}"},
        },
        "_expandable": {
            "view": "",
            "export_view": "",
            "styled_view": "",
            "editor": "",
            "atlas_doc_format": "",
            "anonymous_export_view": "",
        },
    }


def child_pages_json(site: Site, page: Page) -> dict[str, Any]:
    """The ``children.page`` expansion: the first page of the page's children."""
    return _paged(
        [content_json(site, c, set()) for c in confluence_pages.children_of(site, page.id)],
        0,
        V1_DEFAULT_LIMIT,
        f"/rest/api/content/{page.id}/child/page",
    )


def content_links(page: Page) -> dict[str, str]:
    return {
        "webui": web_path(page),
        "edit": f"/pages/resumedraft.action?draftId={page.id}",
        "tinyui": f"/x/{page.id}",
        "self": f"{_wiki()}/rest/api/content/{page.id}",
        "base": _wiki(),
        "context": "/wiki",
    }


def history_json(site: Site, page: Page) -> dict[str, Any]:
    return {
        "latest": True,
        "createdBy": confluence_user(_user_or_default(site, page.author)),
        "createdDate": page.created,
        "lastUpdated": version_json(site, page),
        "_links": {"self": f"{_wiki()}/rest/api/content/{page.id}/history"},
    }


def _paged(results: list[Any], start: int, limit: int, path: str) -> dict[str, Any]:
    window = results[start : start + limit]
    links: dict[str, str] = {"base": _wiki(), "context": "/wiki", "self": f"{_wiki()}{path}"}
    if start + limit < len(results):
        links["next"] = f"{path}?start={start + limit}&limit={limit}"
    return {"results": window, "start": start, "limit": limit, "size": len(window), "_links": links}


def _expand_arg() -> set[str]:
    return {e.strip() for e in request.args.get("expand", "").split(",") if e.strip()}


def _window() -> tuple[int, int]:
    try:
        return max(0, int(request.args.get("start", 0))), max(1, int(request.args.get("limit", V1_DEFAULT_LIMIT)))
    except ValueError:
        raise confluence_pages.PageError(400, "start and limit must be whole numbers.") from None


def _storage_value(body: dict[str, Any]) -> str | None:
    """The storage-format value of a v1 ``body`` or a v2 ``body``; other representations are refused."""
    content = body.get("body")
    if content is None:
        return None
    if "representation" in content:  # v2 shape: {"representation": "storage", "value": …}
        representation, value = content.get("representation"), content.get("value")
    else:  # v1 shape: {"storage": {"value": …, "representation": "storage"}}
        representation = next(iter(content), None)
        value = (content.get(representation) or {}).get("value") if representation else None
    if representation != "storage":
        raise confluence_pages.PageError(400, f"Only the storage representation is supported, got {representation!r}.")
    return str(value or "")


# ---------------------------------------------------------------------------- v1 routes


@blueprint.get(f"{V1}/content")
def find_content() -> Response:
    site = current_emulator().site
    if request.args.get("type", "page") != "page":
        return jsonify(_paged([], 0, V1_DEFAULT_LIMIT, "/rest/api/content"))
    space_key, title = request.args.get("spaceKey"), request.args.get("title")
    start, limit = _window()
    with site.lock:
        found = [
            p
            for p in site.pages.values()
            if p.status == "current"
            and (space_key is None or p.space_key == space_key)
            and (title is None or p.title == title)
        ]
        results = [content_json(site, p, _expand_arg()) for p in sorted(found, key=lambda p: int(p.id))]
    return jsonify(_paged(results, start, limit, "/rest/api/content"))


@blueprint.post(f"{V1}/content")
@blueprint.post(f"{V1}/content/")
def create_content() -> Response:
    emulator = current_emulator()
    body = _json_body()
    if body.get("type", "page") != "page":
        raise confluence_pages.PageError(400, f"Only pages can be created here, got type {body.get('type')!r}.")
    with emulator.site.lock:
        space = confluence_pages.space_or_error(emulator.site, (body.get("space") or {}).get("key"))
        ancestors = body.get("ancestors") or []
        page = confluence_pages.create_page(
            emulator.site,
            space,
            body.get("title"),
            _storage_value(body) or "",
            str(ancestors[-1]["id"]) if ancestors else None,
            actor().account_id,
            emulator.wall_clock(),
        )
        return jsonify(content_json(emulator.site, page, {"body.storage", "ancestors"}))


@blueprint.get(f"{V1}/content/<page_id>")
def get_content(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        return jsonify(content_json(site, site.page(page_id), _expand_arg()))


@blueprint.put(f"{V1}/content/<page_id>")
def update_content(page_id: str) -> Response:
    emulator = current_emulator()
    body = _json_body()
    version = body.get("version") or {}
    ancestors = body.get("ancestors") or []
    with emulator.site.lock:
        page = emulator.site.page(page_id)
        confluence_pages.update_page(
            emulator.site,
            page,
            title=body.get("title", page.title),
            body=_storage_value(body),
            version=version.get("number"),
            parent_id=str(ancestors[-1]["id"]) if ancestors else None,
            message=str(version.get("message") or ""),
            author=actor().account_id,
            now=emulator.wall_clock(),
        )
        return jsonify(content_json(emulator.site, page, {"body.storage", "ancestors"}))


@blueprint.delete(f"{V1}/content/<page_id>")
def delete_content(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        confluence_pages.delete_page(site, site.page(page_id))
    return Response(status=204)


@blueprint.get(f"{V1}/content/<page_id>/history")
def content_history(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        return jsonify(history_json(site, site.page(page_id)))


@blueprint.get(f"{V1}/content/<page_id>/child/page")
def child_pages(page_id: str) -> Response:
    site = current_emulator().site
    start, limit = _window()
    with site.lock:
        site.page(page_id)
        results = [content_json(site, c, _expand_arg()) for c in confluence_pages.children_of(site, page_id)]
    return jsonify(_paged(results, start, limit, f"/rest/api/content/{page_id}/child/page"))


@blueprint.get(f"{V1}/content/<page_id>/child")
def children(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        site.page(page_id)
        results = [content_json(site, c, set()) for c in confluence_pages.children_of(site, page_id)]
    return jsonify(
        page=_paged(results, 0, V1_DEFAULT_LIMIT, f"/rest/api/content/{page_id}/child/page"),
        _links={"base": _wiki(), "context": "/wiki"},
    )


@blueprint.get(f"{V1}/space")
def list_spaces() -> Response:
    site = current_emulator().site
    start, limit = _window()
    keys = set(request.args.getlist("spaceKey"))
    results = [space_json(s) for s in site.spaces if not keys or s.key in keys]
    return jsonify(_paged(results, start, limit, "/rest/api/space"))


@blueprint.get(f"{V1}/space/<key>")
def get_space(key: str) -> Response:
    return jsonify(space_json(current_emulator().site.space(key)))


# ---------------------------------------------------------------------------- v2


def page_v2_json(site: Site, page: Page, body_format: str | None) -> dict[str, Any]:
    space = site.space(page.space_key)
    body: dict[str, Any] = {
        "id": page.id,
        "status": page.status,
        "title": page.title,
        "spaceId": space.id,
        **({"parentId": page.parent_id, "parentType": "page"} if page.parent_id else {}),
        "position": int(page.id) % 1000,
        "authorId": page.author,
        "ownerId": page.author,
        "createdAt": page.created,
        "version": {
            "createdAt": page.updated,
            "message": page.message,
            "number": page.version,
            "minorEdit": False,
            "authorId": page.author,
        },
        "body": {},
        "_links": {
            "webui": web_path(page),
            "editui": f"/pages/resumedraft.action?draftId={page.id}",
            "tinyui": f"/x/{page.id}",
        },
    }
    if body_format == "storage":
        body["body"] = {"storage": {"representation": "storage", "value": page.body}}
    elif body_format:
        raise confluence_pages.PageError(400, f"body-format {body_format!r} is not supported; use storage.")
    return body


def space_v2_json(site: Site, space: Space) -> dict[str, Any]:
    return {
        "id": space.id,
        "key": space.key,
        "name": space.name,
        "type": space.type,
        "status": "current",
        "authorId": site.default_user().account_id,
        "createdAt": "2024-01-01T00:00:00.000Z",
        "homepageId": space.homepage_id,
        "_links": {"webui": f"/spaces/{space.key}"},
    }


def _cursor_window(total: int) -> tuple[int, int]:
    try:
        limit = min(V2_MAX_LIMIT, max(1, int(request.args.get("limit", V2_DEFAULT_LIMIT))))
        cursor = request.args.get("cursor")
        offset = int(base64.urlsafe_b64decode(cursor.encode()).decode()) if cursor else 0
    except (ValueError, UnicodeDecodeError):
        raise confluence_pages.PageError(400, "Invalid cursor or limit.") from None
    return offset, limit


def _cursor_page(results: list[Any], path: str) -> dict[str, Any]:
    offset, limit = _cursor_window(len(results))
    links: dict[str, str] = {"base": _wiki()}
    if offset + limit < len(results):
        cursor = base64.urlsafe_b64encode(str(offset + limit).encode()).decode()
        others = "".join(f"&{k}={v}" for k, v in request.args.items(multi=True) if k != "cursor")
        links["next"] = f"/wiki{path}?cursor={cursor}{others}"
    return {"results": results[offset : offset + limit], "_links": links}


def _space_ids() -> set[str]:
    return {i for value in request.args.getlist("space-id") for i in value.split(",") if i}


@blueprint.get(f"{V2}/pages")
def list_pages_v2() -> Response:
    site = current_emulator().site
    title, ids, space_ids = request.args.get("title"), set(request.args.getlist("id")), _space_ids()
    with site.lock:
        spaces_by_key = {s.key: s.id for s in site.spaces}
        found = [
            p
            for p in sorted(site.pages.values(), key=lambda p: int(p.id))
            if (not space_ids or spaces_by_key.get(p.space_key) in space_ids)
            and (title is None or p.title == title)
            and (not ids or p.id in ids)
        ]
        results = [page_v2_json(site, p, request.args.get("body-format")) for p in found]
    return jsonify(_cursor_page(results, "/api/v2/pages"))


@blueprint.get(f"{V2}/pages/<page_id>")
def get_page_v2(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        return jsonify(page_v2_json(site, site.page(page_id), request.args.get("body-format")))


@blueprint.post(f"{V2}/pages")
def create_page_v2() -> Response:
    emulator = current_emulator()
    body = _json_body()
    with emulator.site.lock:
        space = confluence_pages.space_or_error(emulator.site, str(body.get("spaceId") or ""))
        page = confluence_pages.create_page(
            emulator.site,
            space,
            body.get("title"),
            _storage_value(body) or "",
            body.get("parentId"),
            actor().account_id,
            emulator.wall_clock(),
        )
        return jsonify(page_v2_json(emulator.site, page, "storage"))


@blueprint.put(f"{V2}/pages/<page_id>")
def update_page_v2(page_id: str) -> Response:
    emulator = current_emulator()
    body = _json_body()
    version = body.get("version") or {}
    with emulator.site.lock:
        page = emulator.site.page(page_id)
        confluence_pages.update_page(
            emulator.site,
            page,
            title=body.get("title", page.title),
            body=_storage_value(body),
            version=version.get("number"),
            parent_id=body.get("parentId"),
            message=str(version.get("message") or ""),
            author=actor().account_id,
            now=emulator.wall_clock(),
        )
        return jsonify(page_v2_json(emulator.site, page, "storage"))


@blueprint.delete(f"{V2}/pages/<page_id>")
def delete_page_v2(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        confluence_pages.delete_page(site, site.page(page_id))
    return Response(status=204)


@blueprint.get(f"{V2}/pages/<page_id>/children")
def page_children_v2(page_id: str) -> Response:
    site = current_emulator().site
    with site.lock:
        site.page(page_id)
        results = [
            {
                "id": c.id,
                "status": c.status,
                "title": c.title,
                "spaceId": site.space(c.space_key).id,
                "childPosition": index,
            }
            for index, c in enumerate(confluence_pages.children_of(site, page_id))
        ]
    return jsonify(_cursor_page(results, f"/api/v2/pages/{page_id}/children"))


@blueprint.get(f"{V2}/spaces")
def list_spaces_v2() -> Response:
    site = current_emulator().site
    keys = {k for value in request.args.getlist("keys") for k in value.split(",") if k}
    results = [space_v2_json(site, s) for s in site.spaces if not keys or s.key in keys]
    return jsonify(_cursor_page(results, "/api/v2/spaces"))


@blueprint.get(f"{V2}/spaces/<space_id>")
def get_space_v2(space_id: str) -> Response:
    site = current_emulator().site
    return jsonify(space_v2_json(site, site.space(space_id)))

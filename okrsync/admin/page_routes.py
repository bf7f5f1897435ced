"""The routes of the admin pages (`/admin`): server-rendered, signed in with the admin token into a session
cookie whose session lives in Redis (sign-out revokes it), every form carrying the session's CSRF
token; failed sign-ins are counted per address and slowed (:mod:`okrsync.admin.throttle`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urlsplit

import redis
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from mapping.models import KeyResult, OkrConfig, OkrSet, days
from okr.checkins import CheckInInvalid, check_in_words
from okr.evaluate import evaluation_input
from okr.metrics import FilterCache
from okr.report import KeyResultReport
from okrsync.admin import charts, problem_view, throttle, views
from okrsync.admin.auth import ADMIN, caller_for_token, configured_tokens, csrf_matches, new_csrf_token
from okrsync.admin.context import AdminContext
from okrsync.admin.document import child, edit_lock, save_document, stored_document
from okrsync.admin.errors import ApiError
from okrsync.admin.headers import page_policy
from okrsync.admin.health import collect_health, latest_report
from okrsync.admin.routing import ADMIN_EXTENSION
from okrsync.admin.sessions import close_session, open_session, session_user
from publish import words
from publish.people import people_of_config
from publish.remote_links import HEALTHS, health_icon
from sync.confluence_writer import kr_counted, pushers
from sync.history import readings
from sync.kr_changes import kr_changes_of
from sync.mirror import RedisMirror
from sync.people import cached_names
from sync.people_checkins import PeopleCheckins, new_checkin, record_checkin

PUBLIC_ENDPOINTS = {"admin_pages.signin", "admin_pages.signin_form", "admin_pages.stylesheet", "admin_pages.icon"}
STYLESHEET = "admin_style.css.j2"
INLINE_STYLES = "okrsync_inline_styles"  # flask.g: the style attributes the page being rendered holds


def pages_blueprint() -> Blueprint:
    blueprint = Blueprint("admin_pages", __name__, url_prefix="/admin", template_folder="templates")
    blueprint.before_request(_require_sign_in)
    blueprint.after_request(_page_headers)
    blueprint.register_error_handler(redis.RedisError, _redis_unreachable)
    blueprint.context_processor(_template_helpers)
    for rule, view, methods in (
        ("/signin", signin_form, ["GET"]),
        ("/signin", signin, ["POST"]),
        ("/signout", signout, ["POST"]),
        ("/admin.css", stylesheet, ["GET"]),
        ("/icons/<health>.svg", icon, ["GET"]),
        ("/", overview, ["GET"]),
        ("/sets/<set_id>/krs/<kr_id>", kr_detail, ["GET"]),
        ("/sets/<set_id>/krs/<kr_id>/checkins", save_checkin, ["POST"]),
        ("/mappings", mappings, ["GET"]),
        ("/mappings/<set_id>", save_mapping, ["POST"]),
        ("/health", health, ["GET"]),
        ("/problems", problems, ["GET"]),
    ):
        blueprint.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=methods)
    return blueprint


def _admin() -> AdminContext:
    return current_app.extensions[ADMIN_EXTENSION]


# ---------------------------------------------------------------------------- signing in


def _require_sign_in() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not _signed_in():
        session.clear()
        return redirect(url_for("admin_pages.signin_form", next=request.full_path.rstrip("?")))
    if request.method == "POST" and not csrf_matches(session.get("csrf"), request.form.get("csrf_token")):
        abort(
            _page_error(
                400, "The form has expired (its security token does not match). Reload the page and submit it again."
            )
        )
    return None


def signin_form() -> Any:
    session.setdefault("csrf", new_csrf_token())
    configured = ADMIN in configured_tokens(_admin().settings)
    return render_template(
        "admin_signin.html", configured=configured, error=None, next=_safe_next(request.args.get("next"))
    ), 200 if configured else 503


def _signed_in() -> bool:
    """A session cookie for the admin whose session Redis still holds (sign-out or expiry ends it)."""
    return session.get("user") == ADMIN and session_user(_admin().redis, session.get("sid")) == ADMIN


def signin() -> Any:
    admin = _admin()
    tokens = configured_tokens(admin.settings)
    if not csrf_matches(session.get("csrf"), request.form.get("csrf_token")):
        return _signin_again("The sign-in form has expired; it has been reloaded, sign in again.", 400)
    source = request.remote_addr or "unknown"
    wait = throttle.retry_after(admin.redis, source)
    if wait is not None:
        return _signin_again(
            f"Too many failed sign-ins from your address; try again in {wait} s.", 429, {"Retry-After": str(wait)}
        )
    caller = caller_for_token(request.form.get("token", "").strip(), tokens) if ADMIN in tokens else None
    if caller is None or caller.name != ADMIN:
        throttle.record_failure(admin.redis, source, "wrong token at the admin pages' sign-in")
        return _signin_again("That is not the admin token (OKRSYNC_ADMIN_TOKEN).", 401)
    session.clear()
    session.permanent = True
    session.update(user=ADMIN, csrf=new_csrf_token(), sid=open_session(admin.redis, ADMIN))
    return redirect(_safe_next(request.form.get("next")) or url_for("admin_pages.overview"))


def _signin_again(message: str, status: int, headers: dict[str, str] | None = None) -> Any:
    session["csrf"] = new_csrf_token()
    configured = ADMIN in configured_tokens(_admin().settings)
    return (
        render_template(
            "admin_signin.html", configured=configured, error=message, next=_safe_next(request.form.get("next"))
        ),
        status,
        headers or {},
    )


def signout() -> Response:
    """Ends the session in Redis: a copy of the cookie no longer signs anyone in."""
    close_session(_admin().redis, session.get("sid"))
    session.clear()
    return redirect(url_for("admin_pages.signin_form"))


def stylesheet() -> Response:
    return Response(render_template(STYLESHEET), mimetype="text/css", headers={"Cache-Control": "max-age=300"})


def icon(health: str) -> Response:
    """The health icon Jira shows on the service's remote links: public, since Jira's viewers fetch it."""
    svg = health_icon(health)
    if svg is None:
        return _page_error(404, f"No icon for health {health!r}; there is one for each of {', '.join(HEALTHS)}.")
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


def _safe_next(target: str | None) -> str | None:
    """Only paths of the admin pages: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or target.startswith("//"):
        return None
    return target


# ---------------------------------------------------------------------------- pages


def overview() -> str:
    admin = _admin()
    config, report = admin.store.current(), latest_report(admin.redis)
    sets = views.overview(config, report, datetime.now(UTC), _names(admin.redis, config))
    return render_template(
        "admin_overview.html",
        sets=sets,
        report=report,
        configured=config is not None,
        charts={card["id"]: charts.set_progress_chart(card) for card in sets},
        units={m_id: m.unit for m_id, m in config.metrics.items()} if config else {},
    )


def _names(connection: redis.Redis, config: OkrConfig | None) -> dict[str, str]:
    """Display names of the configuration's people as last looked up (the admin pages never ask Jira)."""
    return cached_names(connection, people_of_config(config)) if config is not None else {}


def kr_detail(set_id: str, kr_id: str) -> Any:
    return _kr_page(set_id, kr_id)


def _kr_page(set_id: str, kr_id: str, errors: Sequence[str] = (), status: int = 200, form: Any = None) -> Any:
    admin = _admin()
    config = admin.store.current()
    found = views.find_kr(config, set_id, kr_id) if config else None
    if config is None or found is None:
        abort(_page_error(404, f"There is no key result {kr_id} in OKR set {set_id}."))
    okr_set, objective, kr = found
    report = latest_report(admin.redis)
    now = datetime.now(UTC)
    seen = (now, config.zone)
    result = views.kr_result(report, set_id, kr_id)
    names = cached_names(admin.redis, kr.people)
    row = views.kr_row(okr_set, kr, result, report.okr_set(set_id) if report else None, seen, names)
    recorded = readings(admin.redis, (set_id, kr_id))
    trend = views.trend_points(config, okr_set, recorded, now)
    checkins = [views.checkin_view(c, seen) for c in PeopleCheckins(admin.redis).history((set_id, kr_id), 10)]
    return render_template(
        "admin_kr.html",
        set=okr_set,
        objective=objective,
        kr=kr,
        row=row,
        report=report,
        metric=config.metrics.get(kr.metric or ""),
        provenance=_provenance_view(admin, config, okr_set, kr, result, now),
        changes=views.kr_change_texts(kr_changes_of(admin.redis, set_id, kr_id), config),
        trend=trend,
        charts=charts.kr_page_charts(config, okr_set, kr, result, recorded, now),
        checkins=checkins,
        checkin_errors=errors,
        checkin_form=form or {},
        saved=request.args.get("checked_in"),
    ), status


def _provenance_view(
    admin: AdminContext,
    config: OkrConfig,
    okr_set: OkrSet,
    kr: KeyResult,
    result: KeyResultReport | None,
    now: datetime,
) -> dict[str, Any]:
    """A KR's provenance card: its definition by number and day, what was counted (the issues by name, read
    from the mirror as it is now), where it was evaluated."""
    versions = admin.store.metric_history(kr.metric) if kr.metric else []
    metric = config.metrics.get(kr.metric or "")
    return {
        "versions": [{**v, "number": words.version_numbers(versions).get(v.get("version", ""))} for v in versions],
        "definition": words.definition_version(result.metric_version if result else None, versions, config.zone),
        "evaluated": _evaluated_words(admin, config, okr_set, kr, result, now),
        "issues": _counted_issues(admin, config, okr_set, kr, now) if metric and metric.source == "jira" else None,
    }


_WHERE = {
    "local": "counted by the service from the mirror",
    "remote": "counted by a scheduled Jira search",
    "none": "not evaluated yet",
}


def _evaluated_words(
    admin: AdminContext,
    config: OkrConfig,
    okr_set: OkrSet,
    kr: KeyResult,
    result: KeyResultReport | None,
    now: datetime,
) -> str:
    """``10 issues, counted by the service from the mirror``; ``1 measurement pushed by analytics``."""
    metric = config.metrics.get(kr.metric or "")
    if result is None or metric is None:
        return "not evaluated yet"
    pushed = pushers(admin.runtime, config, okr_set, now).get(kr.metric or "") if metric.source == "push" else None
    counted = words.counted_words(result.count, metric.source, pushed)
    where = _WHERE.get(result.evaluated, result.evaluated) if metric.source == "jira" else ""
    return f"{counted}, {where}" if where else counted


def _counted_issues(
    admin: AdminContext, config: OkrConfig, okr_set: OkrSet, kr: KeyResult, now: datetime
) -> dict[str, Any] | None:
    """The issues the KR's metric counts now, from the mirror in Redis."""
    documents = list(RedisMirror(admin.redis).documents())
    fields, own = admin.store.field_names(), admin.store.own_account()
    given = evaluation_input(now, config, documents, (), fields, current_user=own)
    counted = kr_counted(config, okr_set, kr, given, FilterCache())
    return views.counted_view(counted, admin.runtime.settings.jira_url) if counted and counted.total else None


def save_checkin(set_id: str, kr_id: str) -> Any:
    """The KR page's check-in form: checked like the API's, stored whole or not at all."""
    admin = _admin()
    config = admin.store.current()
    if config is None or views.find_kr(config, set_id, kr_id) is None:
        abort(_page_error(404, f"There is no key result {kr_id} in OKR set {set_id}."))
    form = request.form
    author = form.get("author", "").strip()[:200] or ADMIN
    try:
        words = check_in_words(form.get("confidence", ""), form.get("note"), form.get("blockers"), form.get("asks"))
    except CheckInInvalid as exc:
        return _kr_page(set_id, kr_id, [str(p) for p in exc.problems], 422, form)
    checkin = new_checkin((set_id, kr_id), words, (ADMIN, author), datetime.now(UTC), "admin")
    record_checkin(admin.redis, admin.runtime.queue_name, checkin)
    return redirect(url_for("admin_pages.kr_detail", set_id=set_id, kr_id=kr_id, checked_in="1"))


def mappings(errors: list[dict[str, str]] | None = None, status: int = 200, edited: str | None = None) -> Any:
    admin = _admin()
    config = admin.store.current()
    return render_template(
        "admin_mappings.html",
        sets=views.overview(config, None),
        configured=config is not None,
        errors=errors or [],
        edited=edited,
        saved=request.args.get("saved"),
    ), status


def save_mapping(set_id: str) -> Any:
    """Projects → OKR set and epics (keys or JQL) → KR, validated as a whole before it is stored."""
    admin = _admin()
    try:
        with edit_lock(admin.redis):
            document = stored_document(admin.redis)
            apply_mapping_form(child(document, "okr_sets", set_id, "OKR set"), request.form)
            applied = save_document(admin.runtime, document, ADMIN)
    except ApiError as exc:
        errors = [{"path": p.path, "message": p.message} for p in exc.problems] or [
            {"path": exc.path or "", "message": exc.message}
        ]
        return mappings(errors=errors, status=exc.status, edited=set_id)
    saved = f"{set_id}: revision {applied.revision}" if applied.changed else f"{set_id}: nothing changed"
    return redirect(url_for("admin_pages.mappings", saved=saved))


def apply_mapping_form(okr_set: dict[str, Any], form: Any) -> None:
    """The form's fields onto the set's document: `projects`, and `contributors:<objective>:<kr>` per KR."""
    okr_set["projects"] = [p.strip().upper() for p in form.get("projects", "").replace(",", " ").split() if p.strip()]
    for objective in okr_set.get("objectives") or []:
        for kr in objective.get("key_results") or []:
            field = f"contributors:{objective.get('id')}:{kr.get('id')}"
            if field in form:
                _set_contributors(kr, form.get(field, ""))


def _set_contributors(kr: dict[str, Any], text: str) -> None:
    """Issue keys (SHOP-12, SHOP-40) become `epics`; anything else is taken as JQL; empty removes them."""
    text = text.strip()
    if not text:
        kr.pop("contributors", None)
        return
    keys = [k.strip().upper() for k in text.replace(",", " ").split()]
    if all(_is_issue_key(k) for k in keys):
        kr["contributors"] = {"epics": keys}
    else:
        kr["contributors"] = {"jql": text}


def _is_issue_key(text: str) -> bool:
    project, _, number = text.rpartition("-")
    return bool(project) and project[0].isalpha() and project.replace("_", "").isalnum() and number.isdigit()


PAGE_KINDS = {  # what each listed page is of, in the pages table of Sync health
    "okr_set": "OKR set",
    "problem_program": "problem program",
    "weekly_digest": "latest weekly digest of OKR set",
    "monthly_review": "latest monthly review of OKR set",
    "close_page": "latest close page of OKR set",
    "problem_review": "latest dated problem review of",
}


def health() -> str:
    admin = _admin()
    status = collect_health(admin.redis, admin.store)
    line, tone = words.verdict(status, _zone(), datetime.now(UTC))
    return render_template(
        "admin_health.html",
        status=status,
        verdict=line,
        tone=tone,
        failing=words.page_failing,
        kept_pages=words.KEPT_PAGES,
        page_kinds=PAGE_KINDS,
        pages_interval=words.interval_words(float(admin.settings.pages_interval_seconds)),
    )


def problems() -> str:
    admin = _admin()
    config, report = admin.store.current(), latest_report(admin.redis)
    results = {p["id"]: p for p in (report.problem_programs if report else ())}
    issues = _mirrored(admin.redis, [k for r in results.values() for k in problem_view.keys_of(r)])
    names = cached_names(admin.redis, problem_view.assignees_of(issues))
    programs = [
        {
            "program": p,
            "result": results.get(p.id),
            "review": problem_view.problem_review(results[p.id], issues, names, admin.settings.jira_url)
            if p.id in results
            else None,
            "chart": charts.program_chart(results.get(p.id), f"{days(p.window)} days"),
        }
        for p in (config.problem_programs if config else [])
    ]
    return render_template("admin_problems.html", programs=programs, report=report)


def _mirrored(connection: redis.Redis, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The mirror's documents of these issue keys (the ones it holds)."""
    mirror = RedisMirror(connection)
    found = {key: mirror.get(key) for key in keys}
    return {key: document for key, document in found.items() if document is not None}


# ---------------------------------------------------------------------------- helpers


def _page_error(status: int, message: str) -> Response:
    return Response(
        render_template("admin_error.html", message=message, status=status), status=status, mimetype="text/html"
    )


def _redis_unreachable(exc: redis.RedisError) -> Response:
    response = _page_error(503, "Redis is unreachable, so the admin pages cannot be shown; retry shortly.")
    response.headers["Retry-After"] = "10"
    return response


def _page_headers(response: Response) -> Response:
    """A page may use the stylesheet and exactly the style attributes it holds; it is never cached,
    so after sign-out the browser's back button shows nothing signed-in."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = page_policy(g.get(INLINE_STYLES, ()))
        response.headers["Cache-Control"] = "no-store"
    return response


def _bar_style(value: float | None) -> str:
    """The style attribute of a progress bar's filling; noted so the page's policy allows it."""
    style = f"width: {views.bar_width(value)}%"
    g.setdefault(INLINE_STYLES, set()).add(style)
    return style


def _chart(chart: charts.Chart | None) -> Markup:
    """A chart's inline SVG; its styles are noted so the page's policy allows exactly them."""
    if chart is None:
        return Markup("")
    g.setdefault(INLINE_STYLES, set()).update(chart.styles)
    return Markup(f'<figure class="chart">{chart.svg}</figure>')  # noqa: S704 - SVG drawn by pygal from our data


def _zone() -> tzinfo:
    """The configuration's zone, which every time on the pages is shown in (UTC before one is applied)."""
    try:
        config = _admin().store.current() if request.endpoint not in PUBLIC_ENDPOINTS else None
    except redis.RedisError:  # the page saying Redis is unreachable is shown without it
        config = None
    return config.zone if config is not None else UTC


def _template_helpers() -> dict[str, Callable[..., Any] | Any]:
    zone = _zone()
    return {
        "when": lambda value: words.when(value, zone),
        "zone_name": words.zone_name(zone, datetime.now(UTC)),
        "percent": views.percent,
        "number": views.number,
        "with_unit": views.with_unit,
        "bar_style": _bar_style,
        "chart": _chart,
        "health_label": lambda h: views.HEALTH_LABELS.get(h, h),
        "csrf_token": session.get("csrf", ""),
        "signed_in": request.endpoint not in PUBLIC_ENDPOINTS and session.get("user") == ADMIN,
        "stylesheet": url_for("admin_pages.stylesheet"),
    }

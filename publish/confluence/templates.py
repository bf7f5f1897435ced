"""Jinja2 templates of the page regions, in Confluence storage format (pure).

Autoescaping is on for every template, so any text that came from Jira or from a person (an issue
summary, a KR title, a reason) is character data, never markup: ``<`` ``&`` ``]]>`` and macro tags
come out as text. ``finalize`` also drops the characters XML 1.0 does not allow, which escaping
alone cannot make well-formed. Templates only lay out what the view model already says.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jinja2 import DictLoader, Environment, StrictUndefined, Template
from markupsafe import Markup

from publish.confluence.cadence_templates import CADENCE_TEMPLATES

NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

MACROS = """\
{% macro status(s) %}<ac:structured-macro ac:name="status" ac:schema-version="1">\
<ac:parameter ac:name="colour">{{ s.colour }}</ac:parameter>\
<ac:parameter ac:name="title">{{ s.title }}</ac:parameter></ac:structured-macro>{% endmacro %}
{% macro anchor(name) %}<ac:structured-macro ac:name="anchor" ac:schema-version="1">\
<ac:parameter ac:name="">{{ name }}</ac:parameter></ac:structured-macro>{% endmacro %}
{% macro chart(c) %}<ac:structured-macro ac:name="chart" ac:schema-version="1">\
<ac:parameter ac:name="type">{{ c.type }}</ac:parameter><ac:parameter ac:name="title">{{ c.title }}</ac:parameter>\
{% if c.orientation %}<ac:parameter ac:name="orientation">{{ c.orientation }}</ac:parameter>{% endif %}\
<ac:parameter ac:name="dataOrientation">vertical</ac:parameter><ac:parameter ac:name="legend">true</ac:parameter>\
{% if c.y_label %}<ac:parameter ac:name="yLabel">{{ c.y_label }}</ac:parameter>{% endif %}\
<ac:parameter ac:name="width">{{ c.width }}</ac:parameter><ac:parameter ac:name="height">{{ c.height }}</ac:parameter>\
<ac:rich-text-body><table><tbody><tr>{% for h in c.columns %}<th>{{ h }}</th>{% endfor %}</tr>\
{% for row in c.rows %}<tr>{% for value in row %}<td>{{ value }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>\
</ac:rich-text-body></ac:structured-macro>{% endmacro %}
{% macro issue(link) %}{% if link.url %}<a href="{{ link.url }}">{{ link.key }}</a>\
{% else %}{{ link.key }}{% endif %}{% endmacro %}
"""

AS_OF = """\
{% import "macros" as m %}\
<p><strong>As of {{ page.as_of }}</strong>, after {{ page.trigger }}. {{ page.freshness }}</p>\
<p><em>The panels are kept current by OKR Sync for Jira (provenance: metric, definition version, issues counted, \
where evaluated); text outside them is yours and is never changed.</em></p>"""

OKR_SUMMARY = """\
{% import "macros" as m %}\
<p><strong>{{ s.name }}</strong> · {{ s.level }} OKRs · cycle {{ s.cycle }} · owner {{ s.owner }}\
{% if s.aligns_to %} · aligns to {{ s.aligns_to }}{% endif %}</p>\
{% if s.closed %}<p><strong>{{ s.closed }}</strong>: the results below are frozen at the cycle's close.</p>{% endif %}\
<p>Expected progress today: <strong>{{ s.expected }}</strong> of the cycle. {{ s.bands }}</p>\
<table><tbody><tr><th>Objective</th><th>Score</th><th>Health</th><th>KRs measured</th></tr>\
{% for o in s.objectives %}<tr><td><strong>{{ o.id }}</strong> {{ o.title }}</td><td>{{ o.score }}</td>\
<td>{{ m.status(o.health) }}</td><td>{{ o.measured }}</td></tr>{% endfor %}</tbody></table>"""

KPIS = """\
{% import "macros" as m %}\
<h2>KPIs</h2>\
<p>Health metrics kept within a band. They are not objectives: they count in no score, and a KPI out of \
its band asks for a look at what changed.</p>\
<table><tbody><tr><th>KPI</th><th>Band</th><th>Now</th><th>State</th><th>Provenance</th></tr>\
{% for k in k.rows %}<tr><td><strong>{{ k.metric }}</strong> {{ k.description }}</td><td>{{ k.band }}</td>\
<td>{{ k.current }}</td><td>{{ m.status(k.state) }}{% if k.stale %} {{ m.status(k.stale) }}{% endif %}</td>\
<td>{{ k.source }}</td></tr>{% endfor %}</tbody></table>"""

OBJECTIVE = """\
{% import "macros" as m %}\
<h2>{{ o.id }} · {{ o.title }}</h2>\
<p>Score <strong>{{ o.score }}</strong> {{ m.status(o.health) }} · {{ o.measured }}</p>\
<table><tbody><tr><th>Key result</th><th>Baseline → current → target</th><th>Score · health · trend</th>\
<th>Delivery vs outcome</th><th>Provenance</th></tr>\
{% for kr in o.key_results %}<tr>\
<td>{{ m.anchor(kr.label) }}<strong>{{ kr.label }}</strong> {{ kr.title }}<br/>{{ kr.owner }}\
{% if kr.reason %}<br/><em>Not measured: {{ kr.reason }}</em>{% endif %}\
{% if kr.decision %}<br/><strong>Decision:</strong> {{ kr.decision }}{% endif %}\
{% if kr.checkin %}<br/><em>Check-in {{ kr.checkin }}</em>{% endif %}{% if kr.drives %}<br/><em>Leading: drives {{ kr.drives }}</em>{% endif %}</td>\
<td>{{ kr.span }}{% if kr.kind_words %}<br/><em>{{ kr.kind_words }}</em>{% endif %}</td>\
<td><strong>{{ kr.score }}</strong> {{ m.status(kr.health) }}{% for f in kr.flags %} {{ m.status(f) }}{% endfor %}\
<br/><code>{{ kr.bar }}</code>{% if kr.trend != '—' %}<br/>Trend: {{ kr.trend }}{% endif %}\
{% if kr.late %}<br/><em>{{ kr.late }}</em>{% endif %}</td>\
<td>{{ kr.delivery }}{% if kr.gap %}<br/>{{ m.status(kr.gap) }}{% endif %}</td>\
<td>{{ kr.provenance }}{% for change in kr.definition_changes %}<br/><em>definition changed on {{ change.day }} (to {{ change.version }})</em>{% endfor %}\
{% for change in kr.kr_changes %}<br/><em>{{ change }}</em>{% endfor %}</td>\
</tr>{% endfor %}</tbody></table>\
{% if o.contributors %}<p><strong>Contributing epics</strong></p><ul>\
{% for c in o.contributors %}<li><strong>{{ c.label }}</strong>: \
{% for e in c.epics %}{{ m.issue(e) }} {{ e.summary }} ({{ e.status }}){% if not loop.last %}; {% endif %}{% endfor %}\
{% if not c.epics %}no epic matches yet{% endif %}</li>{% endfor %}</ul>{% endif %}\
{% if o.counted %}<p><strong>Issues counted</strong></p><ul>\
{% for kr in o.counted %}<li><strong>{{ kr.label }}</strong> ({{ kr.counted.total }}): \
{% for e in kr.counted.issues %}{{ m.issue(e) }} {{ e.summary }}{% if not loop.last %}; {% endif %}{% endfor %}\
{% if kr.counted.more %}; {{ kr.counted.more }}{% endif %}</li>{% endfor %}</ul>{% endif %}\
{% for kr in o.key_results %}{% if kr.chart %}{{ m.chart(kr.chart) }}{% endif %}{% endfor %}"""  # noqa: E501

OKR_NOTES = """\
<h2>Honest notes</h2>\
<h3>Not measured yet</h3>\
{% if n.unmeasured %}<ul>{% for u in n.unmeasured %}<li><strong>{{ u.label }}</strong> {{ u.title }}: {{ u.reason }}</li>\
{% endfor %}</ul>{% else %}<p>Every key result has a value.</p>{% endif %}\
<h3>Metric definitions changed in this cycle</h3>\
{% if n.definition_changes %}<ul>{% for d in n.definition_changes %}<li>{{ d }}</li>{% endfor %}</ul>\
{% else %}<p>No metric definition changed in this cycle, so scores compare like with like.</p>{% endif %}"""  # noqa: E501

REVIEW_NEW = """\
{% import "macros" as m %}\
<h2>Problems since the last review</h2>\
<p>{{ r.program }} · problems created {{ r.since }} – {{ r.until }} (every {{ r.every }}), \
counted for AP candidates over {{ r.window }}; a cluster scoring {{ r.threshold }} or more needs an action point.</p>\
<table><tbody><tr><th>Source</th>{% for c in r.categories %}<th>{{ c }}</th>{% endfor %}<th>Total</th></tr>\
{% for row in r.sources %}<tr><td>{{ row.name }}</td>{% for cell in row.cells %}<td>{{ cell.count }}\
{% if cell.problems %}<br/>{% for p in cell.problems %}{{ m.issue(p) }}{% if not loop.last %}, {% endif %}{% endfor %}{% endif %}\
</td>{% endfor %}<td><strong>{{ row.total }}</strong></td></tr>{% endfor %}</tbody></table>\
<h3>Untriaged in the last {{ r.window }}: needs a category</h3>\
{% if r.untriaged %}<ul>{% for p in r.untriaged %}<li>{{ m.issue(p) }} {{ p.summary }} ({{ p.created }})</li>{% endfor %}</ul>\
{% else %}<p>Every problem in the window has a category.</p>{% endif %}\
{% if r.unsupported %}<p><em>Sources evaluated only through Jira search (JQL outside the local subset): \
{{ r.unsupported }}.</em></p>{% endif %}"""  # noqa: E501

REVIEW_CANDIDATES = """\
{% import "macros" as m %}\
<h2>Clusters: action-point candidates first, then by score, untriaged last</h2>\
<p>{{ c.candidates }} candidate(s): a cluster scoring {{ c.threshold }} or more with no open action point \
needs one.</p>\
{% if c.chart %}{{ m.chart(c.chart) }}{% endif %}\
{% if c.rows %}<table><tbody><tr><th>#</th><th>Cluster</th><th>Frequency × impact = score</th><th>Problems</th>\
<th>Action point</th></tr>\
{% for row in c.rows %}<tr><td>{{ row.rank }}</td><td>{{ row.cluster }}</td><td><strong>{{ row.score }}</strong></td>\
<td>{% for p in row.problems %}{{ m.issue(p) }} {{ p.summary }}{% if not loop.last %}<br/>{% endif %}{% endfor %}</td>\
<td>{% if row.status %}{{ m.status(row.status) }} {% endif %}{{ row.action }}\
{% for link in row.links %} {{ m.issue(link) }}{% if not loop.last %},{% endif %}{% endfor %}\
{% if row.detail %}<br/>{{ row.detail }}{% endif %}</td></tr>{% endfor %}</tbody></table>\
{% else %}<p>No problem in the window yet.</p>{% endif %}"""

REVIEW_APS = """\
{% import "macros" as m %}\
<h2>Action points</h2>\
{% if a.rows %}<table><tbody><tr><th>AP</th><th>Summary</th><th>Owner</th><th>Due</th><th>Status</th><th>Cluster</th>\
<th>Flags</th></tr>\
{% for row in a.rows %}<tr><td>{{ m.issue(row.issue) }}</td><td>{{ row.summary }}</td>\
<td>{{ row.owner }}</td><td>{{ row.due }}</td><td>{{ row.status }}</td><td>{{ row.cluster }}</td>\
<td>{% for f in row.flags %}{{ m.status(f) }} {% endfor %}</td></tr>{% endfor %}</tbody></table>\
{% else %}<p>No action points yet.</p>{% endif %}"""  # noqa: E501

REVIEW_EFFECTIVENESS = """\
{% import "macros" as m %}\
<h2>Did closed action points stop the problem?</h2>\
<p>A closed AP is effective when its cluster's problems per day over the {{ e.after_days }} after closing are at most \
half the rate of the {{ e.before_days }} before; it is watched until then.</p>\
{% if e.rows %}<table><tbody><tr><th>AP</th><th>Cluster</th><th>Closed</th><th>Before → after (problems)</th>\
<th>Verdict</th></tr>\
{% for row in e.rows %}<tr><td>{{ m.issue(row.issue) }}</td><td>{{ row.cluster }}</td><td>{{ row.resolved }}</td>\
<td>{{ row.counts }}</td><td>{{ m.status(row.verdict) }} {{ row.decided }}</td></tr>{% endfor %}</tbody></table>\
{% else %}<p>No closed action point to judge yet.</p>{% endif %}"""

TEMPLATES = {
    "macros": MACROS,
    "as_of": AS_OF,
    "okr_summary": OKR_SUMMARY,
    "objective": OBJECTIVE,
    "kpis": KPIS,
    "okr_notes": OKR_NOTES,
    "review_new": REVIEW_NEW,
    "review_candidates": REVIEW_CANDIDATES,
    "review_aps": REVIEW_APS,
    "review_effectiveness": REVIEW_EFFECTIVENESS,
    **CADENCE_TEMPLATES,
}


def xml_text(value: Any) -> Any:
    """Every printed value: None prints nothing; text loses characters XML cannot carry."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return NOT_XML.sub("\ufffd", str(value))


@cache
def environment() -> Environment:
    return Environment(
        loader=DictLoader(dict(TEMPLATES)),
        autoescape=True,
        finalize=xml_text,
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def template(name: str) -> Template:
    return environment().get_template(name)


def render(name: str, **values: Any) -> str:
    return template(name).render(**values)

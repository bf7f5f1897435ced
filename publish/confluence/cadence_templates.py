"""Templates of the weekly digest and the monthly review pages, in storage format (pure).

They join ``publish.confluence.templates.TEMPLATES`` and are rendered with the same escaping."""

from __future__ import annotations

CADENCE_HEADER = """\
<p><strong>{{ h.title }}</strong> · {{ h.set_name }} · {{ h.period }} · prepared {{ h.at }}</p>\
<p><em>{{ h.note }}</em></p>"""

DIGEST_SECTION = """\
{% import "macros" as m %}\
<h2>{{ s.title }}</h2>\
{% if s.rows %}<ul>{% for row in s.rows %}<li>{% if row.label %}<strong>{{ row.label }}</strong> {% endif %}\
{% if row.link %}{{ m.issue(row.link) }} {% endif %}{{ row.text }}\
{% for ap in row.get("aps") or () %} {{ m.issue(ap) }}{% if not loop.last %},{% endif %}{% endfor %}\
{% for st in row.statuses %} {{ m.status(st) }}{% endfor %}\
{% for p in row.get("problems") or () %}<br/>{{ m.issue(p) }} {{ p.summary }}{% endfor %}</li>{% endfor %}</ul>\
{% else %}<p><em>{{ s.empty }}</em></p>{% endif %}"""

REVIEW_LIGHTS = """\
{% import "macros" as m %}\
<h2>Green, yellow, red</h2>\
<p>{{ r.since }}</p>\
<table><tbody><tr><th>Objective / key result</th><th>Now</th><th>Score</th><th>At the previous review</th></tr>\
{% for o in r.objectives %}<tr><td><strong>{{ o.label }}</strong> {{ o.title }}</td><td>{{ m.status(o.light) }}</td>\
<td>{{ o.score }}</td><td>{{ o.before }}</td></tr>\
{% for kr in o.key_results %}<tr><td>&#160;&#160;<strong>{{ kr.label }}</strong> {{ kr.title }}</td>\
<td>{{ m.status(kr.light) }}</td><td>{{ kr.score }}</td><td>{{ kr.before }}</td></tr>{% endfor %}\
{% endfor %}</tbody></table>"""

REVIEW_ROLES = """\
<h2>Shared key results: owners and roles</h2>\
{% if r.shared %}<table><tbody><tr><th>Key result</th><th>Owners</th><th>Roles</th></tr>\
{% for kr in r.shared %}<tr><td><strong>{{ kr.label }}</strong> {{ kr.title }}</td><td>{{ kr.owners }}</td>\
<td>{% for role, people in kr.roles %}{{ role }}: {{ people }}{% if not loop.last %}<br/>{% endif %}{% endfor %}</td>\
</tr>{% endfor %}</tbody></table>\
{% else %}<p><em>No key result of this set is shared by several people.</em></p>{% endif %}"""

CADENCE_TEMPLATES = {
    "cadence_header": CADENCE_HEADER,
    "digest_section": DIGEST_SECTION,
    "review_lights": REVIEW_LIGHTS,
    "review_roles": REVIEW_ROLES,
}

CLOSE_OBJECTIVE = """\
{% import "macros" as m %}\
<h2>{{ o.id }} · {{ o.title }}</h2>\
<p>Final score <strong>{{ o.score }}</strong> {{ m.status(o.health) }}</p>\
<table><tbody><tr><th>Key result</th><th>Final grade</th><th>Outcome</th><th>Delivery</th></tr>\
{% for kr in o.key_results %}<tr><td><strong>{{ kr.label }}</strong> {{ kr.title }}<br/>{{ kr.owner }}</td>\
<td><strong>{{ kr.score }}</strong> {{ m.status(kr.health) }}</td><td>{{ kr.outcome }}</td>\
<td>{{ kr.delivery }}</td></tr>{% endfor %}</tbody></table>"""

CLOSE_CHANGES = """\
<h2>Definition, target and scope changes in the cycle</h2>\
{% if c.lines %}<ul>{% for line in c.lines %}<li>{{ line }}</li>{% endfor %}</ul>\
{% else %}<p><em>No definition, target or scope changed during the cycle.</em></p>{% endif %}"""

CLOSE_PROGRAMS = """\
<h2>Problem programs</h2>\
{% if p.programs %}<ul>{% for program in p.programs %}<li><strong>{{ program.name }}</strong>: {{ program.text }}</li>\
{% endfor %}</ul>{% else %}<p><em>No key result of this set reads a problem program.</em></p>{% endif %}"""

CADENCE_TEMPLATES.update(
    {"close_objective": CLOSE_OBJECTIVE, "close_changes": CLOSE_CHANGES, "close_programs": CLOSE_PROGRAMS}
)

'use strict';
/**
 * What the issue panel and the issue glance show, from the okrsync.status issue property (pure).
 *
 *   panelView(property, links)   // property: the property's value, or null when the issue has none;
 *                                // links: the remote links (where the KR's page link comes from)
 *   glanceView(property)
 *   problemView(message)         // a view that only says why there is nothing to show
 *
 * A view's `state` is `linked` (it has key results), `unlinked` (the issue serves no KR yet) or `problem` (its
 * `message` says what went wrong and what to do).
 *
 * OKR Sync writes the property as {as_of, key_results: [{okr_set, objective, kr, title, unit, current, baseline,
 * target, progress, expected, score, health, flags, kind, final, ...}]}. A key may be missing or null (an older or
 * newer service writes other keys): it is left out or reads as an em dash, never as an error.
 */

const { health, isNumber, percent, scoreText, spelled, text, withUnit } = require('./format');
const { trendText } = require('./trend');

const NOT_LINKED = 'Not linked to an OKR yet';
const LABEL = 'OKR status';
const MALFORMED =
  "This issue's okrsync.status property is not in the form OKR Sync writes (an object with a key_results " +
  'list); it is replaced the next time OKR Sync writes the status of this issue.';

/** The KR entries of the property: {entries} or {problem} when it is not what OKR Sync writes. */
function entries(property) {
  if (property === null || property === undefined) {
    return { entries: [] };
  }
  if (typeof property !== 'object' || Array.isArray(property) || !Array.isArray(property.key_results)) {
    return { problem: MALFORMED };
  }
  return { entries: property.key_results.filter((e) => e !== null && typeof e === 'object' && !Array.isArray(e)) };
}

function problemView(message) {
  return { state: 'problem', message, keyResults: [] };
}

function unlinkedView() {
  return { state: 'unlinked', message: NOT_LINKED, keyResults: [] };
}

/** `as of 2026-12-03 14:02 UTC`, or null when the time is missing or unreadable. */
function asOfText(asOf) {
  const at = text(asOf) ? new Date(asOf) : null;
  if (!at || Number.isNaN(at.getTime())) {
    return null;
  }
  return `as of ${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function isWebAddress(value) {
  return typeof text(value) === 'string' && /^https?:\/\//i.test(value.trim());
}

/** The KR's page: from the property when it names one, else from the remote link OKR Sync writes for the KR. */
function pageLink(status, links) {
  const named = [status.url, status.link].find(isWebAddress);
  const globalId = `okrsync:${status.okr_set}/${status.kr}`;
  const remote = (Array.isArray(links) ? links : []).find((l) => l && l.globalId === globalId && l.object);
  const url = named || (remote && isWebAddress(remote.object.url) ? remote.object.url : null);
  return url ? { url: url.trim(), label: 'Open on the OKR page' } : null;
}

function progressText(status) {
  if (!isNumber(status.progress)) {
    return null;
  }
  const expected = isNumber(status.expected) ? `, ${percent(status.expected)} expected by now` : '';
  return `${percent(status.progress)} of the way${expected}`;
}

function contextText(status) {
  const parts = [text(status.objective) && `Objective ${status.objective.trim()}`, text(status.okr_set)];
  return parts.filter(Boolean).join(' · ') || null;
}

function heading(status) {
  return [text(status.kr), text(status.title)].filter(Boolean).join(' ') || 'A key result';
}

/** One KR as the panel shows it. */
function keyResultView(status, links) {
  const { words, appearance } = health(status.health);
  return {
    id: text(status.kr),
    heading: heading(status),
    context: contextText(status),
    health: { words, appearance },
    score: scoreText(status.score),
    values: `${withUnit(status.current, status.unit)} → ${withUnit(status.target, status.unit)}`,
    progress: progressText(status),
    trend: trendText(status),
    note: text(status.kind_words),
    flags: (Array.isArray(status.flags) ? status.flags : []).filter(text).map(spelled),
    final: status.final === true,
    link: pageLink(status, links),
  };
}

function panelView(property, links) {
  const found = entries(property);
  if (found.problem) {
    return problemView(found.problem);
  }
  if (found.entries.length === 0) {
    return unlinkedView();
  }
  return {
    state: 'linked',
    message: null,
    asOf: asOfText(property.as_of),
    keyResults: found.entries.map((status) => keyResultView(status, links)),
  };
}

/** `1 KR`, `2 KRs` */
function countText(count) {
  return `${count} ${count === 1 ? 'KR' : 'KRs'}`;
}

/** The glance: its label, the worst health of the KRs and how many there are. */
function glanceView(property) {
  const found = entries(property);
  if (found.problem || found.entries.length === 0) {
    const empty = found.problem ? problemView(found.problem) : unlinkedView();
    return { ...empty, label: LABEL, status: null, count: null };
  }
  const healths = found.entries.map((status) => ({ heading: heading(status), health: health(status.health) }));
  const worst = healths.reduce((a, b) => (b.health.rank > a.health.rank ? b : a)).health;
  return {
    state: 'linked',
    message: null,
    label: LABEL,
    status: { words: worst.words, appearance: worst.appearance },
    count: countText(healths.length),
    keyResults: healths.map(({ heading: h, health: { words, appearance } }) => ({ heading: h, words, appearance })),
  };
}

module.exports = { NOT_LINKED, LABEL, MALFORMED, panelView, glanceView, problemView, keyResultView, countText };

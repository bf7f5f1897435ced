'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { glanceView, MALFORMED, NOT_LINKED, panelView } = require('../src/view');
const epic = require('./fixtures/epic-status.json');
const company = require('./fixtures/company-status.json');

const pageLink = {
  id: 10001,
  globalId: 'okrsync:shop-q4/O1.KR2',
  object: { url: 'https://acme.atlassian.net/wiki/spaces/OKR/pages/42#O1.KR2', title: 'O1.KR2 Escaped defects' },
};

test('the panel shows each KR the epic serves, in the order of the property', () => {
  const view = panelView(epic, [pageLink]);
  assert.equal(view.state, 'linked');
  assert.equal(view.asOf, 'as of 2026-11-15 12:00 UTC');
  assert.deepEqual(
    view.keyResults.map((kr) => kr.heading),
    ['O1.KR1 Median time to restore from 12 hours to 4 hours', 'O1.KR2 Escaped defects from 40% to 15% of all bugs'],
  );
});

test("a KR's panel entry: health lozenge, score, current → target with unit, progress, trend, flags, page", () => {
  const kr = panelView(epic, [pageLink]).keyResults[1];
  assert.deepEqual(kr, {
    id: 'O1.KR2',
    heading: 'O1.KR2 Escaped defects from 40% to 15% of all bugs',
    context: 'Objective O1 · shop-q4',
    health: { words: 'At risk', appearance: 'moved' },
    score: '0.27',
    values: '33.33% → 15%',
    progress: '27% of the way, 49% expected by now',
    trend: 'better than the baseline of 40%',
    note: null,
    flags: ['Output without outcome'],
    final: false,
    link: { url: 'https://acme.atlassian.net/wiki/spaces/OKR/pages/42#O1.KR2', label: 'Open on the OKR page' },
  });
});

test("the page link is the KR's own remote link (by its globalId); without one there is no link", () => {
  const [first, second] = panelView(epic, [pageLink]).keyResults;
  assert.equal(first.link, null);
  assert.equal(second.link.url, pageLink.object.url);
  assert.equal(panelView(epic, undefined).keyResults[1].link, null);
  const elsewhere = { ...pageLink, object: { url: 'javascript:alert(1)' } };
  assert.equal(panelView(epic, [elsewhere]).keyResults[1].link, null);
});

test('a page URL in the property wins over the remote link', () => {
  const property = { ...epic, key_results: [{ ...epic.key_results[1], url: 'https://okrsync.acme.com/admin/kr/1' }] };
  assert.equal(panelView(property, [pageLink]).keyResults[0].link.url, 'https://okrsync.acme.com/admin/kr/1');
});

test("a cap shows its kind's words and no baseline trend; an unmeasured KR reads in em dashes", () => {
  const [cap, stale, unmeasured] = panelView(company, []).keyResults;
  assert.equal(cap.note, 'cap: 4 of 2 allowed used, 49% of the cycle gone — target missed');
  assert.equal(cap.trend, null);
  assert.equal(cap.values, '4 incidents → 2 incidents');
  assert.deepEqual(cap.health, { words: 'Off track', appearance: 'removed' });
  assert.deepEqual(stale.flags, ['Stale']);
  assert.deepEqual(
    [unmeasured.score, unmeasured.values, unmeasured.progress, unmeasured.trend],
    ['—', '— → —', null, null],
  );
  assert.equal(unmeasured.health.words, 'Not measured');
});

test('an issue without the property, or with no KR in it, is not linked to an OKR yet', () => {
  for (const property of [null, undefined, { as_of: '2026-11-15T12:00:00+00:00', key_results: [] }]) {
    assert.deepEqual(panelView(property, []), { state: 'unlinked', message: NOT_LINKED, keyResults: [] });
    assert.equal(glanceView(property).message, 'Not linked to an OKR yet');
    assert.equal(glanceView(property).status, null);
  }
});

test('a property not in the form OKR Sync writes says so instead of failing', () => {
  for (const property of ['text', 42, [], { key_results: 'O1.KR2' }, { as_of: 'now' }]) {
    assert.deepEqual(panelView(property, []), { state: 'problem', message: MALFORMED, keyResults: [] });
    assert.equal(glanceView(property).state, 'problem');
  }
  assert.match(MALFORMED, /okrsync\.status property is not in the form OKR Sync writes/);
});

test('missing keys and entries that are not objects are tolerated', () => {
  const view = panelView({ key_results: [null, 'x', { kr: 'O9.KR1' }, {}] }, []);
  assert.equal(view.asOf, null);
  assert.deepEqual(
    view.keyResults.map((kr) => [kr.heading, kr.context, kr.health.words, kr.score, kr.values, kr.flags.length]),
    [
      ['O9.KR1', null, 'Not measured', '—', '— → —', 0],
      ['A key result', null, 'Not measured', '—', '— → —', 0],
    ],
  );
  assert.equal(panelView({ as_of: 'yesterday', key_results: [{}] }, []).asOf, null);
});

test('a KR after its cycle closed is marked final', () => {
  const closed = { key_results: [{ ...epic.key_results[0], final: true, health: 'done' }] };
  const [kr] = panelView(closed, []).keyResults;
  assert.equal(kr.final, true);
  assert.deepEqual(kr.health, { words: 'Done', appearance: 'inprogress' });
});

test('the glance shows its label, the worst health of the KRs and how many there are', () => {
  assert.deepEqual(glanceView(epic), {
    state: 'linked',
    message: null,
    label: 'OKR status',
    status: { words: 'At risk', appearance: 'moved' },
    count: '2 KRs',
    keyResults: [
      { heading: 'O1.KR1 Median time to restore from 12 hours to 4 hours', words: 'On track', appearance: 'success' },
      { heading: 'O1.KR2 Escaped defects from 40% to 15% of all bugs', words: 'At risk', appearance: 'moved' },
    ],
  });
  assert.deepEqual(glanceView(company).status, { words: 'Off track', appearance: 'removed' });
  assert.equal(glanceView({ key_results: [epic.key_results[0]] }).count, '1 KR');
});

test('worst means: missed, off track, at risk, not measured, on track, done', () => {
  const order = ['done', 'on_track', 'not_measured', 'at_risk', 'off_track', 'missed'];
  for (let i = 1; i < order.length; i += 1) {
    const property = { key_results: order.slice(0, i + 1).map((health) => ({ health })) };
    assert.equal(glanceView(property).status.words, panelView(property, []).keyResults[i].health.words);
  }
});

'use strict';
// The UI Kit components and the resolver, loaded without Forge (test/support/load.js): what they draw from a view
// and which Jira calls the resolver makes.
const test = require('node:test');
const assert = require('node:assert/strict');
const { elements, forgeApp, render, textOf } = require('./support/load');
const { glanceView, panelView } = require('../src/view');
const epic = require('./fixtures/epic-status.json');

const link = { globalId: 'okrsync:shop-q4/O1.KR2', object: { url: 'https://acme.atlassian.net/wiki/p/42#O1.KR2' } };

function drawn(file, view) {
  const app = forgeApp({ view });
  app.load(file);
  return { app, tree: render(app.rendered) };
}

test('the panel draws each KR: heading, health lozenge, score, values, progress, trend, flags and page link', () => {
  const { tree } = drawn('src/frontend/panel.jsx', panelView(epic, [link]));
  const text = textOf(tree);
  for (const shown of [
    'O1.KR2 Escaped defects from 40% to 15% of all bugs',
    'Score 0.27',
    'Current → target 33.33% → 15%',
    'Progress 27% of the way, 49% expected by now',
    'Trend better than the baseline of 40%',
    'OKR Sync, as of 2026-11-15 12:00 UTC',
  ]) {
    assert.ok(text.includes(shown), `${JSON.stringify(shown)} not in: ${text}`);
  }
  const lozenges = elements(tree, 'Lozenge').map((l) => [textOf(l), l.props.appearance]);
  assert.deepEqual(lozenges, [
    ['On track', 'success'],
    ['At risk', 'moved'],
    ['Output without outcome', undefined],
  ]);
  const links = elements(tree, 'Link').map((l) => [textOf(l), l.props.href, l.props.openNewTab]);
  assert.deepEqual(links, [['Open on the OKR page', link.object.url, true]]);
});

test('the panel says when the issue is not linked, shows a problem as a warning, and spins while loading', () => {
  const unlinked = drawn('src/frontend/panel.jsx', panelView(null, [])).tree;
  assert.equal(textOf(unlinked), 'Not linked to an OKR yet');
  assert.deepEqual(elements(unlinked, 'SectionMessage'), []);
  const problem = drawn('src/frontend/panel.jsx', panelView('text', [])).tree;
  const [message] = elements(problem, 'SectionMessage');
  assert.equal(message.props.appearance, 'warning');
  assert.match(textOf(message), /not in the form OKR Sync writes/);
  const loading = drawn('src/frontend/panel.jsx', null).tree;
  assert.deepEqual(elements(loading, 'Spinner').length, 1);
});

test('the glance draws its label, the worst health and the count, then each KR', () => {
  const { tree } = drawn('src/frontend/glance.jsx', glanceView(epic));
  assert.ok(textOf(tree).startsWith('OKR status At risk 2 KRs'), textOf(tree));
  assert.deepEqual(
    elements(tree, 'Lozenge').map((l) => l.props.appearance),
    ['moved', 'success', 'moved'],
  );
});

test('the panel and the glance ask the resolver for their view, and show a failed call as a problem', async () => {
  for (const [file, name] of [
    ['src/frontend/panel.jsx', 'panel'],
    ['src/frontend/glance.jsx', 'glance'],
  ]) {
    const app = forgeApp({ invoked: () => Promise.reject(new Error('timed out')) });
    app.load(file);
    render(app.rendered);
    await Promise.all(app.effects.map((effect) => effect()));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(app.invocations, [name]);
    assert.deepEqual(app.states, [
      { state: 'problem', message: 'OKR status could not be loaded (timed out): reload the issue.' },
    ]);
  }
});

test('the resolver defines panel and glance, and reads Jira as the user at the documented paths', async () => {
  const answers = {
    '/rest/api/3/issue/SHOP-1/properties/okrsync.status': { key: 'okrsync.status', value: epic },
    '/rest/api/3/issue/SHOP-1/remotelink': [link],
  };
  const app = forgeApp({ answer: (path) => ({ status: 200, ok: true, json: async () => answers[path] }) });
  const { handler } = app.load('src/resolvers/index.js');
  assert.deepEqual(Object.keys(handler).sort(), ['glance', 'panel']);
  const context = { extension: { type: 'jira:issuePanel', issue: { key: 'SHOP-1' } } };
  const panel = await handler.panel({ payload: {}, context });
  assert.equal(panel.keyResults[1].link.url, link.object.url);
  assert.deepEqual(
    app.requests.map((r) => [r.path, r.options.headers.Accept]),
    [
      ['/rest/api/3/issue/SHOP-1/properties/okrsync.status', 'application/json'],
      ['/rest/api/3/issue/SHOP-1/remotelink', 'application/json'],
    ],
  );
  const glance = await handler.glance({ payload: {}, context });
  assert.deepEqual([glance.status.words, glance.count], ['At risk', '2 KRs']);
});

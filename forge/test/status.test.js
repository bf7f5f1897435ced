'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { glanceFor, issueKeyOf, panelFor } = require('../src/status');
const epic = require('./fixtures/epic-status.json');

/** A fetch-like answer, as api.asUser().requestJira gives it. */
function answer(status, body) {
  return {
    status,
    ok: status >= 200 && status < 300,
    json: async () => (typeof body === 'string' ? JSON.parse(body) : body),
  };
}

/** A recording stand-in for Jira: what it answers for the property and for the remote links. */
function jira(property, links = answer(200, [])) {
  const calls = [];
  return {
    calls,
    property: async (key) => {
      calls.push(`property ${key}`);
      if (property instanceof Error) {
        throw property;
      }
      return property;
    },
    remoteLinks: async (key) => {
      calls.push(`remotelink ${key}`);
      return links;
    },
  };
}

const link = { globalId: 'okrsync:shop-q4/O1.KR2', object: { url: 'https://acme.atlassian.net/wiki/x#O1.KR2' } };

test('the panel reads the property, then the remote links for the page of each KR', async () => {
  const fake = jira(answer(200, { key: 'okrsync.status', value: epic }), answer(200, [link]));
  const view = await panelFor(fake, 'SHOP-1');
  assert.equal(view.state, 'linked');
  assert.equal(view.keyResults[1].link.url, link.object.url);
  assert.deepEqual(fake.calls, ['property SHOP-1', 'remotelink SHOP-1']);
});

test('the remote links are not read when the property names every page', async () => {
  const named = { key_results: [{ ...epic.key_results[0], url: 'https://okrsync.acme.com/admin/kr' }] };
  const fake = jira(answer(200, { key: 'okrsync.status', value: named }));
  assert.equal((await panelFor(fake, 'SHOP-1')).keyResults[0].link.url, 'https://okrsync.acme.com/admin/kr');
  assert.deepEqual(fake.calls, ['property SHOP-1']);
});

test('remote links that cannot be read only drop the page links', async () => {
  for (const links of [answer(403, { errorMessages: ['no'] }), answer(200, { not: 'a list' })]) {
    const view = await panelFor(jira(answer(200, { key: 'okrsync.status', value: epic }), links), 'SHOP-1');
    assert.equal(view.state, 'linked');
    assert.deepEqual(
      view.keyResults.map((kr) => kr.link),
      [null, null],
    );
  }
});

test('a missing property (404) is an issue not linked to an OKR yet, in the panel and the glance', async () => {
  const missing = answer(404, { errorMessages: ['The property with key okrsync.status does not exist.'] });
  assert.equal((await panelFor(jira(missing), 'SHOP-9')).message, 'Not linked to an OKR yet');
  const glance = await glanceFor(jira(missing), 'SHOP-9');
  assert.deepEqual([glance.state, glance.label, glance.status], ['unlinked', 'OKR status', null]);
});

test('a refusal says which permission to ask for', async () => {
  const view = await panelFor(jira(answer(403, {})), 'SHOP-1');
  assert.equal(view.state, 'problem');
  assert.equal(
    view.message,
    "Jira refused to show this issue's okrsync.status property to you (HTTP 403): " +
      'ask a Jira administrator for the Browse projects permission on its project.',
  );
});

test('a failing or unreachable Jira is one sentence with what to do', async () => {
  const cases = [
    [answer(500, {}), "Jira did not give this issue's okrsync.status property (HTTP 500): reload the issue to try again."],
    [answer(200, '<html>'), /\(its answer was not JSON\): reload the issue/],
    [answer(200, { key: 'okrsync.status' }), /\(its answer had no value\)/],
    [new Error('socket hang up'), /\(Jira could not be reached: socket hang up\): reload the issue to try again\.$/],
  ];
  for (const [given, expected] of cases) {
    const panel = await panelFor(jira(given), 'SHOP-1');
    const glance = await glanceFor(jira(given), 'SHOP-1');
    for (const view of [panel, glance]) {
      assert.equal(view.state, 'problem');
      if (typeof expected === 'string') {
        assert.equal(view.message, expected);
      } else {
        assert.match(view.message, expected);
      }
    }
  }
});

test('the glance reads the property only', async () => {
  const fake = jira(answer(200, { key: 'okrsync.status', value: epic }));
  const glance = await glanceFor(fake, 'SHOP-1');
  assert.deepEqual([glance.status.words, glance.count], ['At risk', '2 KRs']);
  assert.deepEqual(fake.calls, ['property SHOP-1']);
});

test('outside an issue nothing is read and the views say where they show', async () => {
  for (const key of [null, undefined, '', '  ']) {
    const fake = jira(answer(200, { value: epic }));
    assert.match((await panelFor(fake, key)).message, /shows on a Jira issue only/);
    assert.equal((await glanceFor(fake, key)).state, 'problem');
    assert.deepEqual(fake.calls, []);
  }
});

test("the issue key comes from the resolver's context", () => {
  assert.equal(issueKeyOf({ extension: { type: 'jira:issuePanel', issue: { key: 'SHOP-1', id: '10001' } } }), 'SHOP-1');
  assert.equal(issueKeyOf({ extension: {} }), null);
  assert.equal(issueKeyOf(undefined), null);
});

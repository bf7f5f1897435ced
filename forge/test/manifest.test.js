'use strict';
// forge/manifest.yml checked by Atlassian's own validator (@forge/manifest, the one `forge lint` and `forge deploy`
// use): the schema, the modules' required properties, the resources and handler files, the scopes, the runtime.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { validate } = require('@forge/manifest');

const APP = path.join(__dirname, '..');
const MANIFEST = path.join(APP, 'manifest.yml');
const FULL = false; // validate(basic, file): false asks for the full validation

/** The manifest with one change, in a copy of the app (its src/ and static/ linked), validated there. */
async function validateChanged(change) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'okrsync-forge-'));
  try {
    for (const folder of ['src', 'static']) {
      fs.symlinkSync(path.join(APP, folder), path.join(dir, folder));
    }
    const changed = change(fs.readFileSync(MANIFEST, 'utf8'));
    fs.writeFileSync(path.join(dir, 'manifest.yml'), changed);
    return await validate(FULL, path.join(dir, 'manifest.yml'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function messages(result) {
  return (result.errors || []).map((e) => e.message).join('\n');
}

function replaced(text, from, to) {
  assert.ok(text.includes(from), `manifest.yml no longer contains ${JSON.stringify(from)}: update this test`);
  return text.replace(from, to);
}

test('manifest.yml passes the full validation of @forge/manifest', async () => {
  const result = await validate(FULL, MANIFEST);
  assert.equal(messages(result), '');
  assert.equal(result.success, true);
});

test('the manifest declares the issue panel and the glance, UI Kit, one resolver, read access only', async () => {
  const { manifestObject } = await validate(FULL, MANIFEST);
  const { modules, permissions, app } = manifestObject.typedContent;
  assert.deepEqual(
    [...modules['jira:issuePanel'], ...modules['jira:issueGlance']].map((m) => [m.key, m.render, m.resolver.function]),
    [
      ['okrsync-status-panel', 'native', 'resolver'],
      ['okrsync-status-glance', 'native', 'resolver'],
    ],
  );
  assert.deepEqual(permissions.scopes, ['read:jira-work']);
  assert.equal(app.runtime.name, 'nodejs22.x');
});

const BROKEN = [
  ['a misspelt module type', ['jira:issueGlance:', 'jira:issueGlanse:'], /invalid value 'jira:issueGlanse' in modules/],
  ['a glance without its label', ['      label: OKR status\n', ''], /jira:issueGlance required properties are/],
  ['a resource key nobody declares', ['resource: panel', 'resource: panels'], /missing resource key 'panels'/],
  ['a resource file that does not exist', ['src/frontend/glance.jsx', 'src/frontend/gone.jsx'], /missing resource/],
  ['a handler without its file', ['resolvers/index.handler', 'resolver/index.handler'], /cannot find associated file/],
  ['an unknown scope', ['read:jira-work', 'read:jira-works'], /Invalid 'scopes' permission/],
  ['a runtime Forge does not offer', ['nodejs22.x', 'nodejs16.x'], /allowed values are/],
  ['an app id that is not an ARI', ['id: ari:cloud:ecosystem::app/', 'id: app/'], /must match pattern/],
];

for (const [what, [from, to], expected] of BROKEN) {
  test(`the validator refuses ${what}`, async () => {
    const result = await validateChanged((text) => replaced(text, from, to));
    assert.equal(result.success, false);
    assert.match(messages(result), expected);
  });
}

'use strict';
/**
 * Reading an issue's okrsync.status property (and its remote links) from Jira, as the resolver does it, with the
 * Jira calls passed in so that the reading is tested without Forge:
 *
 *   jira = { property(issueKey) → Promise<Response>, remoteLinks(issueKey) → Promise<Response> }
 *   await panelFor(jira, 'SHOP-12')    // the panel's view (src/view.js)
 *   await glanceFor(jira, 'SHOP-12')   // the glance's view
 *
 * A missing property (404) is an issue OKR Sync has not linked to a KR yet. Any other failure is one sentence
 * that says what failed and what to do, shown in place of the status; a failed remote-link read only drops the
 * links to the KR's page.
 */

const { glanceView, panelView, problemView } = require('./view');

const PROPERTY = 'okrsync.status';

function notOnIssue() {
  return problemView('OKR status shows on a Jira issue only: open the issue to see it.');
}

function refusal(status) {
  return (
    `Jira refused to show this issue's ${PROPERTY} property to you (HTTP ${status}): ` +
    'ask a Jira administrator for the Browse projects permission on its project.'
  );
}

function failure(detail) {
  return `Jira did not give this issue's ${PROPERTY} property (${detail}): reload the issue to try again.`;
}

/** {property} (null when the issue has none) or {problem}: one sentence. */
async function readProperty(jira, issueKey) {
  let response;
  try {
    response = await jira.property(issueKey);
  } catch (error) {
    return { problem: failure(`Jira could not be reached: ${error && error.message ? error.message : error}`) };
  }
  if (response.status === 404) {
    return { property: null };
  }
  if (response.status === 401 || response.status === 403) {
    return { problem: refusal(response.status) };
  }
  if (!response.ok) {
    return { problem: failure(`HTTP ${response.status}`) };
  }
  try {
    const body = await response.json();
    const answered = body !== null && typeof body === 'object' && 'value' in body;
    return answered ? { property: body.value } : { problem: failure('its answer had no value') };
  } catch {
    return { problem: failure('its answer was not JSON') };
  }
}

/** The issue's remote links, or none when they cannot be read. */
async function readLinks(jira, issueKey) {
  try {
    const response = await jira.remoteLinks(issueKey);
    const links = response.ok ? await response.json() : [];
    return Array.isArray(links) ? links : [];
  } catch {
    return [];
  }
}

function validKey(issueKey) {
  return typeof issueKey === 'string' && issueKey.trim() !== '';
}

async function panelFor(jira, issueKey) {
  if (!validKey(issueKey)) {
    return notOnIssue();
  }
  const read = await readProperty(jira, issueKey);
  if (read.problem) {
    return problemView(read.problem);
  }
  const view = panelView(read.property, []);
  const wantsLinks = view.state === 'linked' && view.keyResults.some((kr) => kr.link === null);
  return wantsLinks ? panelView(read.property, await readLinks(jira, issueKey)) : view;
}

async function glanceFor(jira, issueKey) {
  if (!validKey(issueKey)) {
    return { ...glanceView(null), ...notOnIssue() };
  }
  const read = await readProperty(jira, issueKey);
  return read.problem ? { ...glanceView(null), ...problemView(read.problem) } : glanceView(read.property);
}

/** The issue key in a resolver call's context (jira:issuePanel and jira:issueGlance give context.extension.issue). */
function issueKeyOf(context) {
  const issue = context && context.extension && context.extension.issue;
  return issue && typeof issue.key === 'string' ? issue.key : null;
}

module.exports = { PROPERTY, readProperty, readLinks, panelFor, glanceFor, issueKeyOf };

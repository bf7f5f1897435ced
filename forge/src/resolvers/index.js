// The app's one function: the resolver the panel and the glance invoke. It reads the issue's okrsync.status
// property and remote links as the user looking at the issue (read:jira-work), so nobody sees more than Jira
// shows them; the rest is src/status.js and src/view.js, tested under Node without Forge.
import Resolver from '@forge/resolver';
import api, { route } from '@forge/api';
import { glanceFor, issueKeyOf, panelFor } from '../status';

const JSON_ANSWER = { headers: { Accept: 'application/json' } };

const jira = {
  property: (issueKey) =>
    api.asUser().requestJira(route`/rest/api/3/issue/${issueKey}/properties/okrsync.status`, JSON_ANSWER),
  remoteLinks: (issueKey) => api.asUser().requestJira(route`/rest/api/3/issue/${issueKey}/remotelink`, JSON_ANSWER),
};

const resolver = new Resolver();
resolver.define('panel', ({ context }) => panelFor(jira, issueKeyOf(context)));
resolver.define('glance', ({ context }) => glanceFor(jira, issueKeyOf(context)));

export const handler = resolver.getDefinitions();

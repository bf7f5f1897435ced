'use strict';
/**
 * The app's UI Kit and resolver files under Node, without Forge: TypeScript's transpiler turns their JSX and ES
 * modules into CommonJS (a syntax error fails the test that loads them), and the Forge packages, which run only
 * inside Forge, are replaced by recording stand-ins. Every other import is the real one.
 *
 *   const app = forgeApp({ view });             // what useState hands the components, what invoke answers
 *   app.load('src/frontend/panel.jsx');          // runs the file: it renders through app.rendered
 *   render(app.rendered)                         // the element tree with every component of ours expanded
 */
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { route } = require('@forge/api');

const APP = path.join(__dirname, '..', '..');
const COMPILER = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  jsx: ts.JsxEmit.React,
  esModuleInterop: true,
};

function transpiled(file) {
  const result = ts.transpileModule(fs.readFileSync(file, 'utf8'), {
    compilerOptions: COMPILER,
    fileName: file,
    reportDiagnostics: true,
  });
  if (result.diagnostics.length > 0) {
    const first = result.diagnostics[0];
    throw new SyntaxError(`${path.relative(APP, file)}: ${ts.flattenDiagnosticMessageText(first.messageText, '\n')}`);
  }
  return result.outputText;
}

function localFile(dir, name) {
  const base = path.resolve(dir, name);
  const found = [base, `${base}.js`, `${base}.jsx`].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  if (!found) {
    throw new Error(`${name} imported from ${path.relative(APP, dir)} does not exist`);
  }
  return found;
}

function esModule(defaultExport, named) {
  return { __esModule: true, default: defaultExport, ...named };
}

/** A React that builds plain element objects; useState answers the given view, effects are kept to run later. */
function fakeReact(app) {
  const createElement = (type, props, ...children) => ({ type, props: props || {}, children: children.flat() });
  const React = { createElement, StrictMode: 'StrictMode', Fragment: 'Fragment' };
  return esModule(React, {
    useState: (initial) => [app.view === undefined ? initial : app.view, (value) => app.states.push(value)],
    useEffect: (effect) => app.effects.push(effect),
  });
}

/** UI Kit: every component is its name; ForgeReconciler.render keeps what it is given. */
function fakeForgeReact(app) {
  const reconciler = { render: (element) => (app.rendered = element) };
  return new Proxy(esModule(reconciler, {}), {
    get: (target, name) => (name in target ? target[name] : String(name)),
  });
}

function fakeResolver(app) {
  class Resolver {
    define(name, definition) {
      app.definitions[name] = definition;
    }
    getDefinitions() {
      return app.definitions;
    }
  }
  return esModule(Resolver, {});
}

/** @forge/api with its real `route`; requestJira records the call and answers app.answer(path). */
function fakeApi(app) {
  const requestJira = async (jiraRoute, options) => {
    app.requests.push({ path: jiraRoute.value, options });
    return app.answer(jiraRoute.value);
  };
  return esModule({ asUser: () => ({ requestJira }) }, { route });
}

function forgeApp({ view, invoked, answer } = {}) {
  const app = { view, states: [], effects: [], invocations: [], definitions: {}, requests: [], rendered: null };
  app.answer = answer || (() => ({ status: 404, ok: false, json: async () => ({}) }));
  const standIns = {
    react: fakeReact(app),
    '@forge/react': fakeForgeReact(app),
    '@forge/bridge': esModule(undefined, {
      invoke: (name) => (app.invocations.push(name), invoked ? invoked(name) : Promise.resolve(view)),
    }),
    '@forge/resolver': fakeResolver(app),
    '@forge/api': fakeApi(app),
  };
  const load = (file) => {
    const module = { exports: {} };
    const localRequire = (name) => {
      if (name in standIns) {
        return standIns[name];
      }
      if (!name.startsWith('.')) {
        return require(name);
      }
      const found = localFile(path.dirname(file), name);
      return found.endsWith('.jsx') ? load(found) : require(found);
    };
    new Function('require', 'module', 'exports', transpiled(file))(localRequire, module, module.exports);
    return module.exports;
  };
  app.load = (relative) => load(path.join(APP, relative));
  return app;
}

/** The element tree with our function components called: only UI Kit elements and strings are left. */
function render(node) {
  if (node === null || node === undefined || node === false || node === true) {
    return [];
  }
  if (Array.isArray(node)) {
    return node.flatMap(render);
  }
  if (typeof node !== 'object') {
    return [String(node)];
  }
  if (typeof node.type === 'function') {
    const children = node.children.length === 1 ? node.children[0] : node.children;
    return render(node.type({ ...node.props, children }));
  }
  return [{ type: node.type, props: node.props, children: render(node.children) }];
}

/** Every UI Kit element of a type in a rendered tree. */
function elements(tree, type) {
  return tree.flatMap((n) => (typeof n === 'string' ? [] : [...(n.type === type ? [n] : []), ...elements(n.children, type)]));
}

/** The text a rendered tree (or element) shows, its pieces joined by spaces. */
function textOf(tree) {
  const nodes = Array.isArray(tree) ? tree : [tree];
  return nodes
    .map((n) => (typeof n === 'string' ? n : textOf(n.children)))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

module.exports = { forgeApp, render, elements, textOf };

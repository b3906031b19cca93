// Development harness: stands in for the VS Code webview host. Loaded before a view's bundle.
// Sets the theme classes VS Code sets, provides acquireVsCodeApi, and records what the page posts,
// every CSP violation and every uncaught error, for harness.mjs to read.
(function () {
  'use strict';
  const params = new URLSearchParams(location.search);
  const theme = params.get('theme') || 'dark';
  const view = document.body.classList.contains('seqlab-sidebar') ? 'sidebar' : 'panel';
  const bodyClass = { dark: 'vscode-dark', light: 'vscode-light', hc: 'vscode-high-contrast' }[theme] || 'vscode-dark';
  document.documentElement.classList.add('theme-' + theme, 'view-' + view);
  document.body.classList.add(bodyClass);
  document.body.setAttribute('data-vscode-theme-kind', bodyClass);

  const harness = {
    view,
    theme,
    scenario: params.get('scenario') || 'default',
    posted: [],
    violations: [],
    errors: [],
    done: false,
    /** Set by fixtures.js: receives every message the page posts. */
    onMessage: null,
    /** Delivers a host message to the page the way VS Code does (a window message event). */
    send(message) {
      window.postMessage(JSON.parse(JSON.stringify(message)), '*');
    },
    /** Switches theme the way VS Code does: new variables and a new body class, no reload. */
    setTheme(next) {
      document.documentElement.classList.remove('theme-dark', 'theme-light', 'theme-hc');
      document.documentElement.classList.add('theme-' + next);
      document.body.classList.remove('vscode-dark', 'vscode-light', 'vscode-high-contrast');
      const cls = { dark: 'vscode-dark', light: 'vscode-light', hc: 'vscode-high-contrast' }[next];
      document.body.classList.add(cls);
      document.body.setAttribute('data-vscode-theme-kind', cls);
    },
  };
  window.__harness = harness;
  document.addEventListener('securitypolicyviolation', (e) => harness.violations.push(e.violatedDirective + ' ' + e.blockedURI));
  window.addEventListener('error', (e) => harness.errors.push(String(e.message)));
  window.addEventListener('unhandledrejection', (e) => harness.errors.push('unhandled rejection: ' + String(e.reason)));

  const storageKey = 'seqlab-harness-state-' + view;
  let state = null;
  try {
    state = JSON.parse(sessionStorage.getItem(storageKey) || 'null');
  } catch {
    state = null;
  }
  let acquired = false;
  window.acquireVsCodeApi = function () {
    if (acquired) throw new Error('acquireVsCodeApi may only be called once');
    acquired = true;
    return {
      postMessage(message) {
        const copy = JSON.parse(JSON.stringify(message));
        harness.posted.push(copy);
        setTimeout(() => harness.onMessage && harness.onMessage(copy), 0);
      },
      getState: () => state,
      setState(next) {
        state = next;
        sessionStorage.setItem(storageKey, JSON.stringify(next));
        return next;
      },
    };
  };
})();

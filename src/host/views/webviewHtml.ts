/**
 * The one place that builds webview HTML (the training panel and the Runs sidebar).
 *
 * Modelled on VS Code's markdown preview (extensions/markdown-language-features): a strict Content
 * Security Policy with a fresh nonce per load, every asset through `asWebviewUri`, and the initial
 * state as escaped JSON in a `data-` attribute rather than an inline script. Nothing here runs in the
 * webview; the page's behaviour lives in the bundles built from src/webview/.
 */
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';

/** The webview bundles esbuild writes to dist/webview/ (script `<kind>.js`, styles `<kind>.css`). */
export type WebviewKind = 'panel' | 'sidebar' | 'experiment' | 'forecast' | 'inside';

export interface WebviewPage {
  readonly kind: WebviewKind;
  /** Document title, for screen readers and the developer tools. */
  readonly title: string;
  /** Optional JSON-serialisable data the page reads at start-up (before the `ready` handshake). */
  readonly state?: unknown;
}

/** Folders a webview may load from: the built bundles and the media folder, nothing else. */
export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** Options for `createWebviewPanel` / `webviewView.webview.options`: scripts on, local roots narrowed. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewResourceRoots(extensionUri) };
}

/** Builds the full HTML of a webview with a new nonce; assign it to `webview.html`. */
export function getWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', file)).toString();
  return renderWebviewDocument({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: asset(`${page.kind}.js`),
    styleUri: asset(`${page.kind}.css`),
    codiconUri: asset('codicon.css'),
    title: page.title,
    kind: page.kind,
    state: page.state,
  });
}

/** 128 bits from the OS random source; base64 is a valid CSP nonce alphabet. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export interface WebviewDocumentParts {
  readonly cspSource: string;
  readonly nonce: string;
  readonly scriptUri: string;
  readonly styleUri: string;
  /** The codicon font's stylesheet; vscode-elements looks it up by the id `vscode-codicon-stylesheet`. */
  readonly codiconUri: string;
  readonly title: string;
  readonly kind: WebviewKind;
  readonly state?: unknown;
}

/**
 * The document itself, from already-resolved URIs. Pure (no `vscode` calls) so the development
 * harness in test/webview renders exactly the page and policy the extension ships.
 */
export function renderWebviewDocument(parts: WebviewDocumentParts): string {
  const { cspSource, nonce } = parts;
  // Styles only from files (uPlot and vscode-elements set styles through the CSSOM and constructed
  // stylesheets, which the policy does not block), fonts for the codicons, images as data: URIs
  // for uPlot's legend markers. No inline script, no eval, no network.
  const csp = [`default-src 'none'`, `style-src ${cspSource}`, `font-src ${cspSource}`, `img-src ${cspSource} data:`, `script-src 'nonce-${nonce}'`].join('; ');
  const state = JSON.stringify(parts.state ?? {});
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <meta id="seqlab-initial-state" data-state="${escapeAttribute(state)}">
  <link rel="stylesheet" href="${escapeAttribute(parts.codiconUri)}" id="vscode-codicon-stylesheet">
  <link rel="stylesheet" href="${escapeAttribute(parts.styleUri)}">
  <title>${escapeText(parts.title)}</title>
</head>
<body class="seqlab-${parts.kind}">
  <div id="app"></div>
  <script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(parts.scriptUri)}"></script>
</body>
</html>`;
}

/** Escapes a value for a double-quoted HTML attribute (JSON included: quotes, ampersands, angle brackets). */
export function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The webview side of the VS Code bridge: `acquireVsCodeApi` (callable once per page), typed by the
 * protocol of each view, and the initial state the host put in the page's `data-state` attribute.
 */

export interface VsCodeApi<State, Out> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi(): { postMessage(message: unknown): void; getState(): unknown; setState(state: unknown): void };

export function getVsCodeApi<State, Out>(): VsCodeApi<State, Out> {
  const api = acquireVsCodeApi();
  return {
    postMessage: (message) => api.postMessage(message),
    getState: () => (api.getState() ?? undefined) as State | undefined,
    setState: (state) => api.setState(state),
  };
}

/** The JSON the host escaped into `<meta id="seqlab-initial-state" data-state="...">`, or `{}`. */
export function readInitialState(): Record<string, unknown> {
  const raw = document.getElementById('seqlab-initial-state')?.getAttribute('data-state');
  if (!raw) return {};
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Messages from the host arrive as window `message` events; anything without a string `type` is ignored. */
export function onHostMessage<T extends { readonly type: string }>(handler: (message: T) => void): void {
  window.addEventListener('message', (event: MessageEvent<unknown>) => {
    const data = event.data;
    if (typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string') handler(data as T);
  });
}

/**
 * Entry of the training panel webview. Says `ready`, then renders whatever the host sends: a run
 * snapshot followed by deltas (dropped when their run id is not the snapshot's), a comparison of
 * runs, or an empty-state message. Drawing is batched to one pass per animation frame, so a burst of
 * metric messages costs one redraw.
 */
import 'uplot/dist/uPlot.min.css';
import './panel.css';
import '../common/elements';
import type { HostToPanel, PanelState as HostPanelState, PanelToHost } from '../../protocol/panel';
import { h, icon, setText } from '../common/dom';
import { readTheme, onThemeChange } from '../common/theme';
import { getVsCodeApi, onHostMessage, readInitialState } from '../common/vscodeApi';
import { sanitizePrefs, type PanelPrefs } from '../lib/prefs';
import { applyRunMessage, type PanelChange, type RunModel } from '../lib/runModel';
import { CompareView } from './compareView';
import { GradientView } from './gradientView';
import { LossChart } from './lossChart';
import { ReadoutsView } from './readoutsView';
import { RunHeader } from './runHeader';
import { SamplesView } from './samplesView';
import { TokenStatsView } from './tokenStatsView';

/**
 * What the panel keeps in `vscode.setState`: the host's part (which run or comparison is shown, read
 * back by its serializer after a reload) and the view preferences.
 */
interface PanelState extends HostPanelState {
  readonly prefs?: PanelPrefs;
}

const vscode = getVsCodeApi<PanelState, PanelToHost>();
const post = (message: PanelToHost) => vscode.postMessage(message);

const saved = vscode.getState();
let shown: HostPanelState = pickShown(saved?.runId !== undefined || saved?.compareIds !== undefined ? saved : readInitialState());
let prefs = sanitizePrefs(saved?.prefs);
let theme = readTheme();
let model: RunModel | undefined;

function persist(): void {
  vscode.setState({ ...shown, prefs });
}

function pickShown(raw: unknown): HostPanelState {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  if (typeof r.runId === 'string') return { runId: r.runId };
  if (Array.isArray(r.compareIds) && r.compareIds.every((x) => typeof x === 'string')) return { compareIds: r.compareIds as string[] };
  return {};
}

function setPrefs(change: Partial<PanelPrefs>): void {
  prefs = sanitizePrefs({ ...prefs, ...change });
  persist();
  loss.setPrefsView(prefs);
  gradients.setPrefsView(prefs);
  compare.setPrefsView(prefs);
}

// ---------------------------------------------------------------- layout

const header = new RunHeader(post);
const loss = new LossChart(theme, prefs, setPrefs);
const gradients = new GradientView(theme, prefs, setPrefs);
const samples = new SamplesView(post);
const readouts = new ReadoutsView(theme);
const tokenStats = new TokenStatsView(theme);
const compare = new CompareView(theme, prefs, setPrefs);

const emptyText = h('p', { class: 'empty-text' });
const emptyView = h('div', { class: 'empty', attrs: { role: 'status' } }, icon('graph-line', 'empty-icon'), emptyText);
const loadingView = h('div', { class: 'empty', attrs: { role: 'status' } }, h('p', { class: 'empty-text', text: 'Loading run…' }));
const runView = h(
  'div',
  { class: 'run-view' },
  header.element,
  h('div', { class: 'cards' }, loss.element, gradients.element, readouts.element, samples.element, tokenStats.element),
);
const compareViewEl = h('div', { class: 'compare-view' }, compare.element);
const app = document.getElementById('app') ?? document.body;
app.append(loadingView, emptyView, runView, compareViewEl);

type Mode = 'loading' | 'empty' | 'run' | 'compare';
function show(mode: Mode): void {
  loadingView.hidden = mode !== 'loading';
  emptyView.hidden = mode !== 'empty';
  runView.hidden = mode !== 'run';
  compareViewEl.hidden = mode !== 'compare';
  document.body.dataset.mode = mode;
}
show('loading');

// ---------------------------------------------------------------- rendering, once per frame

const dirty = new Set<PanelChange>();
let frame = 0;
function schedule(change: PanelChange): void {
  dirty.add(change);
  if (!frame) frame = requestAnimationFrame(flush);
}

function flush(): void {
  frame = 0;
  const started = performance.now();
  const changes = [...dirty].join(',');
  const all = dirty.has('snapshot');
  if (all) {
    header.setModel(model);
    loss.setModel(model);
    gradients.setModel(model);
    samples.setModel(model);
    readouts.setModel(model);
    tokenStats.setModel(model);
  } else {
    if (dirty.has('status') || dirty.has('metrics') || dirty.has('eval')) header.render();
    if (dirty.has('metrics') || dirty.has('eval') || dirty.has('status')) loss.render();
    if (dirty.has('gradmap')) readouts.render();
    if (dirty.has('status')) tokenStats.render();
    if (dirty.has('gradmap')) gradients.render(true);
    else if (dirty.has('metrics')) gradients.render(false);
    if (dirty.has('sample') || dirty.has('status')) samples.render();
  }
  dirty.clear();
  // Visible in the developer tools' performance panel (and read by the development harness).
  performance.measure('seqlab:render', { start: started, detail: changes });
}

// ---------------------------------------------------------------- messages

onHostMessage<HostToPanel>((msg) => {
  switch (msg.type) {
    case 'empty':
      model = undefined;
      setText(emptyText, msg.message);
      show('empty');
      return;
    case 'compare':
      model = undefined;
      shown = { compareIds: msg.runs.map((r) => r.id) };
      persist();
      compare.setRuns(msg.runs);
      show('compare');
      return;
    case 'sampleToken':
      samples.onToken(msg.requestId, msg.token);
      return;
    case 'sampleDone':
      samples.onDone(msg.requestId, msg.text);
      return;
    case 'sampleError':
      samples.onError(msg.requestId, msg.message);
      return;
    default: {
      const result = applyRunMessage(model, msg);
      if (!result.changes.length) return;
      model = result.model;
      if (result.changes.includes('snapshot')) {
        shown = { runId: msg.runId };
        persist();
        show('run');
      }
      for (const change of result.changes) schedule(change);
    }
  }
});

onThemeChange(() => {
  theme = readTheme();
  loss.setTheme(theme);
  gradients.setTheme(theme);
  readouts.setTheme(theme);
  tokenStats.setTheme(theme);
  compare.setTheme(theme);
});

persist();
post({ type: 'ready' });

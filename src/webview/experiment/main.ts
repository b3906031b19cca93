/**
 * Entry of the experiment panel webview. Says `ready`, then renders each view the host sends whole
 * (header, overlaid loss curves, results table, gradient maps on one scale, samples side by side),
 * dropping one for another experiment. Drawing waits for the next animation frame, so a burst of
 * refreshes costs one redraw.
 */
import 'uplot/dist/uPlot.min.css';
import './experiment.css';
import '../common/elements';
import type { ExperimentPanelState, ExperimentPanelToHost, ExperimentView, HostToExperimentPanel } from '../../protocol/experimentPanel';
import { h, icon, setText } from '../common/dom';
import { onThemeChange, readTheme } from '../common/theme';
import { getVsCodeApi, onHostMessage, readInitialState } from '../common/vscodeApi';
import { sanitizePrefs, type PanelPrefs } from '../lib/prefs';
import { CompareView } from '../panel/compareView';
import { ExperimentHeader } from './experimentHeader';
import { GradientMapsView } from './gradientMapsView';
import { ResultsTableView } from './resultsTableView';
import { SamplesSideBySide } from './samplesSideBySide';

interface PageState extends ExperimentPanelState {
  readonly prefs?: PanelPrefs;
}

const vscode = getVsCodeApi<PageState, ExperimentPanelToHost>();
const post = (message: ExperimentPanelToHost) => vscode.postMessage(message);
const saved = vscode.getState();
const initial = readInitialState();
let experimentId = typeof saved?.experimentId === 'string' ? saved.experimentId : typeof initial.experimentId === 'string' ? initial.experimentId : undefined;
let prefs = sanitizePrefs(saved?.prefs);
let theme = readTheme();

function persist(): void {
  vscode.setState({ experimentId, prefs });
}

function setPrefs(change: Partial<PanelPrefs>): void {
  prefs = sanitizePrefs({ ...prefs, ...change });
  persist();
  curves.setPrefsView(prefs);
}

// ---------------------------------------------------------------- layout

const header = new ExperimentHeader(post);
const curves = new CompareView(theme, prefs, setPrefs);
// The comparison card, titled for what it is here: every run of the experiment, legend by varied value.
const curvesTitle = curves.element.querySelector('.card-title');
if (curvesTitle) setText(curvesTitle, 'Loss curves');
curves.element.dataset.testid = 'experiment-curves';
const table = new ResultsTableView(post);
const maps = new GradientMapsView(theme);
const samples = new SamplesSideBySide();

const emptyText = h('p', { class: 'empty-text', attrs: { 'data-testid': 'experiment-empty' } });
const emptyView = h('div', { class: 'empty', attrs: { role: 'status' } }, icon('beaker', 'empty-icon'), emptyText);
const loadingView = h('div', { class: 'empty', attrs: { role: 'status' } }, h('p', { class: 'empty-text', text: 'Loading experiment…' }));
const mainView = h('div', { class: 'run-view' }, header.element, h('div', { class: 'cards' }, table.element, curves.element, maps.element, samples.element));
const app = document.getElementById('app') ?? document.body;
app.append(loadingView, emptyView, mainView);

function show(mode: 'loading' | 'empty' | 'experiment'): void {
  loadingView.hidden = mode !== 'loading';
  emptyView.hidden = mode !== 'empty';
  mainView.hidden = mode !== 'experiment';
  document.body.dataset.mode = mode;
}
show('loading');

let pending: ExperimentView | undefined;
let frame = 0;
function render(): void {
  frame = 0;
  const view = pending;
  if (!view) return;
  pending = undefined;
  header.setView(view);
  curves.setRuns(view.runs.map((r) => r.series));
  table.setView(view);
  maps.setView(view);
  samples.setView(view);
  document.body.dataset.done = `${view.done}/${view.total}`;
}

onHostMessage<HostToExperimentPanel>((msg) => {
  switch (msg.type) {
    case 'empty':
      setText(emptyText, msg.message);
      show('empty');
      return;
    case 'experiment':
      if (experimentId !== undefined && msg.experimentId !== experimentId) return;
      experimentId = msg.experimentId;
      persist();
      pending = msg.view;
      show('experiment');
      if (!frame) frame = requestAnimationFrame(render);
      return;
  }
});

onThemeChange(() => {
  theme = readTheme();
  curves.setTheme(theme);
  maps.setTheme(theme);
});

persist();
post({ type: 'ready' });

/**
 * Entry of the Runs sidebar (a webview view): the runs of the workspace, the selected run's details
 * and actions, comparison, and inspection. Says `ready`; the host answers with `runs` and sends it
 * again whenever runs change.
 */
import './sidebar.css';
import '../common/elements';
import type { HostToSidebar, SidebarToHost, UnreadableRunEntry } from '../../protocol/sidebar';
import type { RunSummary } from '../../protocol/types';
import { h, icon, setDisabled, setText } from '../common/dom';
import { getVsCodeApi, onHostMessage } from '../common/vscodeApi';
import { isActive } from '../lib/runLabels';
import { ExperimentList } from './experimentList';
import { InspectView } from './inspectView';
import { RunDetailsView } from './runDetails';
import { RunList } from './runList';
import { UnreadableList } from './unreadableList';

interface SidebarState {
  readonly selected?: string;
  readonly checked?: string[];
  readonly inspectRunId?: string;
  readonly inspectText?: string;
}

const vscode = getVsCodeApi<SidebarState, SidebarToHost>();
const post = (message: SidebarToHost) => vscode.postMessage(message);
const saved = sanitize(vscode.getState());

let runs: RunSummary[] = [];
let trusted = true;
let selected = saved.selected;
const checked = new Set(saved.checked ?? []);
let inspectState: { runId?: string; text: string } = { runId: saved.inspectRunId, text: saved.inspectText ?? '' };
let listed = false;

function persist(): void {
  vscode.setState({ selected, checked: [...checked], inspectRunId: inspectState.runId, inspectText: inspectState.text });
}

// ---------------------------------------------------------------- layout

const untrustedNotice = h(
  'p',
  { class: 'notice', attrs: { hidden: true, role: 'note' } },
  icon('shield'),
  h('span', { text: 'Restricted mode: this workspace is not trusted, so training is disabled. You can still browse runs and open their charts. Trust the workspace to train.' }),
);
const noWorkspaceNotice = h(
  'p',
  { class: 'notice', attrs: { hidden: true, role: 'note' } },
  icon('info'),
  h('span', { text: 'Open a folder to keep runs: they are stored in .seqlab/runs inside the workspace.' }),
);

const list = new RunList({
  select(runId) {
    selected = runId;
    persist();
    details.showLoading(runId);
    inspect.follow(runId);
    postSelectSoon(runId);
  },
  open(runId) {
    post({ type: 'run', action: 'open', runId });
  },
  toggleCompare(runId, on) {
    if (on) checked.add(runId);
    else checked.delete(runId);
    persist();
    updateCompare();
  },
});

const trainButton = h('vscode-button', { attrs: { icon: 'play', block: true }, text: 'Train a file…' }) as unknown as HTMLElement & { disabled: boolean };
trainButton.addEventListener('click', () => {
  if (!trainButton.disabled) post({ type: 'train' });
});
const emptyText = h('p', { class: 'muted' });
const emptyState = h('div', { class: 'empty-runs', attrs: { hidden: true } }, emptyText, trainButton);

const compareButton = h('vscode-button', {
  attrs: { icon: 'graph-line', secondary: true, title: 'Overlay the curves of the checked runs in the panel' },
  text: 'Compare',
}) as unknown as HTMLElement & { disabled: boolean };
compareButton.addEventListener('click', () => {
  const ids = list.ids.filter((id) => checked.has(id)).slice(0, 8);
  if (ids.length >= 2) post({ type: 'compare', runIds: ids });
});
const compareHint = h('span', { class: 'muted small' });
const runCount = h('span', { class: 'count-badge' });

const runsSection = h(
  'section',
  { class: 'section', attrs: { 'aria-labelledby': 'runs-title' } },
  h('div', { class: 'section-head' }, h('h2', { class: 'section-title', attrs: { id: 'runs-title' } }, 'Runs ', runCount)),
  emptyState,
  list.element,
  h('p', {
    class: 'visually-hidden',
    attrs: { id: 'run-list-help' },
    text: 'Arrow keys move between runs, Enter opens the run in the training panel, Space picks it for comparison.',
  }),
  h('div', { class: 'compare-row' }, compareButton, compareHint),
);

const experimentList = new ExperimentList((action, experimentId) => post({ type: 'experiment', action, experimentId }));

const unreadableList = new UnreadableList((key) => post({ type: 'run', action: 'delete', runId: key }));

const details = new RunDetailsView((action, runId) => post({ type: 'run', action, runId }));
const inspect = new InspectView(
  post,
  (s) => {
    inspectState = s;
    persist();
  },
  { runId: saved.inspectRunId, text: saved.inspectText },
);

const app = document.getElementById('app') ?? document.body;
app.append(untrustedNotice, noWorkspaceNotice, runsSection, experimentList.element, unreadableList.element, details.element, inspect.element);

// ---------------------------------------------------------------- behaviour

let selectTimer: ReturnType<typeof setTimeout> | undefined;
/** Holding an arrow key moves through many runs: ask for details of the one the user stops on. */
function postSelectSoon(runId: string): void {
  if (selectTimer) clearTimeout(selectTimer);
  selectTimer = setTimeout(() => post({ type: 'run', action: 'select', runId }), 120);
}

function updateCompare(): void {
  for (const id of [...checked]) if (!runs.some((r) => r.id === id)) checked.delete(id);
  const n = checked.size;
  setDisabled(compareButton, n < 2);
  setText(compareButton, n >= 2 ? `Compare ${n} runs` : 'Compare');
  setText(compareHint, runs.length < 2 ? '' : n === 0 ? 'Tick two or more runs to compare them.' : n === 1 ? 'Tick one more run.' : n > 8 ? 'The first 8 are compared.' : '');
  compareButton.parentElement!.hidden = runs.length < 2;
}

function onRuns(next: RunSummary[], isTrusted: boolean, hasWorkspace: boolean, unreadable: readonly UnreadableRunEntry[]): void {
  const before = new Map(runs.map((r) => [r.id, r.state]));
  runs = next;
  unreadableList.set(unreadable);
  trusted = isTrusted;
  untrustedNotice.hidden = trusted;
  noWorkspaceNotice.hidden = hasWorkspace;
  setText(runCount, runs.length ? String(runs.length) : '');
  emptyState.hidden = runs.length > 0;
  setText(
    emptyText,
    !hasWorkspace
      ? 'No folder is open.'
      : unreadable.length
        ? 'No readable runs: the folders below cannot be read.'
        : trusted
          ? 'No runs yet. Train a language model on any text file: right-click it in the Explorer, or start here.'
          : 'No runs in this workspace.',
  );
  setDisabled(trainButton, !trusted || !hasWorkspace);

  if (selected && !runs.some((r) => r.id === selected)) {
    selected = undefined;
    details.hide();
  }
  list.setRuns(runs, selected, checked);
  updateCompare();
  const inspectable = runs.filter((r) => r.step > 0 || isActive(r.state));
  inspect.setRuns(inspectable, selected);
  inspect.element.hidden = inspectable.length === 0;

  // Ask for details after a reload (the selection was restored) or when the selected run changed state.
  if (selected && (!listed || before.get(selected) !== runs.find((r) => r.id === selected)?.state)) {
    details.showLoading(selected);
    post({ type: 'run', action: 'select', runId: selected });
  }
  listed = true;
  persist();
}

onHostMessage<HostToSidebar>((msg) => {
  switch (msg.type) {
    case 'runs':
      onRuns(msg.runs, msg.trusted, msg.hasWorkspace, Array.isArray(msg.unreadable) ? msg.unreadable : []);
      break;
    case 'experiments':
      experimentList.set(Array.isArray(msg.experiments) ? msg.experiments : []);
      break;
    case 'details':
      if (msg.details.summary.id === selected) details.show(msg.details, trusted);
      break;
    case 'inspection':
      inspect.showResult(msg.runId, msg.tokens, msg.meanSurprisal, msg.source);
      break;
    case 'inspectionError':
      inspect.showError(msg.runId, msg.message);
      break;
  }
});

function sanitize(raw: unknown): SidebarState {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  return {
    selected: typeof r.selected === 'string' ? r.selected : undefined,
    checked: Array.isArray(r.checked) ? r.checked.filter((x): x is string => typeof x === 'string').slice(0, 50) : [],
    inspectRunId: typeof r.inspectRunId === 'string' ? r.inspectRunId : undefined,
    inspectText: typeof r.inspectText === 'string' ? r.inspectText.slice(0, 20_000) : '',
  };
}

post({ type: 'ready' });

/**
 * Entry of the forecast panel webview. Says `ready`, then draws what the host sends (checked first):
 * the series with its predictions overlaid (1-step, k-step, free-running, the Gaussian's interval
 * band), the error against k beside the naive baselines, the loss curves, and the newest gradient
 * through time. Text goes in as text nodes only.
 */
import 'uplot/dist/uPlot.min.css';
import './forecast.css';
import type uPlot from 'uplot';
import { isHostToForecastPanel, type ForecastPanelToHost, type ForecastProgress, type ForecastRecord, type HostToForecastPanel } from '../../protocol/forecast';
import { h, setText } from '../common/dom';
import { axisStyle, Plot } from '../common/plot';
import { onThemeChange, readTheme, type ChartTheme } from '../common/theme';
import { getVsCodeApi, onHostMessage, readInitialState } from '../common/vscodeApi';

const vscode = getVsCodeApi<{ runId?: string }, ForecastPanelToHost>();
const initial = readInitialState();
let runId = typeof initial.runId === 'string' ? initial.runId : undefined;
let theme = readTheme();
let progress: ForecastProgress = { losses: [], evals: [] };
let forecast: ForecastRecord | undefined;
let state = 'training';
let component = 0;
let horizon = '16'; // far enough ahead to differ from the one-step line

// ------------------------------------------------------------------ layout

const title = h('span', { class: 'fc-title', text: 'Forecast' });
const stateText = h('span', { class: 'fc-state', attrs: { 'data-testid': 'forecast-state' } });
const stopButton = h('button', { text: 'Stop', attrs: { 'data-testid': 'forecast-stop' } });
stopButton.addEventListener('click', () => runId && vscode.postMessage({ type: 'stop', runId }));
const columnSelect = h('select', { attrs: { 'aria-label': 'Component' } });
const horizonSelect = h('select', { attrs: { 'aria-label': 'k-step horizon' } });
const seriesBox = h('div', { attrs: { 'data-testid': 'forecast-series' } });
const errorBox = h('div', { attrs: { 'data-testid': 'forecast-errors' } });
const lossBox = h('div', { attrs: { 'data-testid': 'forecast-loss' } });
const gradBox = h('div', { attrs: { 'data-testid': 'forecast-gradient' } });
const errorTable = h('table', { class: 'fc-table', attrs: { 'data-testid': 'forecast-table' } });
const seriesNote = h('p', { class: 'fc-note' });
const gradNote = h('p', { class: 'fc-note' });
const lossNote = h('p', { class: 'fc-note' });

const card = (heading: string, wide: boolean, ...children: (Node | null)[]) => h('section', { class: `fc-card${wide ? ' fc-wide' : ''}` }, h('h2', { text: heading }), ...children);

document.body.appendChild(
  h(
    'div',
    { class: 'forecast-view' },
    h('div', { class: 'fc-header' }, title, stateText, stopButton),
    h('div', { class: 'fc-controls' }, h('label', { text: 'Column ' }, columnSelect), h('label', { text: 'k-step k = ' }, horizonSelect)),
    h(
      'div',
      { class: 'fc-grid' },
      card('Series and predictions (test part)', true, seriesBox, seriesNote),
      card('Test error against k (original units)', false, errorBox, errorTable),
      card('Loss', false, lossBox, lossNote),
      card('Gradient through time (newest map)', false, gradBox, gradNote),
    ),
  ),
);
columnSelect.addEventListener('change', () => {
  component = Number(columnSelect.value) || 0;
  drawSeries();
});
horizonSelect.addEventListener('change', () => {
  horizon = horizonSelect.value;
  drawSeries();
});

// ------------------------------------------------------------------ charts

const base = (t: ChartTheme, size: { width: number; height: number }, series: uPlot.Series[], opts: Partial<uPlot.Options> = {}): uPlot.Options => ({
  ...size,
  series: [{}, ...series],
  axes: [axisStyle(t), axisStyle(t)],
  legend: { show: true },
  cursor: { drag: { x: true, y: false } },
  ...opts,
  scales: { x: { time: false }, ...opts.scales },
});

const seriesPlot = new Plot(seriesBox, 300, (size) => {
  const p = theme.palette;
  const series: uPlot.Series[] = [
    { label: 'series', stroke: theme.muted, width: 1 },
    { label: '1-step', stroke: p[0], width: 1.5 },
    { label: `${horizon}-step`, stroke: p[1], width: 1.5 },
    { label: 'free-running', stroke: p[2], width: 1.5, dash: [6, 4] },
  ];
  if (forecast?.interval) series.push({ label: '95% low', stroke: p[3], width: 0.5 }, { label: '95% high', stroke: p[3], width: 0.5 });
  return base(theme, size, series, forecast?.interval ? { bands: [{ series: [6, 5], fill: `${p[3]}33` }] } : {});
});
const errorPlot = new Plot(errorBox, 220, (size) =>
  base(
    theme,
    size,
    [
      { label: 'model', stroke: theme.palette[0], width: 2, points: { show: true } },
      { label: 'last value', stroke: theme.palette[1], width: 1.5, points: { show: true } },
      { label: 'seasonal naive', stroke: theme.palette[2], width: 1.5, points: { show: true } },
    ],
    { scales: { x: { time: false, distr: 3, log: 2 }, y: { distr: 3 } } },
  ),
);
const lossPlot = new Plot(lossBox, 220, (size) =>
  base(
    theme,
    size,
    [
      { label: 'train loss', stroke: theme.palette[0], width: 1.5, spanGaps: true },
      { label: 'test 1-step MSE (normalised)', stroke: theme.palette[1], width: 2, spanGaps: true, points: { show: true } },
    ],
    { scales: { x: { time: false }, y: { distr: 3 } } },
  ),
);
const gradPlot = new Plot(gradBox, 220, (size) =>
  base(
    theme,
    size,
    [
      { label: '‖∂ℓ_last/∂h_t‖', stroke: theme.palette[0], width: 2, points: { show: true } },
      { label: '‖∂L/∂h_t‖', stroke: theme.palette[1], width: 1.5 },
    ],
    { scales: { x: { time: false }, y: { distr: 3 } } },
  ),
);

const pos = (v: number | null | undefined): number | null => (v !== null && v !== undefined && v > 0 && Number.isFinite(v) ? v : null);

function drawSeries(): void {
  if (!forecast) return;
  const f = forecast;
  const d = f.columns.length;
  const n = f.length - f.trainLength;
  // The last stretch of training for context, then the test part.
  const from = Math.max(0, f.trainLength - Math.min(n, 200));
  const xs: number[] = [];
  const cols: (number | null)[][] = [[], [], [], [], [], []];
  const k = f.kStep[horizon] ?? f.oneStep;
  for (let t = from; t < f.length; t++) {
    xs.push(t);
    const i = t - f.trainLength;
    const at = (a: number[] | undefined) => (i >= 0 && a ? a[i * d + component] : null);
    cols[0].push(f.values[t * d + component]);
    cols[1].push(at(f.oneStep));
    cols[2].push(at(k));
    cols[3].push(at(f.freeRun));
    cols[4].push(at(f.interval?.lower));
    cols[5].push(at(f.interval?.upper));
  }
  seriesPlot.rebuild();
  seriesPlot.setData([xs, ...cols.slice(0, f.interval ? 6 : 4)] as uPlot.AlignedData);
  setText(
    seriesNote,
    `Trained on the first ${f.trainLength} of ${f.length} steps (shown from ${from}); free-running from step ${f.trainLength}.${f.interval ? ` The one-step 95% interval covers ${(100 * f.interval.coverage).toFixed(1)}% of the test values.` : ''}`,
  );
}

function drawErrors(): void {
  if (!forecast) return;
  const ks = Object.keys(forecast.test_mse).sort((a, b) => Number(a) - Number(b));
  const b = forecast.baseline_mse;
  errorPlot.setData([
    ks.map(Number),
    ks.map((k) => pos(forecast!.test_mse[k])),
    ks.map((k) => pos(b.last_value[k])),
    ks.map((k) => pos(b.seasonal_naive?.[k])),
  ] as uPlot.AlignedData);
  errorTable.replaceChildren(
    h('tr', {}, ...['k', 'model', 'last value', ...(b.seasonal_naive ? ['seasonal'] : [])].map((c) => h('th', { text: c }))),
    ...ks.map((k) =>
      h(
        'tr',
        {},
        h('td', { text: k }),
        h('td', { text: forecast!.test_mse[k].toPrecision(4) }),
        h('td', { text: b.last_value[k]?.toPrecision(4) ?? '-' }),
        ...(b.seasonal_naive ? [h('td', { text: b.seasonal_naive[k]?.toPrecision(4) ?? '-' })] : []),
      ),
    ),
    h('tr', {}, h('td', { text: 'free run' }), h('td', { text: forecast.free_run_mse.toPrecision(4) })),
  );
}

function drawProgress(): void {
  const steps = [...new Set([...progress.losses.map((p) => p[0]), ...progress.evals.map((p) => p[0])])].sort((a, b) => a - b);
  const loss = new Map(progress.losses);
  const evals = new Map(progress.evals);
  if (steps.length) lossPlot.setData([steps, steps.map((s) => pos(loss.get(s))), steps.map((s) => pos(evals.get(s)))] as uPlot.AlignedData);
  setText(
    lossNote,
    steps.length
      ? `${progress.losses.length} loss points, ${progress.evals.length} test evaluations.`
      : forecast
        ? 'Solved in closed form: no training curve.'
        : 'Waiting for the first step.',
  );
  const g = progress.gradMap;
  if (g && g.last.length) {
    gradPlot.setData([g.last.map((_, t) => t + 1), g.last.map(pos), g.total.map(pos)] as uPlot.AlignedData);
    setText(gradNote, `Step ${g.step}: input step t = 1 .. ${g.last.length} of the window (oldest first).`);
  } else setText(gradNote, forecast && !progress.losses.length ? 'The linear model is solved in closed form: no training, no gradients.' : 'No gradient map yet.');
}

function fillSelects(): void {
  if (!forecast) return;
  columnSelect.replaceChildren(...forecast.columns.map((c, j) => h('option', { text: c, attrs: { value: j } })));
  columnSelect.value = String(Math.min(component, forecast.columns.length - 1));
  horizonSelect.replaceChildren(...Object.keys(forecast.kStep).map((k) => h('option', { text: k, attrs: { value: k } })));
  if (!forecast.kStep[horizon]) horizon = Object.keys(forecast.kStep)[0] ?? '1';
  horizonSelect.value = horizon;
}

function apply(msg: HostToForecastPanel): void {
  if (msg.type === 'snapshot') {
    runId = msg.runId;
    vscode.setState({ runId });
    progress = msg.progress;
    state = msg.state;
    setText(title, msg.title);
    setText(stateText, `${msg.state}${msg.reason ? `: ${msg.reason}` : ''}`);
    stopButton.hidden = state !== 'training';
    if (msg.forecast) {
      forecast = msg.forecast;
      fillSelects();
      drawSeries();
      drawErrors();
    }
  } else {
    if (msg.runId !== runId) return; // a late message of another run
    progress.losses.push(...msg.progress.losses);
    progress.evals.push(...msg.progress.evals);
    if (msg.progress.gradMap) progress.gradMap = msg.progress.gradMap;
  }
  drawProgress();
}

onHostMessage((m) => {
  if (isHostToForecastPanel(m)) apply(m);
});
onThemeChange(() => {
  theme = readTheme();
  for (const p of [seriesPlot, errorPlot, lossPlot, gradPlot]) p.rebuild();
});
setText(stateText, 'waiting for the run…');
vscode.postMessage({ type: 'ready' });

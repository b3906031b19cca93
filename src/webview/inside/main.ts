/**
 * Entry of the hidden-units panel: the inspected text with each token coloured by one unit, the unit
 * ranking, the matrix window (units x tokens, with surprisal and the model's next-token guesses) and
 * "find similar". Says `ready`; the host answers with the whole view, then with what each control asks.
 * Text from the file and the model goes in as text nodes only; colours through the CSSOM.
 */
import '../common/base.css';
import './inside.css';
import { MATRIX_WINDOW, MAX_UNITS_SHOWN, RANK_BY, type HostToInside, type InsideToHost, type RankBy, type StateKind } from '../../protocol/inside';
import { h, replaceChildren, setText } from '../common/dom';
import { getVsCodeApi, onHostMessage } from '../common/vscodeApi';
import { activationColor, surprisalColor } from './activationColor';

const vscode = getVsCodeApi<unknown, InsideToHost>();
const post = (m: InsideToHost) => vscode.postMessage(m);

const KIND_LABELS: Record<StateKind, string> = {
  h: 'h_t (hidden state)',
  c: 'c_t (memory cell)',
  i: 'i (input gate)',
  f: 'f (forget gate)',
  g: 'g (candidate)',
  o: 'o (output gate)',
  z: 'z (update gate)',
  r: 'r (reset gate)',
  n: 'n (candidate)',
};
const RANK_LABELS: Record<RankBy, string> = {
  quotes: 'inside double quotes',
  brackets: 'inside brackets',
  'line-position': 'position in the line',
  regex: 'a regular expression…',
  change: 'largest change at the selected token',
};

// ---------------------------------------------------------------- layout

const source = h('div', { class: 'source' });
const notes = h('div', { class: 'notes', attrs: { role: 'note' } });
const error = h('p', { class: 'error', attrs: { role: 'alert', hidden: true } });
const kindSelect = h('select', { attrs: { id: 'kind', 'aria-label': 'State' } });
const unitInput = h('input', { attrs: { id: 'unit', type: 'number', min: 0, value: 0, 'aria-label': 'Unit' } });
const rankSelect = h('select', { attrs: { id: 'rank-by', 'aria-label': 'Rank units by' } }, ...RANK_BY.map((r) => h('option', { attrs: { value: r }, text: RANK_LABELS[r] })));
const patternInput = h('input', { attrs: { id: 'pattern', type: 'text', placeholder: 'regular expression, e.g. \\d+', maxlength: 200, hidden: true, 'aria-label': 'Pattern' } });
const rankButton = h('button', { attrs: { id: 'rank' }, text: 'Rank units' });
const matrixButton = h('button', { attrs: { id: 'matrix-here' }, text: 'Matrix at selection' });
const similarButton = h('button', { attrs: { id: 'find-similar' }, text: 'Find similar' });
const selectionInfo = h('span', { class: 'muted', attrs: { id: 'selection' } });
const unitInfo = h('span', { class: 'muted', attrs: { id: 'unit-info' } });
const ranking = h('div', { class: 'ranking', attrs: { id: 'ranking' } });
const rankingTitle = h('h2', { text: 'Units' });
const textView = h('div', { class: 'text', attrs: { id: 'text', role: 'document' } });
const matrixView = h('div', { class: 'matrix', attrs: { id: 'matrix' } });
const similarView = h('div', { class: 'similar', attrs: { id: 'similar' } });

replaceChildren(
  document.getElementById('app')!,
  h('header', {}, source, notes, error),
  h(
    'div',
    { class: 'controls' },
    h('label', {}, 'State ', kindSelect),
    h('label', {}, 'Unit ', unitInput),
    unitInfo,
    h('label', {}, 'Rank by ', rankSelect),
    patternInput,
    rankButton,
  ),
  h(
    'div',
    { class: 'columns' },
    h('section', { class: 'side' }, rankingTitle, ranking),
    h(
      'section',
      { class: 'main' },
      h('div', { class: 'controls' }, matrixButton, similarButton, selectionInfo),
      h('p', { class: 'muted', text: 'Click a token to select it, shift-click to extend the selection. Tick units in the list for "Find similar".' }),
      textView,
      h('h2', { text: 'Matrix: units × tokens' }),
      matrixView,
      h('h2', { text: 'Similar spans' }),
      similarView,
    ),
  ),
);

// ---------------------------------------------------------------- state

let spans: HTMLSpanElement[] = [];
let selStart = 0;
let selEnd = 0;
const ticked = new Set<number>();

function showError(message: string | undefined): void {
  error.hidden = !message;
  setText(error, message ?? '');
}

function select(start: number, end: number): void {
  for (let t = Math.min(selStart, selEnd); t <= Math.max(selStart, selEnd); t++) spans[t]?.classList.remove('sel');
  selStart = start;
  selEnd = end;
  const [a, b] = [Math.min(start, end), Math.max(start, end)];
  for (let t = a; t <= b; t++) spans[t]?.classList.add('sel');
  setText(selectionInfo, `selected tokens ${a}–${b}`);
}

// ---------------------------------------------------------------- rendering

function renderTrace(m: Extract<HostToInside, { type: 'trace' }>): void {
  setText(source, m.source);
  replaceChildren(notes, ...m.notes.map((n) => h('p', { class: 'note', text: n })));
  replaceChildren(kindSelect, ...m.kinds.map((k) => h('option', { attrs: { value: k }, text: KIND_LABELS[k] })));
  unitInput.max = String(m.hidden - 1);
  const unknown = new Set(m.unknown);
  const frag = document.createDocumentFragment();
  spans = [];
  let at = 0;
  m.offsets.forEach((start, t) => {
    if (start > at) frag.append(document.createTextNode(m.text.slice(at, start)));
    const end = t + 1 < m.offsets.length ? m.offsets[t + 1] : m.text.length;
    // Word tokens: the whitespace after a token is shown as it is, outside its span.
    const raw = m.text.slice(start, end);
    const tokenText = raw.trim() ? raw.trimEnd() : raw;
    const span = h('span', { class: unknown.has(t) ? 'tok unk' : 'tok', attrs: { 'data-index': t }, text: tokenText });
    if (unknown.has(t)) span.title = 'not in the model’s vocabulary: read as <unk>';
    spans.push(span);
    frag.append(span);
    at = start + tokenText.length;
  });
  if (at < m.text.length) frag.append(document.createTextNode(m.text.slice(at)));
  replaceChildren(textView, frag);
  replaceChildren(similarView);
  selStart = selEnd = 0;
  setText(selectionInfo, '');
}

function renderUnit(m: Extract<HostToInside, { type: 'unit' }>): void {
  kindSelect.value = m.kind;
  unitInput.value = String(m.unit);
  setText(unitInfo, `largest |${m.kind}| ${m.scale.toPrecision(3)}`);
  textView.setAttribute('data-unit', String(m.unit));
  textView.setAttribute('data-kind', m.kind);
  m.values.forEach((v, t) => {
    const span = spans[t];
    if (!span) return;
    span.style.backgroundColor = activationColor(v);
    span.setAttribute('data-value', String(v));
  });
}

function renderRanking(m: Extract<HostToInside, { type: 'ranking' }>): void {
  setText(rankingTitle, m.title);
  ticked.clear();
  replaceChildren(
    ranking,
    ...m.units.map((r, i) => {
      const box = h('input', { attrs: { type: 'checkbox', 'aria-label': `use unit ${r.unit} for find similar` } });
      box.checked = i < 3;
      if (box.checked) ticked.add(r.unit);
      box.addEventListener('change', () => (box.checked ? ticked.add(r.unit) : ticked.delete(r.unit)));
      const pick = h('button', { class: 'link', attrs: { 'data-unit': r.unit }, text: `unit ${r.unit}` });
      pick.addEventListener('click', () => post({ type: 'selectUnit', unit: r.unit }));
      return h('div', { class: 'rank-row' }, box, pick, h('span', { class: 'score', text: r.score.toFixed(3) }));
    }),
  );
}

function renderMatrix(m: Extract<HostToInside, { type: 'matrix' }>): void {
  const table = h('table', {});
  table.append(
    h('tr', {}, h('th', { text: `${m.kind} \\ tokens ${m.start}–${m.start + m.tokens.length - 1}` }), ...m.tokens.map((t) => h('th', { class: 'tokcell', text: visible(t) }))),
  );
  m.units.forEach((u, i) => {
    const row = h('tr', {}, h('th', { text: `unit ${u}` }));
    m.values[i].forEach((v) => {
      const cell = h('td', { attrs: { 'data-value': v }, text: '' });
      cell.style.backgroundColor = activationColor(v);
      cell.title = v.toFixed(3);
      row.append(cell);
    });
    table.append(row);
  });
  const surprisal = h('tr', {}, h('th', { text: 'surprisal (nats)' }));
  m.surprisal.forEach((s) => {
    const cell = h('td', { class: 'num', text: s.toFixed(1) });
    cell.style.backgroundColor = surprisalColor(s);
    surprisal.append(cell);
  });
  table.append(surprisal);
  const top = h('tr', {}, h('th', { text: 'next: top guesses' }));
  m.top.forEach((guesses) => top.append(h('td', { class: 'guess', text: guesses.map((g) => `${visible(g.token)} ${(100 * g.p).toFixed(0)}%`).join('\n') })));
  table.append(top);
  const nav = h(
    'div',
    { class: 'controls' },
    navButton('◀ earlier', Math.max(0, m.start - MATRIX_WINDOW)),
    navButton('later ▶', m.start + MATRIX_WINDOW),
    h('span', { class: 'muted', text: `up to ${MAX_UNITS_SHOWN} units: the ranking's first` }),
  );
  replaceChildren(matrixView, nav, h('div', { class: 'scroll' }, table));
}

function navButton(label: string, start: number): HTMLButtonElement {
  const b = h('button', { text: label });
  b.addEventListener('click', () => post({ type: 'matrix', start }));
  return b;
}

function renderSimilar(m: Extract<HostToInside, { type: 'similar' }>): void {
  replaceChildren(
    similarView,
    h('p', { class: 'muted', text: m.message }),
    h(
      'ol',
      {},
      ...m.matches.map((s) => {
        const link = h('a', { attrs: { href: '#', 'data-start': s.start, 'data-end': s.end }, text: s.label });
        link.addEventListener('click', (e) => {
          e.preventDefault();
          post({ type: 'reveal', start: s.start, end: s.end - 1 });
        });
        return h('li', {}, link);
      }),
    ),
  );
}

/** Whitespace tokens made visible in the matrix. */
function visible(token: string): string {
  return token === '\n' ? '⏎' : token === ' ' ? '␣' : token;
}

// ---------------------------------------------------------------- events

textView.addEventListener('click', (e) => {
  const index = (e.target as HTMLElement).closest('.tok')?.getAttribute('data-index');
  if (index === null || index === undefined) return;
  const t = Number(index);
  select(e.shiftKey ? selStart : t, t);
});
kindSelect.addEventListener('change', () => post({ type: 'selectKind', kind: kindSelect.value as StateKind }));
unitInput.addEventListener('change', () => {
  const u = Number(unitInput.value);
  if (Number.isInteger(u) && u >= 0) post({ type: 'selectUnit', unit: u });
});
rankSelect.addEventListener('change', () => (patternInput.hidden = rankSelect.value !== 'regex'));
rankButton.addEventListener('click', () => {
  showError(undefined);
  const by = rankSelect.value as RankBy;
  post({ type: 'rank', by, ...(by === 'regex' ? { pattern: patternInput.value } : {}), ...(by === 'change' ? { token: Math.min(selStart, selEnd) } : {}) });
});
matrixButton.addEventListener('click', () => post({ type: 'matrix', start: Math.min(selStart, selEnd) }));
similarButton.addEventListener('click', () => {
  showError(undefined);
  post({ type: 'findSimilar', start: Math.min(selStart, selEnd), end: Math.max(selStart, selEnd), units: [...ticked].slice(0, MAX_UNITS_SHOWN) });
});

onHostMessage<HostToInside>((m) => {
  switch (m.type) {
    case 'trace':
      return renderTrace(m);
    case 'unit':
      return renderUnit(m);
    case 'ranking':
      return renderRanking(m);
    case 'matrix':
      return renderMatrix(m);
    case 'similar':
      return renderSimilar(m);
    case 'error':
      return showError(m.message);
  }
});

post({ type: 'ready' });

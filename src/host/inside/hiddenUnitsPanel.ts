/**
 * The hidden-units panel: the inspected text coloured by one unit, the unit ranking, the matrix window
 * and "find similar". The host holds the trace (TraceSession) and answers the page's questions; the
 * page says `ready` whenever it is (re)built and gets the whole current view again.
 */
import * as vscode from 'vscode';
import { isInsideToHost, MAX_UNITS_SHOWN, type HostToInside, type InsideToHost, type RankBy, type StateKind } from '../../protocol/inside';
import { Disposable } from '../base/dispose';
import { errorText, guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import { getWebviewHtml, webviewOptions } from '../views/webviewHtml';
import { revealRange, type InsideSource } from './insideSource';
import { builtinSignal, rankingTitle, traceNotes, type TraceSession } from './traceSession';

export interface Inspection {
  session: TraceSession;
  source: InsideSource;
  runName: string;
  /** Runs the user's pattern in the utility worker: 0/1 per token. */
  patternSignal(pattern: string): Promise<readonly number[]>;
}

export class HiddenUnitsPanel extends Disposable {
  private ready = false;
  private kind: StateKind = 'h';
  private unit = 0;
  private ranking: Extract<HostToInside, { type: 'ranking' }> | undefined;
  private matrixStart = 0;
  private similar: HostToInside | undefined;
  private disposed = false;

  constructor(
    readonly panel: vscode.WebviewPanel,
    private inspection: Inspection,
    extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {
    super();
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.options = webviewOptions(extensionUri);
    panel.webview.html = getWebviewHtml(panel.webview, extensionUri, { kind: 'inside', title: 'Hidden units' });
    this._register(panel.webview.onDidReceiveMessage((msg: unknown) => guarded(this.log, '[inside] panel message', () => this.onMessage(msg))));
    this._register(panel.onDidChangeViewState(() => !panel.visible && (this.ready = false)));
    this._register(panel.onDidDispose(() => this.dispose()));
    this.reset();
  }

  get isClosed(): boolean {
    return this.disposed;
  }

  /** Shows a new inspection in this panel. */
  show(inspection: Inspection): void {
    this.inspection = inspection;
    this.reset();
    this.panel.title = `Hidden units: ${inspection.runName}`;
    this.panel.reveal(undefined, false);
    if (this.ready) this.sendAll();
  }

  /** What the panel shows now (for the command's result and the tests). */
  get view() {
    return { kind: this.kind, unit: this.unit, ranking: this.ranking };
  }

  private reset(): void {
    const { session } = this.inspection;
    this.kind = 'h';
    this.similar = undefined;
    this.matrixStart = 0;
    const units = session.rankBySignal('h', builtinSignal('quotes', session.trace));
    this.ranking = { type: 'ranking', title: rankingTitle('quotes', 'h'), units };
    this.unit = units[0]?.unit ?? 0;
  }

  private post(msg: HostToInside): void {
    if (this.ready) void this.panel.webview.postMessage(msg);
  }

  private sendAll(): void {
    const { session, source } = this.inspection;
    const t = session.trace;
    this.post({
      type: 'trace',
      source: `${this.inspection.runName} · ${source.label}`,
      notes: traceNotes(t, source.cut, source.size),
      text: t.text,
      offsets: t.offsets,
      unknown: t.unknown,
      kinds: session.kinds,
      hidden: t.hidden,
      cell: t.cell,
    });
    this.post(session.unitMessage(this.kind, this.unit));
    if (this.ranking) this.post(this.ranking);
    this.post(this.matrix());
    if (this.similar) this.post(this.similar);
  }

  private matrix(): HostToInside {
    const units = (this.ranking?.units ?? []).map((r) => r.unit).slice(0, MAX_UNITS_SHOWN);
    if (!units.includes(this.unit)) units.unshift(this.unit);
    return this.inspection.session.matrix(this.kind, this.matrixStart, units.slice(0, MAX_UNITS_SHOWN));
  }

  private async onMessage(msg: unknown): Promise<void> {
    if (!isInsideToHost(msg)) {
      this.log.warn('[inside] ignored a malformed message from the hidden-units panel');
      return;
    }
    const { session, source } = this.inspection;
    const m: InsideToHost = msg;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendAll();
        return;
      case 'selectKind':
        if (!session.kinds.includes(m.kind)) return;
        this.kind = m.kind;
        this.post(session.unitMessage(this.kind, this.unit));
        this.post(this.matrix());
        return;
      case 'selectUnit':
        if (m.unit >= session.H) return;
        this.unit = m.unit;
        this.post(session.unitMessage(this.kind, this.unit));
        this.post(this.matrix());
        return;
      case 'rank':
        await this.rank(m.by, m.pattern, m.token);
        return;
      case 'matrix':
        this.matrixStart = Math.min(m.start, session.T - 1);
        this.post(this.matrix());
        return;
      case 'findSimilar': {
        const span = session.span(m.start, m.end);
        if (!span || m.units.some((u) => u >= session.H)) return this.post({ type: 'error', message: 'That selection or unit is outside the inspected text.' });
        if (!m.units.length) return this.post({ type: 'error', message: 'Choose at least one unit first (tick units in the ranking).' });
        this.similar = session.similar(this.kind, span.start, span.end, m.units);
        this.post(this.similar);
        return;
      }
      case 'reveal': {
        const span = session.span(m.start, m.end);
        const range = span && session.textRange(span.start, span.end);
        if (!range || !(await revealRange(source, range.from, range.to)))
          this.post({ type: 'error', message: 'That span cannot be shown: it is outside the inspected document, or the document changed.' });
        return;
      }
    }
  }

  private async rank(by: RankBy, pattern: string | undefined, token: number | undefined): Promise<void> {
    const { session } = this.inspection;
    try {
      let units;
      let detail: string | undefined;
      if (by === 'change') {
        const t = Math.min(token ?? 0, session.T - 1);
        units = session.rankByChange(this.kind, t);
        detail = `${t} («${session.trace.text.slice(session.trace.offsets[t], session.trace.offsets[t + 1] ?? session.trace.text.length).trim() || ' '}»)`;
      } else if (by === 'regex') {
        if (!pattern) return this.post({ type: 'error', message: 'Type a regular expression first.' });
        try {
          new RegExp(pattern); // compiling is cheap and safe; running it happens in the worker
        } catch (e) {
          return this.post({ type: 'error', message: `That is not a regular expression: ${errorText(e)}` });
        }
        units = session.rankBySignal(this.kind, await this.inspection.patternSignal(pattern));
        detail = pattern;
      } else {
        units = session.rankBySignal(this.kind, builtinSignal(by, session.trace));
      }
      this.ranking = { type: 'ranking', title: rankingTitle(by, this.kind, detail), units };
      this.post(this.ranking);
      this.post(this.matrix());
    } catch (e) {
      this.post({ type: 'error', message: `Ranking failed: ${errorText(e)}` });
    }
  }

  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.panel.dispose();
    super.dispose();
  }
}

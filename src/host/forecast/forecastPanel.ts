/**
 * The forecast panel's host side: one webview per forecast run. It keeps what the run reported
 * (losses, test errors, the newest gradient map, then the forecast) and sends a snapshot on the
 * webview's `ready` and whenever the state changes, deltas at most every quarter second between.
 */
import * as vscode from 'vscode';
import { isForecastPanelMessage, type ForecastPanelState, type ForecastProgress, type ForecastRecord, type HostToForecastPanel } from '../../protocol/forecast';
import { Disposable } from '../base/dispose';
import { guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import { getWebviewHtml, webviewOptions } from '../views/webviewHtml';

export const FORECAST_PANEL_VIEW_TYPE = 'sequenceLab.forecastPanel';
/** Loss points kept for the chart: older ones are thinned to every other point beyond this. */
const MAX_LOSSES = 5000;

export class ForecastPanel extends Disposable {
  private readonly panel: vscode.WebviewPanel;
  private state: ForecastPanelState = 'training';
  private reason: string | undefined;
  private readonly progress: ForecastProgress = { losses: [], evals: [] };
  private pending: ForecastProgress = { losses: [], evals: [] };
  private forecast: ForecastRecord | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  onStop: (() => void) | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly log: Logger,
    readonly runId: string,
    private readonly title: string,
  ) {
    super();
    this.panel = this._register(vscode.window.createWebviewPanel(FORECAST_PANEL_VIEW_TYPE, `Forecast: ${title}`, vscode.ViewColumn.Active, webviewOptions(extensionUri)));
    this.panel.webview.html = getWebviewHtml(this.panel.webview, extensionUri, { kind: 'forecast', title: `Forecast: ${title}`, state: { runId } });
    this._register(
      this.panel.webview.onDidReceiveMessage((raw: unknown) =>
        guarded(this.log, 'forecast panel message', () => {
          if (!isForecastPanelMessage(raw)) return this.log.warn('[forecast panel] dropped a malformed message');
          if (raw.type === 'ready') {
            this.ready = true;
            this.sendSnapshot();
          } else if (raw.runId === this.runId) this.onStop?.();
        }),
      ),
    );
    this._register(this.panel.onDidDispose(() => this.dispose()));
    this._register({ dispose: () => clearTimeout(this.timer) });
  }

  get onDidDispose(): vscode.Event<void> {
    return this.panel.onDidDispose;
  }

  reveal(): void {
    this.panel.reveal();
  }

  addProgress(delta: Partial<ForecastProgress>): void {
    for (const key of ['losses', 'evals'] as const) {
      const add = delta[key] ?? [];
      this.progress[key].push(...add);
      this.pending[key].push(...add);
    }
    if (this.progress.losses.length > MAX_LOSSES) this.progress.losses = this.progress.losses.filter((_, i) => i % 2 === 0 || i === this.progress.losses.length - 1);
    if (delta.gradMap) this.progress.gradMap = this.pending.gradMap = delta.gradMap;
    if (!this.timer && this.ready)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.post({ type: 'progress', runId: this.runId, progress: this.pending });
        this.pending = { losses: [], evals: [] };
      }, 250);
  }

  setState(state: ForecastPanelState, reason?: string, forecast?: ForecastRecord): void {
    this.state = state;
    this.reason = reason;
    if (forecast) this.forecast = forecast;
    this.sendSnapshot();
  }

  private sendSnapshot(): void {
    if (!this.ready) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = { losses: [], evals: [] };
    this.post({
      type: 'snapshot',
      runId: this.runId,
      title: this.title,
      state: this.state,
      ...(this.reason ? { reason: this.reason } : {}),
      progress: this.progress,
      ...(this.forecast ? { forecast: this.forecast } : {}),
    });
  }

  private post(msg: HostToForecastPanel): void {
    if (this.isDisposed) return;
    void this.panel.webview.postMessage(msg).then(undefined, (e: Error) => this.log.warn(`[forecast panel] post failed: ${e.message}`));
  }
}

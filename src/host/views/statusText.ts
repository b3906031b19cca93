/**
 * Short texts about a run for the status bar and pickers. Pure, so they are unit-tested in Node.
 */
import type { CellType, MetricPoint, RunSummary } from '../../protocol/types';

/** Summaries come from checked run.json files; a value that is still not a cell reads as "?" rather than throwing. */
export function cellLabel(cell: CellType): string {
  if (typeof cell !== 'string') return '?';
  return cell === 'window' ? 'Window MLP' : cell.toUpperCase();
}

/** "LSTM-128", "GRU-256 x2", "Window MLP-128". */
export function modelLabel(s: Pick<RunSummary, 'cell' | 'hidden' | 'layers'>): string {
  return `${cellLabel(s.cell)}-${s.hidden}${s.layers > 1 && s.cell !== 'window' ? ` x${s.layers}` : ''}`;
}

/** 4100 -> "4.1k", 950 -> "950", 12345 -> "12k". */
export function formatRate(tokensPerSec: number): string {
  if (!Number.isFinite(tokensPerSec)) return '-';
  if (tokensPerSec >= 10_000) return `${Math.round(tokensPerSec / 1000)}k`;
  if (tokensPerSec >= 1000) return `${(tokensPerSec / 1000).toFixed(1)}k`;
  return `${Math.round(tokensPerSec)}`;
}

export function formatLoss(loss: number | undefined): string {
  return loss === undefined ? '-' : Number.isFinite(loss) ? loss.toFixed(2) : String(loss);
}

/** 0 -> "0s", 65_000 -> "1m 05s", 3_700_000 -> "1h 01m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * The status bar text of the live run, e.g. "$(pulse) LSTM step 120/1000 · loss 1.93 · 4.1k tok/s".
 * `$(...)` are codicons, rendered by the status bar.
 */
export function statusBarText(summary: RunSummary, last: MetricPoint | undefined, queued: number, phase?: string): string {
  const model = cellLabel(summary.cell);
  const more = queued > 0 ? ` · ${queued} queued` : '';
  switch (summary.state) {
    case 'queued':
    case 'starting':
      return `$(sync~spin) ${model} starting${phase ? `: ${phase}` : ''}${more}`;
    case 'paused':
      return `$(debug-pause) ${model} paused at step ${summary.step}/${summary.steps}${more}`;
    case 'training':
      return `$(pulse) ${model} step ${summary.step}/${summary.steps} · loss ${formatLoss(last?.loss ?? summary.lastLoss)}${last ? ` · ${formatRate(last.tokensPerSec)} tok/s` : ''}${more}`;
    default:
      return `$(check) ${model} ${summary.state} at step ${summary.step}/${summary.steps}${more}`;
  }
}

/** One line describing a run in a quick pick. */
export function runDescription(s: RunSummary): string {
  const best = s.bestValLoss !== undefined ? ` · val ${formatLoss(s.bestValLoss)}` : '';
  return `${modelLabel(s)} · ${s.level} · ${s.state} · step ${s.step}/${s.steps}${best}`;
}

/**
 * The panel's view preferences (smoothing, axis modes, heatmap layer and quantity), kept in the webview state so
 * they survive the panel being hidden or the window reloading. Whatever comes back from storage is
 * checked field by field: an older version may have stored another shape. Pure.
 */
import type { GradQuantity } from './gradQuantity';
import type { SecondaryAxis } from './scale';

export type CompareUnit = 'nats' | 'bpc';

export interface PanelPrefs {
  /** EMA weight of the smoothed training curve, 0 (raw) to 0.99. */
  readonly smoothing: number;
  readonly secondary: SecondaryAxis;
  readonly xLog: boolean;
  /** Heatmap layer (0-based). */
  readonly layer: number;
  /** Gradient shown in the heatmap and profile: the last prediction's or the whole window's. */
  readonly gradQuantity: GradQuantity;
  readonly compareUnit: CompareUnit;
}

export const DEFAULT_PREFS: PanelPrefs = { smoothing: 0.9, secondary: 'perplexity', xLog: false, layer: 0, gradQuantity: 'last', compareUnit: 'nats' };

export const MAX_SMOOTHING = 0.99;

export function sanitizePrefs(raw: unknown): PanelPrefs {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const d = DEFAULT_PREFS;
  return {
    smoothing: typeof r.smoothing === 'number' && r.smoothing >= 0 && r.smoothing <= MAX_SMOOTHING ? r.smoothing : d.smoothing,
    secondary: r.secondary === 'perplexity' || r.secondary === 'bpc' ? r.secondary : d.secondary,
    xLog: typeof r.xLog === 'boolean' ? r.xLog : d.xLog,
    layer: Number.isInteger(r.layer) && (r.layer as number) >= 0 && (r.layer as number) < 64 ? (r.layer as number) : d.layer,
    gradQuantity: r.gradQuantity === 'last' || r.gradQuantity === 'total' ? r.gradQuantity : d.gradQuantity,
    compareUnit: r.compareUnit === 'nats' || r.compareUnit === 'bpc' ? r.compareUnit : d.compareUnit,
  };
}

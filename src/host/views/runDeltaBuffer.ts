/**
 * Gathers what a live run adds (metric points, evaluations, gradient maps, samples) between two
 * messages to a panel, so that the panel gets one message per batch instead of one per event.
 */
import type { RunDeltas } from '../../protocol/panel';
import type { EvalPoint, GradMap, MetricPoint, SampleRecord } from '../../protocol/types';
import type { RunEvent } from '../runs/runEvents';

export class RunDeltaBuffer {
  private metrics: MetricPoint[] = [];
  private evals: EvalPoint[] = [];
  private gradMaps: GradMap[] = [];
  private samples: SampleRecord[] = [];

  /** Keeps a delta event; false (and nothing kept) for events that are not deltas. */
  add(e: RunEvent): boolean {
    switch (e.kind) {
      case 'metrics':
        this.metrics.push(e.point);
        return true;
      case 'eval':
        this.evals.push(e.point);
        return true;
      case 'gradmap':
        this.gradMaps.push(e.map);
        return true;
      case 'sample':
        this.samples.push(e.sample);
        return true;
      default:
        return false;
    }
  }

  get isEmpty(): boolean {
    return !this.metrics.length && !this.evals.length && !this.gradMaps.length && !this.samples.length;
  }

  /** What was gathered since the last take (undefined if nothing), and a fresh start. */
  take(): RunDeltas | undefined {
    if (this.isEmpty) return undefined;
    const deltas: RunDeltas = { metrics: this.metrics, evals: this.evals, gradMaps: this.gradMaps, samples: this.samples };
    this.clear();
    return deltas;
  }

  clear(): void {
    this.metrics = [];
    this.evals = [];
    this.gradMaps = [];
    this.samples = [];
  }
}

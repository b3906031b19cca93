/**
 * Waiting for one run of the run manager to end, following its state on the way: the experiment
 * runner records each state in experiment.json. No `vscode` import.
 */
import type { RunState } from '../../protocol/types';
import { guarded } from '../base/guarded';
import type { Logger } from '../base/logger';
import type { RunManager } from '../runs/runManager';

/** Run states in which a run is still queued or training. */
export const LIVE_STATES: readonly RunState[] = ['queued', 'starting', 'training', 'paused'];

/**
 * Resolves with the run's final state once it is no longer queued or training; `onState` hears each
 * state while it is. Resolves undefined when its entry in `waits` is called (the runner is disposed).
 */
export function waitForRunEnd(manager: RunManager, runId: string, waits: Set<() => void>, log: Logger, onState: (state: RunState) => void): Promise<RunState | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (state: RunState | undefined) => {
      if (settled) return;
      settled = true;
      sub.dispose();
      waits.delete(end);
      resolve(state);
    };
    const end = () => finish(undefined);
    const check = () => {
      if (settled) return;
      const state = manager.getRecord(runId)?.state;
      if (manager.isLive(runId)) {
        if (state) onState(state);
        return;
      }
      // A record still saying "training" once the run left the queue was cut short.
      finish(state === undefined ? 'failed' : LIVE_STATES.includes(state) ? 'interrupted' : state);
    };
    waits.add(end);
    const sub = manager.onDidChangeRuns(() => guarded(log, `experiment: watching run ${runId}`, check));
    check();
  });
}

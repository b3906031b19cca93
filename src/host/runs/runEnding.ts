/**
 * How a training run ends once its worker has exited: the final state and reason in words, from what
 * the worker said before it went (finished, failed, stopped, killed or crashed), and the run.json that
 * tells that story (the host owns run.json again once the worker is gone).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '../../core/runFiles';
import type { CheckpointRef, FinishReason, RunState } from '../../protocol/types';
import type { NoticeAction } from './runEvents';
import { errorText } from '../base/guarded';
import type { Logger } from '../base/logger';
import { patchRunRecord } from './runStore';
import { readRunHistoryAsync } from './runListing';
import { describeExit, type WorkerExit } from './workerProcess';

/** What the active run knew when its worker exited. */
export interface EndFacts {
  readonly name: string;
  readonly started: boolean;
  readonly stopRequested: boolean;
  readonly killedHung: boolean;
  readonly finished?: { state: FinishReason; message: string };
  readonly failure?: { message: string; hint?: string };
  /** A resume declined because the text changed: the run returns to this state. */
  readonly textChanged?: { state: RunState; reason?: string };
  readonly stopTimeoutMs: number;
  readonly checkpoint?: CheckpointRef;
}

export interface Ending {
  state: RunState;
  reason: string | undefined;
  /** An error to tell the user (a crash, a failure before training started). */
  notice?: { message: string; actions: NoticeAction[] };
}

export function endingOf(facts: EndFacts, exit: WorkerExit): Ending {
  const { checkpoint } = facts;
  if (facts.textChanged) return { state: facts.textChanged.state, reason: facts.textChanged.reason };
  if (facts.finished) return { state: facts.finished.state, reason: facts.finished.message };
  if (facts.failure) {
    const reason = facts.failure.hint ? `${facts.failure.message} ${facts.failure.hint}` : facts.failure.message;
    return { state: 'failed', reason, ...(facts.started ? {} : { notice: { message: reason, actions: ['showLog'] } }) };
  }
  if (facts.killedHung) {
    const next = checkpoint ? `Resume continues from the checkpoint at step ${checkpoint.step}.` : 'It had written no checkpoint; resuming starts it again from step 0.';
    return { state: 'stopped', reason: `Stopped: the training process stopped responding and was killed. ${next}` };
  }
  if (facts.stopRequested) {
    return {
      state: 'stopped',
      reason: facts.started
        ? `Stopped. The training process did not finish within ${Math.round(facts.stopTimeoutMs / 1000)} s and was ended${checkpoint ? `; the checkpoint at step ${checkpoint.step} is kept` : ''}.`
        : 'Stopped before training started.',
    };
  }
  const reason = `The training process ${describeExit(exit)}.${lastLines(exit.stderrTail)}`;
  const next = checkpoint ? ` Resume continues from the checkpoint at step ${checkpoint.step}.` : ' It had written no checkpoint yet; resuming starts it again from step 0.';
  return { state: 'failed', reason, notice: { message: `Training of ${facts.name} failed: ${reason}${next}`, actions: ['resume', 'showLog'] } };
}

/**
 * Records how the run ended, in run.json and for memory: the record to keep. Whatever breaks (a full
 * disk, a run.json the host cannot use), it does not throw: the run ends failed, saying why, and the
 * queue goes on.
 */
export async function recordEnding(runId: string, dir: string, memory: RunRecord, ending: Ending, log: Logger): Promise<Partial<RunRecord>> {
  const { state, reason } = ending;
  try {
    log.info(`run ${runId}: ${state}${reason ? `: ${reason}` : ''}`);
    const final = await writeFinalRecord(dir, memory, state, reason);
    if (!final) log.warn(`run ${runId}: run.json is missing after the worker exited (folder deleted?)`);
    return final ?? { state, reason };
  } catch (e) {
    log.error(`run ${runId}: worker exit: could not record the final state: ${e instanceof Error && e.stack ? e.stack : errorText(e)}`);
    const failed = { state: 'failed' as const, reason: `${reason ?? 'The run ended.'} Its final state could not be saved (${errorText(e)}).` };
    try {
      patchRunRecord(dir, failed);
    } catch {
      // Logged above; memory tells the story for this session.
    }
    return failed;
  }
}

/**
 * Makes run.json tell the final story; returns the record written (or found right), undefined when
 * run.json is gone (the folder deleted). Throws when it cannot write: the caller ends the run anyway.
 */
export async function writeFinalRecord(dir: string, memory: RunRecord, state: RunState, reason: string | undefined): Promise<RunRecord | undefined> {
  const disk = (await readRunHistoryAsync(dir))?.record;
  if (!disk) return undefined;
  // Those on disk: the worker prunes old ones, and a message about the last pruning may be lost with it.
  const checkpoints = mergeCheckpoints(disk.checkpoints, memory.checkpoints).filter((c) => fs.existsSync(path.join(dir, c.path)));
  const needsWrite = disk.state !== state || disk.reason !== reason || checkpoints.length !== disk.checkpoints.length;
  if (!needsWrite) return disk;
  return patchRunRecord(dir, {
    state,
    reason,
    checkpoints,
    info: disk.info ?? memory.info,
    step: Math.max(disk.step, memory.step),
    lastLoss: memory.lastLoss ?? disk.lastLoss,
    bestValLoss: disk.bestValLoss ?? memory.bestValLoss,
  });
}

function mergeCheckpoints(a: readonly CheckpointRef[], b: readonly CheckpointRef[]): CheckpointRef[] {
  const byPath = new Map<string, CheckpointRef>();
  for (const list of [a ?? [], b ?? []]) for (const c of list) byPath.set(c.path, c);
  return [...byPath.values()].sort((x, y) => x.step - y.step);
}

function lastLines(tail: readonly string[]): string {
  const lines = tail
    .slice(-3)
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.length ? ` Last output: ${lines.join(' | ').slice(0, 600)}` : '';
}

/**
 * Runs that outlive a window. Every live run's folder holds a lock (host.lock) naming this extension
 * host and the run's worker, rewritten every minute; after a reload or crash, runs that run.json still
 * calls live but that no window trains are marked `interrupted` so they can be resumed. The lock tells
 * those from runs another VS Code window is training, and from a previous session's worker that is
 * still writing its last checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WORKER_ERROR_LOG, type RunRecord } from '../../core/runFiles';
import type { RunState } from '../../protocol/types';
import { Disposable } from '../base/dispose';
import type { Logger } from '../base/logger';
import { runDirProblem } from './runPaths';
import { latestCheckpoint, patchRunRecord } from './runStore';
import { isProcessAlive, readRunLock, removeRunLock, writeRunLock } from './runLock';

/** A run whose orphaned worker is still finishing after a reload is checked again after this long. */
const ORPHAN_RECHECK_MS = 15_000;
const ORPHAN_MAX_AGE_MS = 3 * 60_000;
/** Live runs' locks are rewritten this often; a lock not rewritten for ORPHAN_MAX_AGE_MS is stale. */
const LOCK_HEARTBEAT_MS = 60_000;

const LIVE_STATES: readonly RunState[] = ['queued', 'starting', 'training', 'paused'];

/**
 * Whether recovery may write: false in Restricted Mode (an untrusted workspace), where Sequence Lab
 * writes nothing into the workspace's run folders. The extension sets it from workspace trust; the
 * command line and unit tests leave it writable.
 */
let mayWrite: () => boolean = () => true;
export function setRecoveryMayWrite(check: () => boolean): void {
  mayWrite = check;
}

/** Writes (or rewrites) a live run's lock: this extension host holds it, and `workerPid` trains it. */
export function lockRun(dir: string, workerPid?: number): void {
  writeRunLock(dir, { hostPid: process.pid, workerPid, since: new Date().toISOString() });
}

/** What recovery needs from the run manager. */
export interface RecoveryHost {
  readonly log: Logger;
  /** Re-reads the runs folders. */
  refresh(): Promise<void>;
  /** Every run the manager knows, with its folder. */
  runs(): { dir: string; record: RunRecord }[];
  isLive(runId: string): boolean;
  /** The live runs' folders (the training one first, with its worker's pid). */
  liveLocks(): { dir: string; workerPid?: number }[];
  /** A run's record as recovery rewrote it. */
  remember(runId: string, dir: string, record: RunRecord): void;
  /** Some runs were marked interrupted. */
  didChangeRuns(): void;
}

export class RunRecovery extends Disposable {
  private orphanTimer: NodeJS.Timeout | undefined;

  constructor(private readonly host: RecoveryHost) {
    super();
    // Another window on the same folder tells a live run from an orphan by how fresh its lock is.
    const heartbeat = setInterval(() => this.touchLocks(), LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    this._register({ dispose: () => clearInterval(heartbeat) });
  }

  private touchLocks(): void {
    for (const { dir, workerPid } of this.host.liveLocks()) lockRun(dir, workerPid);
  }

  /**
   * Runs found queued, starting, training or paused with no live worker here were interrupted (a
   * reload or crash of VS Code). Marks them `interrupted` (resumable), unless another live VS Code
   * window holds them.
   */
  async recoverInterrupted(): Promise<string[]> {
    const { log } = this.host;
    await this.host.refresh();
    const recovered: string[] = [];
    if (!mayWrite()) {
      log.info('Restricted Mode: runs left live by a reload are not marked interrupted until the workspace is trusted');
      return recovered;
    }
    for (const { dir, record } of this.host.runs()) {
      if (!LIVE_STATES.includes(record.state) || this.host.isLive(record.id)) continue;
      const refused = runDirProblem(dir);
      if (refused) {
        log.warn(`run ${record.id}: not recovered: ${refused}`);
        continue;
      }
      const lock = readRunLock(dir);
      const fresh = lock !== undefined && Date.now() - Date.parse(lock.since) < ORPHAN_MAX_AGE_MS;
      if (lock && fresh && lock.hostPid !== process.pid && isProcessAlive(lock.hostPid)) {
        log.info(`run ${record.id}: ${record.state} in another VS Code window (process ${lock.hostPid}); left alone`);
        continue;
      }
      // (A lock not rewritten for a few minutes is stale: its pids may belong to other processes by now.)
      if (lock?.workerPid !== undefined && fresh && isProcessAlive(lock.workerPid)) {
        // The previous session's worker is still writing its last checkpoint: it owns run.json until it exits.
        log.info(`run ${record.id}: the previous session's worker (process ${lock.workerPid}) is still finishing; checking again later`);
        this.scheduleOrphanRecheck();
        continue;
      }
      const checkpoint = latestCheckpoint(record);
      const reason =
        record.state === 'queued'
          ? 'Interrupted: it was waiting in the queue when VS Code closed. Resume to train it.'
          : `Interrupted: VS Code was reloaded or closed while it trained. ${checkpoint ? `Resume continues from the checkpoint at step ${checkpoint.step}.` : 'Resume starts it again (no checkpoint was written).'}`;
      const patched = patchRunRecord(dir, { state: 'interrupted', reason: reason + workerError(dir) });
      removeRunLock(dir);
      if (patched) {
        this.host.remember(record.id, dir, patched);
        recovered.push(record.id);
        log.info(`run ${record.id}: marked interrupted (was ${record.state})`);
      }
    }
    if (recovered.length) this.host.didChangeRuns();
    return recovered;
  }

  private scheduleOrphanRecheck(): void {
    if (this.orphanTimer || this.isDisposed) return;
    this.orphanTimer = setTimeout(() => {
      this.orphanTimer = undefined;
      void this.recoverInterrupted();
    }, ORPHAN_RECHECK_MS);
    this.orphanTimer.unref();
  }

  override dispose(): void {
    clearTimeout(this.orphanTimer);
    super.dispose();
  }
}

/** Of a worker that failed with no host left to tell, what it wrote beside the run (its last error's first line). */
function workerError(dir: string): string {
  let fd: number | undefined;
  try {
    // Its last 16 KB, never through a link: the file is the run folder's, so it is untrusted too.
    fd = fs.openSync(path.join(dir, WORKER_ERROR_LOG), fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 16 * 1024));
    const n = fs.readSync(fd, buf, 0, buf.length, Math.max(0, size - buf.length));
    const lines = buf.subarray(0, n).toString('utf8').trim().split('\n');
    const last = lines.reverse().find((l) => /^\d{4}-\d\d-\d\dT/.test(l));
    return last ? ` The training process failed after the window went: ${last.replace(/^\S+\s+/, '').slice(0, 300)} (see ${WORKER_ERROR_LOG} in the run folder).` : '';
  } catch {
    return '';
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

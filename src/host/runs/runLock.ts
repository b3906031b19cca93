/** Which extension host holds a live run: `host.lock` in its folder. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../core/runFiles';
import { containRunDir } from './runPaths';

/**
 * `host.lock` in a run folder names the extension host that queued or trains the run (and its worker).
 * On activation a run found "training" whose host is gone was interrupted by a reload; one whose host
 * is alive belongs to another VS Code window on the same folder and is left alone.
 */
export interface RunLock {
  hostPid: number;
  workerPid?: number;
  /** When the lock was last written: its owner rewrites it every minute while the run is live. */
  since: string;
}

const LOCK_FILE = 'host.lock';

export function writeRunLock(dir: string, lock: RunLock): void {
  try {
    containRunDir(dir);
    writeFileAtomic(path.join(dir, LOCK_FILE), JSON.stringify(lock) + '\n');
  } catch {
    // The run folder vanished (deleted by the user): nothing to lock.
  }
}

/** A lock is a short JSON object; anything else (a link, a huge or malformed file) reads as no lock. */
export function readRunLock(dir: string): RunLock | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.join(dir, LOCK_FILE), fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n === buf.length) return undefined;
    const lock = JSON.parse(buf.subarray(0, n).toString('utf8')) as Partial<RunLock>;
    if (typeof lock !== 'object' || lock === null || !Number.isInteger(lock.hostPid) || (lock.hostPid as number) <= 0) return undefined;
    if (lock.workerPid !== undefined && (!Number.isInteger(lock.workerPid) || (lock.workerPid as number) <= 0)) return undefined;
    if (typeof lock.since !== 'string' || lock.since.length > 64) return undefined;
    return { hostPid: lock.hostPid as number, workerPid: lock.workerPid, since: lock.since };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function removeRunLock(dir: string): void {
  try {
    fs.rmSync(path.join(dir, LOCK_FILE), { force: true });
  } catch {
    // Already gone.
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The host's file operations on run folders (`<workspace>/.seqlab/runs/<id>/`), on top of the format in
 * `core/runFiles.ts`. Ownership rule: while a worker trains a run, only the worker writes its run.json
 * and logs; the functions here that write are called only for runs no worker owns (queued, stopped
 * before start, interrupted, failed after a crash, deleted).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FOLDER_GONE, readLogCheckedAsync, readRunJsonAsync, type Checked } from '../../core/runFolderReader';
import { RUNS_FOLDER, RunWriter, dropRewound, readRunRecord, writeFileAtomic, type RunHistory, type RunRecord } from '../../core/runFiles';
import type { CheckpointRef, TrainConfig } from '../../protocol/types';
import { Emitter } from '../base/event';
import { ContainmentError, containCheckpoint, containRunDir, runDirProblem, runsDirProblem } from './runPaths';

export function runsDirOf(workspaceFolder: string): string {
  return path.join(workspaceFolder, RUNS_FOLDER);
}

/** The runs folder cannot be created or written: the workspace folder is read-only (or not ours). */
export class RunsFolderNotWritableError extends Error {
  constructor(readonly runsDir: string, readonly errno: NodeJS.ErrnoException) {
    super(`Cannot write to ${runsDir}: ${describeErrno(errno)}.`);
    this.name = 'RunsFolderNotWritableError';
  }
}

function describeErrno(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EROFS': return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM': return 'permission denied (the folder is read-only for you)';
    case 'ENOSPC': return 'the disk is full';
    case 'ENOTDIR': return 'a file stands where a folder is needed';
    default: return e.message;
  }
}

const GITIGNORE = '# Created by Sequence Lab: runs hold checkpoints (binary weights), kept out of version control.\n# Delete this file to commit runs.\n*\n';

/**
 * Creates the runs folder if needed and proves it is writable with a probe file. A new `.seqlab`
 * folder gets a `.gitignore` of its own (as pytest and mypy do with their caches).
 */
export async function ensureRunsDirWritable(runsDir: string): Promise<void> {
  // mkdir follows links: a linked .seqlab or .seqlab/runs would put new runs wherever it points.
  const linked = runsDirProblem(runsDir);
  if (linked) throw new RunsFolderNotWritableError(runsDir, Object.assign(new Error(linked), { code: 'ELINK' }));
  try {
    const created = await fs.promises.mkdir(runsDir, { recursive: true });
    const probe = path.join(runsDir, `.probe-${process.pid}-${Date.now()}`);
    await fs.promises.writeFile(probe, '');
    await fs.promises.rm(probe, { force: true });
    const seqlab = path.dirname(runsDir);
    const createdSeqlab = created !== undefined && (seqlab === created || seqlab.startsWith(created + path.sep));
    if (createdSeqlab) {
      await fs.promises.writeFile(path.join(seqlab, '.gitignore'), GITIGNORE, { flag: 'wx' }).catch(() => undefined);
    }
  } catch (e) {
    throw new RunsFolderNotWritableError(runsDir, e as NodeJS.ErrnoException);
  }
}

/** A short human name for a run: its file(s). */
export function runName(files: readonly string[], note?: string): string {
  const names = files.map((f) => path.basename(f));
  const base = names.length <= 1 ? (names[0] ?? 'run') : names.length === 2 ? `${names[0]} + ${names[1]}` : `${names[0]} + ${names.length - 1} more`;
  return note ? `${base} (${note})` : base;
}

export interface NewRun {
  id: string;
  name: string;
  files: string[];
  config: TrainConfig;
  fineTunedFrom?: string;
}

/** Writes the run.json of a run waiting in the queue (no worker owns it yet). */
export function createQueuedRun(runsDir: string, run: NewRun, now = new Date()): RunRecord {
  const dir = path.join(runsDir, run.id);
  const time = now.toISOString();
  const record: RunRecord = {
    id: run.id,
    name: run.name,
    createdAt: time,
    updatedAt: time,
    files: run.files,
    config: run.config,
    state: 'queued',
    step: 0,
    durationMs: 0,
    checkpoints: [],
    ...(run.fineTunedFrom ? { fineTunedFrom: run.fineTunedFrom } : {}),
  };
  RunWriter.create(dir, record);
  return record;
}

/** Rewrites run.json of a run no worker owns. Returns the new record, or undefined if the run is gone. */
export function patchRunRecord(dir: string, patch: Partial<RunRecord>): RunRecord | undefined {
  // Never write through a link (a run folder or `checkpoints` pointing out of the workspace).
  if (runDirProblem(dir)) return undefined;
  const record = readRunRecord(dir);
  if (!record) return undefined;
  const writer = new RunWriter(dir, record);
  writer.update(patch);
  return writer.record;
}

/** The checkpoint with the highest step, if any. */
export function latestCheckpoint(record: Pick<RunRecord, 'checkpoints'>): CheckpointRef | undefined {
  let best: CheckpointRef | undefined;
  for (const c of record.checkpoints ?? []) if (!best || c.step > best.step) best = c;
  return best;
}

/** A checkpoint's folder: only `checkpoints/step-NNNNNNN` inside the run folder (see runPaths.ts); throws otherwise. */
export function checkpointFolder(runDir: string, ref: CheckpointRef): string {
  return containCheckpoint(runDir, ref);
}

/** Empties the logs of a run that restarts from step 0 (no checkpoint to resume from). */
export async function clearRunLogs(dir: string): Promise<void> {
  containRunDir(dir);
  for (const log of ['metrics', 'evals', 'gradmaps', 'samples']) {
    // rm of a link removes the link, never its target.
    await fs.promises.rm(path.join(dir, `${log}.jsonl`), { force: true });
  }
}

/**
 * Deletes a run folder: only a real folder (not a link) directly inside its runs folder. A link, a file
 * or anything resolving elsewhere is refused with a ContainmentError, and nothing is removed.
 */
export async function deleteRunFolder(dir: string): Promise<void> {
  const real = containRunDir(dir);
  await fs.promises.rm(real, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------- history, read without blocking

/** A run folder the listing could not read: shown as "unreadable: reason", with Delete offered. */
export interface UnreadableRun {
  /** A run-id-shaped key (commands and the sidebar address it like a run). */
  readonly key: string;
  /** The folder (or the runs folder itself when that is refused). */
  readonly dir: string;
  /** The folder's name, for display. */
  readonly name: string;
  readonly reason: string;
  /** False for what Delete must not touch (a link, or the runs folder itself). */
  readonly deletable: boolean;
}

/** The key of an unreadable folder: stable for its path, never equal to a run id the store makes. */
export function unreadableKey(dir: string): string {
  return `unreadable-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`;
}

/**
 * What the latest listing of each runs folder could not read, and the runs whose logs failed the
 * checks when their history was read (until their logs change). Module state: the listing is called
 * by the run manager, and the views ask here.
 */
const unreadableByRunsDir = new Map<string, UnreadableRun[]>();
const historyFailures = new Map<string, { reason: string; signature: string }>();
const onDidChangeUnreadableEmitter = new Emitter<void>();
/** A history read found a run unreadable: the runs folders should be listed again. */
export const onDidFindUnreadable = onDidChangeUnreadableEmitter.event;

/** Every unreadable entry of the runs folders listed last (of `runsDirs` only, when given). */
export function unreadableRuns(runsDirs?: readonly string[]): UnreadableRun[] {
  const out: UnreadableRun[] = [];
  for (const [runsDir, list] of unreadableByRunsDir) if (!runsDirs || runsDirs.includes(runsDir)) out.push(...list);
  return out;
}

export function findUnreadable(key: string): UnreadableRun | undefined {
  return unreadableRuns().find((u) => u.key === key);
}

function unreadable(dir: string, reason: string, deletable = true): UnreadableRun {
  return { key: unreadableKey(dir), dir, name: path.basename(dir), reason, deletable };
}

/** Sizes and times of a run's logs: a history failure stands until they change. */
async function logsSignature(dir: string): Promise<string> {
  const parts = await Promise.all(['metrics', 'evals', 'gradmaps', 'samples'].map(async (log) => {
    const st = await fs.promises.lstat(path.join(dir, `${log}.jsonl`)).catch(() => undefined);
    return st ? `${st.size}:${st.mtimeMs}` : '-';
  }));
  return parts.join('|');
}

/**
 * A run's record and history for the extension host, every part checked (runFolderReader.ts); file
 * reads are asynchronous and chunked, so opening the panel on a long run does not freeze the editor.
 */
export async function readRunFolderAsync(dir: string): Promise<Checked<RunHistory>> {
  const contained = runDirProblem(dir);
  if (contained) return { ok: false, reason: contained };
  const record = await readRunJsonAsync(dir);
  if (!record.ok) return record;
  const [metrics, evals, gradMaps, samples] = await Promise.all([
    readLogCheckedAsync(dir, 'metrics'),
    readLogCheckedAsync(dir, 'evals'),
    readLogCheckedAsync(dir, 'gradmaps'),
    readLogCheckedAsync(dir, 'samples'),
  ]);
  if (!metrics.ok || !evals.ok || !gradMaps.ok || !samples.ok) {
    const reason = [metrics, evals, gradMaps, samples].map((l) => (l.ok ? '' : l.reason)).find(Boolean)!;
    historyFailures.set(dir, { reason, signature: await logsSignature(dir) });
    onDidChangeUnreadableEmitter.fire();
    return { ok: false, reason };
  }
  return {
    ok: true,
    record: { record: record.record, metrics: dropRewound(metrics.record), evals: dropRewound(evals.record), gradMaps: dropRewound(gradMaps.record), samples: dropRewound(samples.record) },
  };
}

/** `readRunFolderAsync`, undefined when the run is unreadable (the listing then shows why). */
export async function readRunHistoryAsync(dir: string): Promise<RunHistory | undefined> {
  const history = await readRunFolderAsync(dir);
  return history.ok ? history.record : undefined;
}

type Listed = { dir: string; record: RunRecord } | { unreadable: UnreadableRun } | undefined;

async function listOne(runsDir: string, entry: fs.Dirent): Promise<Listed> {
  const dir = path.join(runsDir, entry.name);
  // A link is refused, whatever it points at; a file or anything else is not a run: skipped.
  if (entry.isSymbolicLink()) return { unreadable: unreadable(dir, 'the run folder is a symbolic link (refused: links under .seqlab are not followed)', false) };
  if (!entry.isDirectory()) return undefined;
  const checked = await readRunJsonAsync(dir);
  // Deleted while the folder was being listed: gone, not unreadable.
  if (!checked.ok && checked.reason === RUN_FOLDER_GONE) return undefined;
  if (!checked.ok) return { unreadable: unreadable(dir, checked.reason) };
  const failure = historyFailures.get(dir);
  if (failure) {
    if (failure.signature === (await logsSignature(dir))) return { unreadable: unreadable(dir, failure.reason) };
    historyFailures.delete(dir);
  }
  return { dir, record: checked.record };
}

/**
 * Run records of one runs folder, read asynchronously and checked, newest first. What cannot be read
 * is remembered for `unreadableRuns()`; it never hides a readable run.
 */
export async function listRunsAsync(runsDir: string): Promise<{ dir: string; record: RunRecord }[]> {
  const refused = runsDirProblem(runsDir);
  if (refused) {
    unreadableByRunsDir.set(runsDir, [unreadable(runsDir, refused, false)]);
    return [];
  }
  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(runsDir, { withFileTypes: true });
  } catch {
    unreadableByRunsDir.delete(runsDir);
    return [];
  }
  const listed = await Promise.all(entries.map((e) => listOne(runsDir, e).catch((err: Error): Listed => ({ unreadable: unreadable(path.join(runsDir, e.name), err.message) }))));
  const runs: { dir: string; record: RunRecord }[] = [];
  const bad: UnreadableRun[] = [];
  for (const item of listed) {
    if (!item) continue;
    if ('unreadable' in item) bad.push(item.unreadable);
    else runs.push(item);
  }
  // Two folders claiming one id: the folder named after it keeps it; the other cannot pose as that run.
  const byId = new Map<string, { dir: string; record: RunRecord }>();
  for (const run of [...runs].sort((a, b) => Number(path.basename(b.dir) === b.record.id) - Number(path.basename(a.dir) === a.record.id))) {
    const holder = byId.get(run.record.id);
    if (holder) bad.push(unreadable(run.dir, `its id ${run.record.id} is the id of the run in ${path.basename(holder.dir)}`));
    else byId.set(run.record.id, run);
  }
  unreadableByRunsDir.set(runsDir, bad.sort((a, b) => a.name.localeCompare(b.name)));
  return [...byId.values()].sort((a, b) => b.record.createdAt.localeCompare(a.record.createdAt));
}

/** Forgets the unreadable entries of runs folders no longer in the workspace. */
export function forgetRunsDirsExcept(runsDirs: readonly string[]): void {
  for (const d of [...unreadableByRunsDir.keys()]) if (!runsDirs.includes(d)) unreadableByRunsDir.delete(d);
}

/** Deletes an unreadable run folder: a real folder directly inside its runs folder only (see deleteRunFolder). */
export async function deleteUnreadable(entry: UnreadableRun): Promise<void> {
  if (!entry.deletable) throw new ContainmentError(`${entry.dir}: ${entry.reason}. Sequence Lab deletes only real folders inside .seqlab/runs; remove it yourself if you want it gone.`);
  await deleteRunFolder(entry.dir);
  const list = unreadableByRunsDir.get(path.dirname(entry.dir));
  if (list) unreadableByRunsDir.set(path.dirname(entry.dir), list.filter((u) => u.key !== entry.key));
  historyFailures.delete(entry.dir);
}

// ---------------------------------------------------------------- ownership lock

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

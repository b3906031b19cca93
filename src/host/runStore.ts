/**
 * The host's file operations on run folders (`<workspace>/.seqlab/runs/<id>/`), on top of the format in
 * `core/runFiles.ts`. Ownership rule: while a worker trains a run, only the worker writes its run.json
 * and logs; the functions here that write are called only for runs no worker owns (queued, stopped
 * before start, interrupted, failed after a crash, deleted).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNS_FOLDER, RunWriter, dropRewound, readRunRecord, writeFileAtomic, type RunHistory, type RunRecord } from '../core/runFiles';
import type { CheckpointRef, EvalPoint, GradMap, MetricPoint, SampleRecord, TrainConfig } from '../protocol/types';

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

export function checkpointFolder(runDir: string, ref: CheckpointRef): string {
  return path.resolve(runDir, ref.path);
}

/** Empties the logs of a run that restarts from step 0 (no checkpoint to resume from). */
export async function clearRunLogs(dir: string): Promise<void> {
  for (const log of ['metrics', 'evals', 'gradmaps', 'samples']) {
    await fs.promises.rm(path.join(dir, `${log}.jsonl`), { force: true });
  }
}

export async function deleteRunFolder(dir: string): Promise<void> {
  await fs.promises.rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------- history, read without blocking

/** Lines parsed between yields to the event loop: keeps each slice of work to a few milliseconds. */
const LINES_PER_SLICE = 2000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

async function readLogAsync<T>(dir: string, log: string): Promise<T[]> {
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(dir, `${log}.jsonl`), 'utf8');
  } catch {
    return [];
  }
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line) {
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // A line torn by a crash mid-append: skip it, as readLog does.
      }
    }
    if (i % LINES_PER_SLICE === LINES_PER_SLICE - 1) await yieldToEventLoop();
  }
  return out;
}

/**
 * `readRunHistory` for the extension host: same result, but file reads are asynchronous and parsing
 * yields to the event loop, so opening the panel on a long run does not freeze the editor.
 */
export async function readRunHistoryAsync(dir: string): Promise<RunHistory | undefined> {
  let record: RunRecord;
  try {
    record = JSON.parse(await fs.promises.readFile(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
    if (typeof record.id !== 'string' || !record.config) return undefined;
  } catch {
    return undefined;
  }
  const [metrics, evals, gradMaps, samples] = await Promise.all([
    readLogAsync<MetricPoint>(dir, 'metrics'),
    readLogAsync<EvalPoint>(dir, 'evals'),
    readLogAsync<GradMap>(dir, 'gradmaps'),
    readLogAsync<SampleRecord>(dir, 'samples'),
  ]);
  return { record, metrics: dropRewound(metrics), evals: dropRewound(evals), gradMaps: dropRewound(gradMaps), samples: dropRewound(samples) };
}

/** Run records of one runs folder, read asynchronously, newest first. */
export async function listRunsAsync(runsDir: string): Promise<{ dir: string; record: RunRecord }[]> {
  let names: string[];
  try {
    names = await fs.promises.readdir(runsDir);
  } catch {
    return [];
  }
  const found = await Promise.all(
    names.map(async (name) => {
      const dir = path.join(runsDir, name);
      try {
        const record = JSON.parse(await fs.promises.readFile(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
        return typeof record.id === 'string' && record.config ? { dir, record } : undefined;
      } catch {
        return undefined;
      }
    }),
  );
  return found.filter((r): r is { dir: string; record: RunRecord } => !!r).sort((a, b) => b.record.createdAt.localeCompare(a.record.createdAt));
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
    writeFileAtomic(path.join(dir, LOCK_FILE), JSON.stringify(lock) + '\n');
  } catch {
    // The run folder vanished (deleted by the user): nothing to lock.
  }
}

export function readRunLock(dir: string): RunLock | undefined {
  try {
    const lock = JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as RunLock;
    return Number.isInteger(lock.hostPid) ? lock : undefined;
  } catch {
    return undefined;
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

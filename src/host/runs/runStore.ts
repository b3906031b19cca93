/**
 * The host's file operations on run folders (`<workspace>/.seqlab/runs/<id>/`), on top of the format in
 * `core/runFiles.ts`. Ownership rule: while a worker trains a run, only the worker writes its run.json
 * and logs; the functions here that write are called only for runs no worker owns (queued, stopped
 * before start, interrupted, failed after a crash, deleted).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUNS_FOLDER, RunWriter, readRunRecord, type RunRecord } from '../../core/runFiles';
import type { CheckpointRef, TrainConfig } from '../../protocol/types';
import { containCheckpoint, containRunDir, runDirProblem, runsDirProblem } from './runPaths';

export function runsDirOf(workspaceFolder: string): string {
  return path.join(workspaceFolder, RUNS_FOLDER);
}

/** The runs folder cannot be created or written: the workspace folder is read-only (or not ours). */
export class RunsFolderNotWritableError extends Error {
  constructor(
    readonly runsDir: string,
    readonly errno: NodeJS.ErrnoException,
  ) {
    super(`Cannot write to ${runsDir}: ${describeErrno(errno)}.`);
    this.name = 'RunsFolderNotWritableError';
  }
}

function describeErrno(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EROFS':
      return 'the file system is read-only';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (the folder is read-only for you)';
    case 'ENOSPC':
      return 'the disk is full';
    case 'ENOTDIR':
      return 'a file stands where a folder is needed';
    default:
      return e.message;
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

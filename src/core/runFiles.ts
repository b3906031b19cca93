/**
 * The on-disk form of a run, shared by the command line, the worker (which writes it while training)
 * and the extension host (which reads it to restore views after a reload).
 *
 *   <runDir>/run.json            RunRecord: identity, configuration, state, facts; rewritten atomically
 *   <runDir>/metrics.jsonl       one MetricPoint per line (append-only)
 *   <runDir>/evals.jsonl         one EvalPoint per line
 *   <runDir>/gradmaps.jsonl      one GradMap per line
 *   <runDir>/samples.jsonl       one SampleRecord per line
 *   <runDir>/checkpoints/        step-NNNNNNN/ folders and latest.json (see checkpoint.ts)
 *   <runDir>/README.md           a human-readable summary, rewritten with run.json
 *
 * Append-only logs survive a crash mid-write with at most a torn last line, which the reader skips.
 * Every read goes through the checked reader (runFolderReader.ts): run folders are untrusted input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CheckpointRef, EvalPoint, GradMap, MetricPoint, RunInfo, RunKind, RunState, RunSummary, SampleRecord, TrainConfig } from '../protocol/types';
import { readLogChecked, readRunJson, type Checked, type LogName } from './runFolderReader';

export const RUNS_FOLDER = path.join('.seqlab', 'runs');
/** In a run folder: errors of a worker that failed with no extension host left to tell (one per line, ISO time first). */
export const WORKER_ERROR_LOG = 'worker-error.log';

export interface RunRecord {
  /** What the run trains: a language model on text (the default: runs written before kinds existed) or a forecaster on a numeric series. */
  kind?: RunKind;
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  files: string[];
  config: TrainConfig;
  state: RunState;
  /** Why the run ended or failed, in words for the user. */
  reason?: string;
  step: number;
  info?: RunInfo;
  bestValLoss?: number;
  lastLoss?: number;
  /** Training time, summed over every session of the run. */
  durationMs: number;
  checkpoints: CheckpointRef[];
  /** Set when the run was started from another run's checkpoint. */
  fineTunedFrom?: string;
}

export interface RunHistory {
  record: RunRecord;
  metrics: MetricPoint[];
  evals: EvalPoint[];
  gradMaps: GradMap[];
  samples: SampleRecord[];
}

/** Writes `data` to `file` so that readers see the old or the new content, never a torn mix. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

/** A new run id: sortable by time, unique enough for one workspace. */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}

export function summarize(record: RunRecord): RunSummary {
  const { config } = record;
  return {
    ...(record.kind === 'forecast' ? { kind: record.kind } : {}),
    id: record.id,
    name: record.name,
    state: record.state,
    files: record.files,
    cell: config.cell,
    hidden: config.hidden,
    layers: config.layers,
    level: config.level,
    step: record.step,
    steps: config.steps,
    bestValLoss: record.bestValLoss,
    lastLoss: record.lastLoss,
    createdAt: record.createdAt,
    durationMs: record.durationMs,
    reason: record.reason,
  };
}

/** Appends to a run's logs and rewrites its record. One writer per run at a time. */
export class RunWriter {
  constructor(
    readonly dir: string,
    public record: RunRecord,
  ) {
    const checkpoints = path.join(dir, 'checkpoints');
    fs.mkdirSync(checkpoints, { recursive: true });
    // A link here would send checkpoint writes (and the pruning of old ones) out of the run folder.
    for (const p of [dir, checkpoints]) {
      if (fs.lstatSync(p).isSymbolicLink()) throw new Error(`${p} is a symbolic link: Sequence Lab does not write through links in a run folder.`);
    }
  }

  static create(dir: string, record: RunRecord): RunWriter {
    const writer = new RunWriter(dir, record);
    writer.saveRecord();
    return writer;
  }

  append(log: LogName, entry: MetricPoint | EvalPoint | GradMap | SampleRecord): void {
    // O_NOFOLLOW: a log that is a symbolic link is refused (ELOOP), not appended through.
    const fd = fs.openSync(path.join(this.dir, `${log}.jsonl`), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0), 0o644);
    try {
      fs.writeSync(fd, JSON.stringify(entry) + '\n');
    } finally {
      fs.closeSync(fd);
    }
  }

  update(patch: Partial<RunRecord>): void {
    this.record = { ...this.record, ...patch, updatedAt: new Date().toISOString() };
    this.saveRecord();
  }

  saveRecord(): void {
    writeFileAtomic(path.join(this.dir, 'run.json'), JSON.stringify(this.record, null, 2) + '\n');
    writeFileAtomic(path.join(this.dir, 'README.md'), renderRunReadme(this.record));
  }
}

/** A run's record, checked (see runFolderReader.ts); undefined when the folder is not a readable run. */
export function readRunRecord(dir: string): RunRecord | undefined {
  const checked = readRunJson(dir);
  return checked.ok ? checked.record : undefined;
}

/**
 * Reads a JSON-lines log in chunks, skipping a torn line rather than losing the rest. A log that is
 * not a genuine run's (an invalid entry, a line too long, a link) throws with the reason.
 */
export function readLog<T>(dir: string, log: LogName): T[] {
  const checked = readLogChecked(dir, log);
  if (!checked.ok) throw new Error(`Cannot read ${path.join(dir, `${log}.jsonl`)}: ${checked.reason}.`);
  return checked.record as unknown as T[];
}

/** A run's record and history, every part checked; the reason when any part is unreadable. */
export function readRunFolder(dir: string): Checked<RunHistory> {
  const record = readRunJson(dir);
  if (!record.ok) return record;
  const metrics = readLogChecked(dir, 'metrics');
  if (!metrics.ok) return metrics;
  const evals = readLogChecked(dir, 'evals');
  if (!evals.ok) return evals;
  const gradMaps = readLogChecked(dir, 'gradmaps');
  if (!gradMaps.ok) return gradMaps;
  const samples = readLogChecked(dir, 'samples');
  if (!samples.ok) return samples;
  return { ok: true, record: historyOf(record.record, metrics.record, evals.record, gradMaps.record, samples.record) };
}

/** A run's history from its record and checked logs, each list in step order (see dropRewound). */
export function historyOf(record: RunRecord, metrics: MetricPoint[], evals: EvalPoint[], gradMaps: GradMap[], samples: SampleRecord[]): RunHistory {
  return { record, metrics: dropRewound(metrics), evals: dropRewound(evals), gradMaps: dropRewound(gradMaps), samples: dropRewound(samples) };
}

export function readRunHistory(dir: string): RunHistory | undefined {
  const history = readRunFolder(dir);
  return history.ok ? history.record : undefined;
}

/**
 * The logs are append-only: a run resumed from a checkpoint at step s logs again from s + 1, after
 * whatever an earlier session logged past s before it crashed or was killed. Where the step goes
 * back, the entries it goes back over are dropped, so every list is in step order, each step once.
 * Every reader of a run's history goes through this.
 */
export function dropRewound<T extends { step: number }>(list: T[]): T[] {
  const out: T[] = [];
  for (const entry of list) {
    while (out.length && out[out.length - 1].step >= entry.step) out.pop();
    out.push(entry);
  }
  return out;
}

/** Every run folder under `runsDir`, newest first. */
export function listRuns(runsDir: string): RunRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsDir);
  } catch {
    return [];
  }
  // Only readable runs (checked): a record's createdAt is then a date string, so the sort cannot throw.
  const records = names.map((name) => readRunRecord(path.join(runsDir, name))).filter((r): r is RunRecord => !!r);
  return records.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}

function fmt(value: number | undefined, digits = 3): string {
  return value === undefined ? '-' : value.toFixed(digits);
}

function renderRunReadme(r: RunRecord): string {
  const c = r.config;
  const lines = [
    `# Sequence Lab run ${r.id}`,
    '',
    `- State: ${r.state}${r.reason ? ` (${r.reason})` : ''}`,
    `- Files: ${r.files.join(', ')}`,
    `- Model: ${c.cell.toUpperCase()}, ${c.layers} layer(s), hidden ${c.hidden}, ${c.embedding ? `embedding ${c.embedding}` : 'one-hot input'}, ${c.level}-level`,
    `- Training: ${c.optimizer} lr ${c.lr}, clip ${c.clip}, batch ${c.batch} x window ${c.window} (${c.batching}), seed ${c.seed}`,
    `- Step ${r.step} of ${c.steps}; last loss ${fmt(r.lastLoss)}; best validation loss ${fmt(r.bestValLoss)} nats/token`,
    `- Backend: ${r.info ? `${r.info.backend}; vocabulary ${r.info.vocabSize}; ${r.info.paramCount.toLocaleString('en-US')} parameters` : 'not started'}`,
    `- Checkpoints: ${r.checkpoints.map((k) => k.path).join(', ') || 'none yet'}`,
    '',
    'Files here: run.json (this run), metrics.jsonl, evals.jsonl, gradmaps.jsonl, samples.jsonl (one JSON object',
    'per line), checkpoints/ (weights in Keras layout, optimizer state, vocabulary). Deleting this folder deletes the run.',
    '',
  ];
  return lines.join('\n');
}

/**
 * An experiment on disk: `<workspace>/.seqlab/experiments/<id>/experiment.json`, naming its runs (which
 * live in `.seqlab/runs/<runId>/` like any other). Written atomically after every change, so a reload
 * finds the experiment as it was; read back through a checked reader, since a repository can ship any
 * `.seqlab/` it likes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunState, TrainConfig } from '../../protocol/types';
import { writeFileAtomic } from '../runFiles';
import type { VariedSetting } from './experimentPlan';

export const EXPERIMENTS_FOLDER = path.join('.seqlab', 'experiments');
export const EXPERIMENT_FORMAT = 'sequence-lab-experiment';
export const EXPERIMENT_VERSION = 1;
/** experiment.json above this size is not an experiment of ours. */
export const MAX_EXPERIMENT_BYTES = 256 * 1024;

export type ExperimentState = 'running' | 'completed' | 'cancelled' | 'interrupted';
const STATES: readonly ExperimentState[] = ['running', 'completed', 'cancelled', 'interrupted'];

export interface ExperimentRunRef {
  label: string;
  values: Record<string, string>;
  /** Set once the run folder exists. */
  runId?: string;
  /** The run's state when the experiment last looked. */
  state?: RunState;
}

export interface ExperimentRecord {
  format: typeof EXPERIMENT_FORMAT;
  version: number;
  id: string;
  name: string;
  createdAt: string;
  files: string[];
  presetId?: string;
  /** The configuration every run shares (settings and the experiment's base). */
  base: TrainConfig;
  vary: VariedSetting[];
  /** Run the context-length probe after each run. */
  probe?: boolean;
  runs: ExperimentRunRef[];
  state: ExperimentState;
}

export function writeExperiment(dir: string, record: ExperimentRecord): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'experiment.json'), JSON.stringify(record, null, 2) + '\n');
}

const RUN_STATES: readonly RunState[] = ['queued', 'starting', 'training', 'paused', 'completed', 'stopped', 'diverged', 'failed', 'interrupted'];
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shortString = (v: unknown, max = 200): v is string => typeof v === 'string' && v.length <= max;
const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/;

/** The experiment in `dir`, or why it cannot be read. Never throws. */
export function readExperiment(dir: string): { ok: true; record: ExperimentRecord } | { ok: false; reason: string } {
  const file = path.join(dir, 'experiment.json');
  let text: string;
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile()) return { ok: false, reason: 'experiment.json is not a regular file' };
    if (st.size > MAX_EXPERIMENT_BYTES) return { ok: false, reason: `experiment.json is ${st.size} bytes, above ${MAX_EXPERIMENT_BYTES}` };
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { ok: false, reason: `experiment.json cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'experiment.json is not valid JSON' };
  }
  const bad = (why: string) => ({ ok: false as const, reason: `experiment.json: ${why}` });
  if (!isRecord(json)) return bad('not an object');
  if (json.format !== EXPERIMENT_FORMAT || json.version !== EXPERIMENT_VERSION) return bad('not a Sequence Lab experiment of this version');
  if (!shortString(json.id, 80) || !ID.test(json.id)) return bad('id must be a short name of letters, digits, dots, dashes');
  if (!shortString(json.name)) return bad('name must be a string of at most 200 characters');
  if (!shortString(json.createdAt, 40) || Number.isNaN(Date.parse(json.createdAt))) return bad('createdAt must be a date');
  if (!Array.isArray(json.files) || json.files.length > 100 || !json.files.every((f) => shortString(f, 4096))) return bad('files must be a list of paths');
  if (!STATES.includes(json.state as ExperimentState)) return bad(`state must be one of ${STATES.join(', ')}`);
  if (!isRecord(json.base)) return bad('base must be a configuration');
  if (!Array.isArray(json.vary) || json.vary.length < 1 || json.vary.length > 2) return bad('vary must list one or two settings');
  for (const v of json.vary) {
    if (!isRecord(v) || !shortString(v.name, 80) || !Array.isArray(v.values) || v.values.length > 16) return bad('each varied setting needs a name and at most 16 values');
    if (!v.values.every((x) => isRecord(x) && shortString(x.label) && isRecord(x.patch))) return bad('each varied value needs a label and a patch');
  }
  if (!Array.isArray(json.runs) || json.runs.length > 16) return bad('runs must list at most 16 runs');
  for (const r of json.runs) {
    if (!isRecord(r) || !shortString(r.label) || !isRecord(r.values)) return bad('each run needs a label and its values');
    if (r.runId !== undefined && (!shortString(r.runId, 80) || !ID.test(r.runId))) return bad('a run id is not a run folder name');
    if (r.state !== undefined && !RUN_STATES.includes(r.state as RunState)) return bad('a run state is unknown');
  }
  if (json.presetId !== undefined && !shortString(json.presetId, 80)) return bad('presetId must be a short string');
  // The base configuration is checked where it is used (validateConfig); here it only has to be an object.
  return { ok: true, record: json as unknown as ExperimentRecord };
}

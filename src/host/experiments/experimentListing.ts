/**
 * The experiments of the workspace, read from `.seqlab/experiments/<id>/experiment.json` through the
 * checked reader (a repository can ship any `.seqlab/` it likes), and the summary the sidebar lists.
 * No `vscode` import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readExperiment, type ExperimentRecord } from '../../core/experiments/experimentRecord';
import { presetById } from '../../core/experiments/presets';
import type { ExperimentEntry } from '../../protocol/sidebar';
import type { RunState } from '../../protocol/types';
import { isRunId } from '../../protocol/validate';
import { containExperimentDir, experimentsDirProblem } from './experimentPaths';

export interface FoundExperiment {
  dir: string;
  record: ExperimentRecord;
}

/** A run that has ended for good: the experiment does not train it again. */
export const FINISHED: readonly RunState[] = ['completed', 'diverged', 'failed'];

/** Experiments folders hold at most this many entries worth reading (each is a small JSON file). */
const MAX_LISTED = 500;

/** Every readable experiment in these experiments folders, newest first; unreadable ones are skipped. */
export function listExperiments(experimentsDirs: readonly string[]): FoundExperiment[] {
  const found: FoundExperiment[] = [];
  for (const parent of experimentsDirs) {
    if (experimentsDirProblem(parent)) continue;
    let names: string[];
    try {
      names = fs.readdirSync(parent).filter(isRunId).slice(0, MAX_LISTED);
    } catch {
      continue;
    }
    for (const name of names) {
      const one = readContained(path.join(parent, name));
      if (one && one.record.id === name) found.push(one);
    }
  }
  return found.sort((a, b) => b.record.createdAt.localeCompare(a.record.createdAt));
}

/** The experiment with this id in one of the folders, or undefined. */
export function findExperiment(experimentsDirs: readonly string[], id: string): FoundExperiment | undefined {
  if (!isRunId(id)) return undefined;
  for (const parent of experimentsDirs) {
    const one = readContained(path.join(parent, id));
    if (one && one.record.id === id) return one;
  }
  return undefined;
}

function readContained(dir: string): FoundExperiment | undefined {
  try {
    containExperimentDir(dir);
  } catch {
    return undefined;
  }
  const read = readExperiment(dir);
  return read.ok ? { dir, record: read.record } : undefined;
}

/** What the experiment asks: its preset's question, or the varied setting(s). */
export function experimentQuestion(record: Pick<ExperimentRecord, 'presetId' | 'vary'>): string {
  const preset = record.presetId ? presetById(record.presetId) : undefined;
  return preset ? preset.question : `Varying ${record.vary.map((v) => v.name).join(' × ')}`;
}

export function experimentEntry(record: ExperimentRecord): ExperimentEntry {
  return {
    id: record.id,
    name: record.name,
    question: experimentQuestion(record),
    state: record.state,
    done: record.runs.filter((r) => r.state !== undefined && FINISHED.includes(r.state)).length,
    total: record.runs.length,
    createdAt: record.createdAt,
  };
}

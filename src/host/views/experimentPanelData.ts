/**
 * What the experiment panel shows, read from disk: the experiment's `experiment.json` (checked by
 * readExperiment, its folder contained in `<workspace>/.seqlab/experiments` with no link on the way)
 * and each referenced run's folder (checked and contained by readRunFolderAsync). Untrusted input
 * throughout: a run that cannot be read is shown as unreadable with its reason, never thrown.
 * No `vscode` import: unit tests read real experiments with it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPERIMENTS_FOLDER, readExperiment, type ExperimentRecord, type ExperimentRunRef } from '../../core/experiments/experimentRecord';
import { RUNS_FOLDER, type RunHistory } from '../../core/runFiles';
import { isExperimentId } from '../../protocol/experimentPanel';
import type { RunState } from '../../protocol/types';
import { readRunFolderAsync } from '../runs/runListing';
import { isRunId } from '../../protocol/validate';

/** One run of the experiment as read now. */
export interface LoadedRun {
  readonly ref: ExperimentRunRef;
  /** Its checked history, when its folder exists and reads. */
  readonly history?: RunHistory;
  /** Why it has no history: not started yet (undefined) or unreadable (the reason). */
  readonly unreadable?: string;
  /** Its state: the run manager's for a live run (fresher than run.json), else run.json's. */
  readonly state?: RunState;
}

export type LoadedExperiment = { ok: true; record: ExperimentRecord; runs: LoadedRun[] } | { ok: false; reason: string };

/**
 * The folder of experiment `id` in the workspace folder `root`, or why it is refused: the id must be a
 * plain name, and `.seqlab`, `.seqlab/experiments` and the folder itself real folders (not links), the
 * folder resolving directly inside `<root>/.seqlab/experiments`.
 */
export function containExperimentDir(root: string, id: unknown): { ok: true; dir: string } | { ok: false; reason: string } {
  if (!isExperimentId(id)) return { ok: false, reason: `${JSON.stringify(String(id).slice(0, 80))} is not an experiment id (letters, digits, _ and - only)` };
  const experiments = path.join(root, EXPERIMENTS_FOLDER);
  const dir = path.join(experiments, id);
  for (const p of [path.dirname(experiments), experiments, dir]) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return { ok: false, reason: `${p} does not exist` };
    }
    if (st.isSymbolicLink()) return { ok: false, reason: `${p} is a symbolic link: Sequence Lab does not follow links under .seqlab` };
    if (!st.isDirectory()) return { ok: false, reason: `${p} is not a folder` };
  }
  const real = fs.realpathSync(dir);
  if (real !== path.join(fs.realpathSync(experiments), id)) return { ok: false, reason: `${dir} resolves to ${real}, outside ${experiments}` };
  return { ok: true, dir };
}

/** The experiment ids of a workspace folder (folders only; each is checked when opened). */
export function listExperimentIds(root: string): string[] {
  const experiments = path.join(root, EXPERIMENTS_FOLDER);
  try {
    if (fs.lstatSync(path.dirname(experiments)).isSymbolicLink() || fs.lstatSync(experiments).isSymbolicLink()) return [];
    return fs
      .readdirSync(experiments, { withFileTypes: true })
      .filter((e) => e.isDirectory() && isExperimentId(e.name))
      .map((e) => e.name)
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

/**
 * Reads experiment `id` of workspace folder `root` and every run it references (from
 * `<root>/.seqlab/runs/<runId>`). `liveState` gives the run manager's state of a live run.
 */
export async function loadExperiment(root: string, id: string, liveState: (runId: string) => RunState | undefined = () => undefined): Promise<LoadedExperiment> {
  const contained = containExperimentDir(root, id);
  if (!contained.ok) return contained;
  const read = readExperiment(contained.dir);
  if (!read.ok) return read;
  const record = read.record;
  if (record.id !== id) return { ok: false, reason: `experiment.json: its id ${record.id} is not its folder's name ${id}` };
  const runsDir = path.join(root, RUNS_FOLDER);
  const runs = await Promise.all(
    record.runs.map(async (ref): Promise<LoadedRun> => {
      if (!ref.runId) return { ref, state: ref.state };
      if (!isRunId(ref.runId)) return { ref, unreadable: `${ref.runId} is not a run folder name` };
      const live = liveState(ref.runId);
      const dir = path.join(runsDir, ref.runId);
      if (!fs.existsSync(dir)) return { ref, state: live ?? ref.state, ...(live || ref.state === 'queued' ? {} : { unreadable: 'its run folder is gone' }) };
      const history = await readRunFolderAsync(dir);
      if (!history.ok) return { ref, unreadable: history.reason, state: live };
      return { ref, history: history.record, state: live ?? history.record.record.state };
    }),
  );
  return { ok: true, record, runs };
}

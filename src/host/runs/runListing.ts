/**
 * Reading run folders for the views, without blocking the extension host: every run.json and log goes
 * through the core's checked reader (a repository can ship any `.seqlab/`), and what fails is kept as
 * an unreadable run, listed with its reason and offered for deletion.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RUN_FOLDER_GONE, readLogCheckedAsync, readRunJsonAsync, type Checked } from '../../core/runFolderReader';
import { historyOf, type RunHistory, type RunRecord } from '../../core/runFiles';
import { Emitter } from '../base/event';
import { deleteRunFolder } from './runStore';
import { ContainmentError, runDirProblem, runsDirProblem } from './runPaths';

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
  const parts = await Promise.all(
    ['metrics', 'evals', 'gradmaps', 'samples'].map(async (log) => {
      const st = await fs.promises.lstat(path.join(dir, `${log}.jsonl`)).catch(() => undefined);
      return st ? `${st.size}:${st.mtimeMs}` : '-';
    }),
  );
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
  return { ok: true, record: historyOf(record.record, metrics.record, evals.record, gradMaps.record, samples.record) };
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
  unreadableByRunsDir.set(
    runsDir,
    bad.sort((a, b) => a.name.localeCompare(b.name)),
  );
  return [...byId.values()].sort((a, b) => b.record.createdAt.localeCompare(a.record.createdAt));
}

/** Forgets the unreadable entries of runs folders no longer in the workspace. */
export function forgetRunsDirsExcept(runsDirs: readonly string[]): void {
  for (const d of [...unreadableByRunsDir.keys()]) if (!runsDirs.includes(d)) unreadableByRunsDir.delete(d);
}

/** Deletes an unreadable run folder: a real folder directly inside its runs folder only (see deleteRunFolder). */
export async function deleteUnreadable(entry: UnreadableRun): Promise<void> {
  if (!entry.deletable)
    throw new ContainmentError(`${entry.dir}: ${entry.reason}. Sequence Lab deletes only real folders inside .seqlab/runs; remove it yourself if you want it gone.`);
  await deleteRunFolder(entry.dir);
  const list = unreadableByRunsDir.get(path.dirname(entry.dir));
  if (list)
    unreadableByRunsDir.set(
      path.dirname(entry.dir),
      list.filter((u) => u.key !== entry.key),
    );
  historyFailures.delete(entry.dir);
}

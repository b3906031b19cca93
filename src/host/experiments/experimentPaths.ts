/**
 * Containment of experiment folders, as runPaths.ts does for runs: an experiment folder must be a real
 * folder directly inside `<workspace folder>/.seqlab/experiments`, and neither `.seqlab` nor
 * `.seqlab/experiments` may be a link (a repository can commit links there that point anywhere; Delete
 * would remove the target). No `vscode` import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXPERIMENTS_FOLDER } from '../../core/experiments/experimentRecord';
import { isRunId } from '../../protocol/validate';
import { ContainmentError } from '../runs/runPaths';

export function experimentsDirOf(workspaceFolder: string): string {
  return path.join(workspaceFolder, EXPERIMENTS_FOLDER);
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

const linkMessage = (p: string) => `${p} is a symbolic link: Sequence Lab does not follow links under .seqlab (they could lead out of the workspace).`;

/** Why `<ws>/.seqlab/experiments` must not be used (a link on the way), or undefined. A missing one is fine. */
export function experimentsDirProblem(experimentsDir: string): string | undefined {
  for (const p of [path.dirname(experimentsDir), experimentsDir]) {
    if (lstatOrUndefined(p)?.isSymbolicLink()) return linkMessage(p);
  }
  return undefined;
}

/** Checks that `dir` is a real experiment folder directly inside its experiments folder; returns its real path. */
export function containExperimentDir(dir: string): string {
  const parent = path.dirname(dir);
  const problem = experimentsDirProblem(parent);
  if (problem) throw new ContainmentError(problem);
  if (!isRunId(path.basename(dir))) throw new ContainmentError(`${dir} is not named like an experiment.`);
  const st = lstatOrUndefined(dir);
  if (!st) throw new ContainmentError(`${dir} does not exist.`);
  if (st.isSymbolicLink()) throw new ContainmentError(linkMessage(dir));
  if (!st.isDirectory()) throw new ContainmentError(`${dir} is not a folder.`);
  const real = fs.realpathSync(dir);
  const expected = path.join(fs.realpathSync(parent), path.basename(dir));
  if (real !== expected) throw new ContainmentError(`${dir} resolves to ${real}, outside ${parent}.`);
  return real;
}

/** Deletes an experiment folder (never its runs, which live in .seqlab/runs). Refuses anything not contained. */
export async function deleteExperimentFolder(dir: string): Promise<void> {
  const real = containExperimentDir(dir);
  await fs.promises.rm(real, { recursive: true, force: true, maxRetries: 3 });
}

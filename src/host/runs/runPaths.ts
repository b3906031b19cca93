/**
 * Containment of everything the host reads, writes or deletes under `.seqlab`: a run folder must be a
 * real folder directly inside its runs folder, `<workspace folder>/.seqlab/runs/<run>`, once every link
 * is resolved (realpath); `.seqlab`, `.seqlab/runs`, the run folder and its `checkpoints` must not be
 * symbolic links. A repository can commit links there that point anywhere on disk (Delete would remove
 * the target, recovery would write into it): these checks refuse them, with a message saying which.
 * No `vscode` import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_REF_PATH } from '../../core/runFolderReader';
import type { CheckpointRef } from '../../protocol/types';

/** A path under `.seqlab` that Sequence Lab refuses to use; the message says which and why. */
export class ContainmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainmentError';
  }
}

function linkMessage(p: string): string {
  return `${p} is a symbolic link: Sequence Lab does not follow links under .seqlab (they could lead out of the workspace).`;
}

/** The folders that must not be links for `runsDir`: `.seqlab` too when the runs folder is `<ws>/.seqlab/runs`. */
function runsChain(runsDir: string): string[] {
  const parent = path.dirname(runsDir);
  return path.basename(runsDir) === 'runs' && path.basename(parent) === '.seqlab' ? [parent, runsDir] : [runsDir];
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** Why a runs folder is refused (a link at `.seqlab` or `.seqlab/runs`), or undefined. A missing one is fine (and a file in the way fails on its own). */
export function runsDirProblem(runsDir: string): string | undefined {
  for (const p of runsChain(runsDir)) {
    const st = lstatOrUndefined(p);
    if (st?.isSymbolicLink()) return linkMessage(p);
  }
  return undefined;
}

/**
 * Checks that `dir` is a real run folder directly inside its runs folder, all links resolved; returns
 * its real path. Throws a ContainmentError otherwise.
 */
export function containRunDir(dir: string): string {
  const runsDir = path.dirname(dir);
  const problem = runsDirProblem(runsDir);
  if (problem) throw new ContainmentError(problem);
  const st = lstatOrUndefined(dir);
  if (!st) throw new ContainmentError(`${dir} does not exist.`);
  if (st.isSymbolicLink()) throw new ContainmentError(linkMessage(dir));
  if (!st.isDirectory()) throw new ContainmentError(`${dir} is not a folder.`);
  const real = fs.realpathSync(dir);
  const expected = path.join(fs.realpathSync(runsDir), path.basename(dir));
  if (real !== expected) throw new ContainmentError(`${dir} resolves to ${real}, outside ${runsDir}.`);
  return real;
}

/** A `checkpoints` link would send checkpoint reads, writes and pruning out of the run folder. */
function refuseLinkedCheckpoints(dir: string): void {
  const checkpoints = path.join(dir, 'checkpoints');
  if (lstatOrUndefined(checkpoints)?.isSymbolicLink()) throw new ContainmentError(linkMessage(checkpoints));
}

/**
 * Why a run folder must not be read or written (`containRunDir`, and a linked `checkpoints`), or
 * undefined when it may. (Deleting needs only `containRunDir`: removing a folder removes a link in it, not its target.)
 */
export function runDirProblem(dir: string): string | undefined {
  try {
    containRunDir(dir);
    refuseLinkedCheckpoints(dir);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The folder of a checkpoint ref: only `checkpoints/step-NNNNNNN` inside the run folder, a real folder
 * (not a link). Anything else (`..`, an absolute path, another name) is refused.
 */
export function containCheckpoint(runDir: string, ref: CheckpointRef): string {
  if (typeof ref.path !== 'string' || !CHECKPOINT_REF_PATH.test(ref.path)) {
    throw new ContainmentError(
      `The checkpoint at step ${ref.step} names ${JSON.stringify(String(ref.path).slice(0, 80))}, not checkpoints/step-NNNNNNN in its run folder: refused.`,
    );
  }
  const real = containRunDir(runDir);
  refuseLinkedCheckpoints(runDir);
  const folder = path.join(real, ...ref.path.split('/'));
  const st = lstatOrUndefined(folder);
  if (st?.isSymbolicLink()) throw new ContainmentError(linkMessage(folder));
  return folder;
}

/** Paths of a run's files as its panel shows them. */
import * as path from 'node:path';
import { runsDirOf } from '../runs/runStore';

/**
 * `files` as a person reads them in that workspace: relative to the workspace folder holding the run
 * (`<folder>/.seqlab/runs/<id>`) when inside it, absolute otherwise (another folder, another drive).
 * Undefined when `runDir` is not in a runs folder, so no workspace folder is known.
 */
export function displayPaths(files: readonly string[], runDir: string): string[] | undefined {
  const runsDir = path.dirname(path.resolve(runDir));
  const folder = path.dirname(path.dirname(runsDir));
  if (runsDirOf(folder) !== runsDir) return undefined;
  return files.map((file) => {
    const relative = path.relative(folder, file);
    const inside = relative !== '' && relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative);
    return inside ? relative : file;
  });
}

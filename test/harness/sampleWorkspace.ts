/**
 * Workspaces for the workbench: a fresh copy of test/fixtures/workspace (a short excerpt of The Time
 * Machine, so training in tests takes seconds), plus, for people and screenshots, the full corpus kept
 * in the repository (test/fixtures/data).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './workbench';

export const FIXTURE_WORKSPACE = path.join(ROOT, 'test', 'fixtures', 'workspace');
/** The full corpora, inside the repository: a fresh clone needs nothing beside it. */
export const CORPUS_DATA = path.join(ROOT, 'test', 'fixtures', 'data');
export const FIXTURE_FILE = 'timemachine-excerpt.txt';

/** Copies the fixture workspace to `target` (which must not exist yet) and returns `target`. */
export function makeWorkspace(target: string, options: { withFullCorpora?: boolean } = {}): string {
  // Runs left in the fixture by hand (a person training there) must not leak into a test's workspace.
  const skip = path.join(FIXTURE_WORKSPACE, '.seqlab');
  fs.cpSync(FIXTURE_WORKSPACE, target, { recursive: true, errorOnExist: true, force: false, filter: (src) => src !== skip });
  if (options.withFullCorpora) {
    for (const name of fs.readdirSync(CORPUS_DATA).filter((n) => n.endsWith('.txt'))) {
      fs.copyFileSync(path.join(CORPUS_DATA, name), path.join(target, name));
    }
  }
  return target;
}

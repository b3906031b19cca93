/**
 * Workspaces for the workbench: a fresh copy of test/fixtures/workspace (a short excerpt of The Time
 * Machine, so training in tests takes seconds), plus, for people, the full sample corpora when the
 * project's shared data folder sits beside the repository.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './workbench';

export const FIXTURE_WORKSPACE = path.join(ROOT, 'test', 'fixtures', 'workspace');
/** The corpora a fresh clone finds beside it on the project's machines (../shared/data). */
export const SHARED_DATA = path.resolve(ROOT, '..', 'shared', 'data');
export const FIXTURE_FILE = 'timemachine-excerpt.txt';

/** Copies the fixture workspace to `target` (which must not exist yet) and returns `target`. */
export function makeWorkspace(target: string, options: { withSharedCorpora?: boolean } = {}): string {
  // Runs left in the fixture by hand (a person training there) must not leak into a test's workspace.
  const skip = path.join(FIXTURE_WORKSPACE, '.seqlab');
  fs.cpSync(FIXTURE_WORKSPACE, target, { recursive: true, errorOnExist: true, force: false, filter: (src) => src !== skip });
  if (options.withSharedCorpora && fs.existsSync(SHARED_DATA)) {
    for (const name of fs.readdirSync(SHARED_DATA).filter((n) => n.endsWith('.txt'))) {
      fs.copyFileSync(path.join(SHARED_DATA, name), path.join(target, name));
    }
  }
  return target;
}

/**
 * Adds up the suites' results for the closing line. A suite that was expected and left no results
 * (it crashed, or mocha died while loading a test file) counts as one failed test named after it, and
 * so does a stage that exited non-zero with no failure recorded: the closing line must never read
 * "0 failed" while something failed.
 */
import { count, type SuiteResults } from './results';

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
  /** One line per suite, then one per stage that failed without saying so. */
  lines: string[];
  /** What failed without a test to show for it: missing results, a crashed stage, a suite that ran no test. */
  problems: string[];
  /** The closing line: "tests: N passed, N failed, N skipped". */
  closing: string;
  exitCode: 0 | 1;
}

/**
 * @param expected the suites expected to have written results, e.g. `unit`, `integration-code-server-main`
 * @param read returns a suite's results, or undefined if it left none (or an unreadable file)
 * @param stageExits each stage's exit code; a stage's suites are those named after it (`integration` holds
 *   `integration-*`)
 */
export function tallySuites(expected: readonly string[], read: (suite: string) => SuiteResults | undefined, stageExits: Readonly<Record<string, number>> = {}): Tally {
  const t = { passed: 0, failed: 0, skipped: 0, lines: [] as string[], problems: [] as string[] };
  const failedIn = new Map<string, number>();
  for (const name of expected) {
    const suite = read(name);
    if (!suite) {
      t.lines.push(`  ${name.padEnd(34)} NO RESULTS: the suite crashed or did not run to its end (counted as 1 failed)`);
      t.problems.push(`${name}: no results`);
      t.failed += 1;
      failedIn.set(name, 1);
      continue;
    }
    if (suite.notRun) {
      t.lines.push(`  ${name.padEnd(34)} ${suite.notRun}`);
      continue;
    }
    const p = count(suite.results, 'passed');
    const f = count(suite.results, 'failed');
    const s = count(suite.results, 'skipped');
    t.passed += p;
    t.failed += f;
    t.skipped += s;
    failedIn.set(name, f);
    if (p + f === 0) t.problems.push(`${name}: ran no test`);
    t.lines.push(`  ${name.padEnd(34)} ${p} passed, ${f} failed, ${s} skipped${p + f === 0 ? '  (RAN NO TEST)' : ''}  ${(suite.durationMs / 1000).toFixed(0)} s`);
  }
  for (const [stage, code] of Object.entries(stageExits)) {
    if (code === 0) continue;
    const suites = expected.filter((name) => name === stage || name.startsWith(`${stage}-`));
    if (suites.some((name) => (failedIn.get(name) ?? 0) > 0)) continue;
    t.lines.push(`  ${`${stage} (stage)`.padEnd(34)} EXITED WITH CODE ${code} and recorded no failure (counted as 1 failed)`);
    t.problems.push(`${stage}: exited with code ${code}`);
    t.failed += 1;
  }
  const closing = `tests: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
  return { ...t, closing, exitCode: t.failed === 0 && t.problems.length === 0 ? 0 : 1 };
}

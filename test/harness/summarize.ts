/**
 * Adds up every suite's results file in test-results/ and prints one line per suite, then the closing
 * line "tests: N passed, N failed, N skipped". Exits 1 if a test failed, an expected suite left no
 * results, or a suite that ran counted no test.
 *   node out/test/harness/summarize.js unit integration-code-server-main ...
 */
import * as path from 'node:path';
import { count, readResults } from './results';
import { RESULTS_DIR } from './workbench';

function main(expected: string[]): number {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  let problems = 0;
  console.log('\nSummary');
  for (const name of expected) {
    const suite = readResults(path.join(RESULTS_DIR, `${name}.json`));
    if (!suite) {
      console.log(`  ${name.padEnd(34)} NO RESULTS: the suite did not run to its end`);
      problems += 1;
      continue;
    }
    if (suite.notRun) {
      console.log(`  ${name.padEnd(34)} ${suite.notRun}`);
      continue;
    }
    const p = count(suite.results, 'passed');
    const f = count(suite.results, 'failed');
    const s = count(suite.results, 'skipped');
    passed += p;
    failed += f;
    skipped += s;
    if (p + f === 0) problems += 1;
    console.log(`  ${name.padEnd(34)} ${p} passed, ${f} failed, ${s} skipped${p + f === 0 ? '  (RAN NO TEST)' : ''}  ${(suite.durationMs / 1000).toFixed(0)} s`);
  }
  console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed === 0 && problems === 0 ? 0 : 1;
}

process.exit(main(process.argv.slice(2)));

/**
 * Adds up every suite's results file in test-results/ and prints one line per suite, then the closing
 * line "tests: N passed, N failed, N skipped". A suite that left no results, or a stage that exited
 * non-zero without recording a failure, counts as one failed test (see tally.ts). Exits 1 if anything
 * failed or a suite that ran counted no test.
 *   node out/test/harness/summarize.js [--exit STAGE=CODE ...] unit integration-code-server-main ...
 */
import * as path from 'node:path';
import { readResults } from './results';
import { tallySuites } from './tally';
import { RESULTS_DIR } from './workbench';

function main(args: string[]): number {
  const expected: string[] = [];
  const stageExits: Record<string, number> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--exit') {
      const [stage, code] = (args[++i] ?? '').split('=');
      stageExits[stage] = Number(code);
    } else {
      expected.push(args[i]);
    }
  }
  const tally = tallySuites(expected, (name) => readResults(path.join(RESULTS_DIR, `${name}.json`)), stageExits);
  console.log('\nSummary');
  for (const line of tally.lines) console.log(line);
  if (tally.problems.length) console.log(`  problems: ${tally.problems.join('; ')}`);
  console.log(tally.closing);
  return tally.exitCode;
}

process.exit(main(process.argv.slice(2)));

/**
 * The test module an extension host runs (`extensionTestsPath`), in code-server's host or a desktop
 * VS Code's. SEQLAB_INTEGRATION_SUITE picks the suite: `main` (*.test.js here, trusted workspace) or
 * `untrusted` (untrusted/*.test.js). Results go to SEQLAB_RESULTS_FILE through the results reporter.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import ResultsReporter = require('../harness/resultsReporter');

export async function run(): Promise<void> {
  const suite = process.env.SEQLAB_INTEGRATION_SUITE === 'untrusted' ? 'untrusted' : 'main';
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 120_000, reporter: ResultsReporter });
  const dir = suite === 'main' ? __dirname : path.join(__dirname, 'untrusted');
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) throw new Error(`no tests in ${dir}`);
  for (const file of files) mocha.addFile(path.join(dir, file));
  await mocha.loadFilesAsync();
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} integration test(s) failed`);
}

import * as assert from 'node:assert/strict';
import type { SuiteResults, TestResult } from '../harness/results';
import { tallySuites } from '../harness/tally';

function suite(name: string, passed: number, failed: number, skipped = 0): SuiteResults {
  const results: TestResult[] = [
    ...Array.from({ length: passed }, (_, i) => ({ title: `p${i}`, state: 'passed' as const })),
    ...Array.from({ length: failed }, (_, i) => ({ title: `f${i}`, state: 'failed' as const })),
    ...Array.from({ length: skipped }, (_, i) => ({ title: `s${i}`, state: 'skipped' as const })),
  ];
  return { suite: name, results, durationMs: 1500 };
}

function reader(suites: SuiteResults[]): (name: string) => SuiteResults | undefined {
  return (name) => suites.find((s) => s.suite === name);
}

describe("the test summary's closing line", () => {
  it('adds up the passed, failed and skipped tests of every suite', () => {
    const t = tallySuites(['unit', 'e2e'], reader([suite('unit', 10, 0, 1), suite('e2e', 5, 2)]), { unit: 0, e2e: 2 });
    assert.equal(t.closing, 'tests: 15 passed, 2 failed, 1 skipped');
    assert.equal(t.exitCode, 1);
    assert.deepEqual(t.problems, []);
  });

  it('passes when every suite passed', () => {
    const t = tallySuites(['unit'], reader([suite('unit', 3, 0)]), { unit: 0 });
    assert.equal(t.closing, 'tests: 3 passed, 0 failed, 0 skipped');
    assert.equal(t.exitCode, 0);
  });

  it('counts a suite that left no results as one failed test, and names it', () => {
    const t = tallySuites(['unit', 'integration-code-server-main', 'e2e'], reader([suite('e2e', 53, 0)]), { unit: 1, integration: 1, e2e: 0 });
    assert.equal(t.closing, 'tests: 53 passed, 2 failed, 0 skipped');
    assert.deepEqual(t.problems, ['unit: no results', 'integration-code-server-main: no results']);
    assert.equal(t.exitCode, 1);
    assert.match(t.lines[0], /^ {2}unit +NO RESULTS/);
  });

  it('counts a stage that exited non-zero with no failure recorded as one failed test', () => {
    // mocha died after its reporter wrote a file, or a launcher failed after its suites passed
    const t = tallySuites(['unit', 'integration-a', 'integration-b'], reader([suite('unit', 4, 0), suite('integration-a', 2, 0), suite('integration-b', 1, 0)]), {
      unit: 0,
      integration: 3,
    });
    assert.equal(t.closing, 'tests: 7 passed, 1 failed, 0 skipped');
    assert.deepEqual(t.problems, ['integration: exited with code 3']);
  });

  it('adds nothing for a failed stage whose failures are already counted', () => {
    const t = tallySuites(['integration-a', 'integration-b'], reader([suite('integration-a', 2, 0), suite('integration-b', 1, 1)]), { integration: 1 });
    assert.equal(t.closing, 'tests: 3 passed, 1 failed, 0 skipped');
    assert.equal(t.exitCode, 1);
  });

  it('fails a suite that ran no test without counting a failure, and accepts a suite that could not run here', () => {
    const notRun: SuiteResults = { suite: 'integration-desktop-main', results: [], durationMs: 0, notRun: 'NOT RUN: no desktop VS Code here' };
    const t = tallySuites(['unit', 'integration-desktop-main'], reader([suite('unit', 0, 0), notRun]), { unit: 0, integration: 0 });
    assert.equal(t.closing, 'tests: 0 passed, 0 failed, 0 skipped');
    assert.deepEqual(t.problems, ['unit: ran no test']);
    assert.equal(t.exitCode, 1);
    const ok = tallySuites(['integration-desktop-main'], reader([notRun]), { integration: 0 });
    assert.equal(ok.exitCode, 0);
  });
});

/**
 * Test results as files: every suite (unit, integration in each host, end-to-end) writes one, and the
 * summary reads them all. The extension host cannot hand its results back any other way: its exit
 * code is 0 even when the tests threw.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type TestState = 'passed' | 'failed' | 'skipped';

export interface TestResult {
  readonly title: string;
  readonly state: TestState;
  readonly durationMs?: number;
  /** The failure's message and stack, or why the test was skipped. */
  readonly detail?: string;
}

export interface SuiteResults {
  readonly suite: string;
  readonly results: TestResult[];
  readonly durationMs: number;
  /** Set when the suite could not run at all; its tests are then not in `results`. */
  readonly notRun?: string;
}

export function writeResults(file: string, results: SuiteResults): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}

export function readResults(file: string): SuiteResults | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as SuiteResults;
  } catch {
    return undefined;
  }
}

export function count(results: readonly TestResult[], state: TestState): number {
  return results.filter((r) => r.state === state).length;
}

/** Prints results gathered elsewhere (the extension host) the way mocha's spec reporter would. */
export function printResults(suite: SuiteResults, log: (line: string) => void = console.log): void {
  log(`\n  ${suite.suite}`);
  for (const r of suite.results) {
    const mark = r.state === 'passed' ? '✔' : r.state === 'failed' ? '✘' : '-';
    const time = r.durationMs !== undefined && r.durationMs > 75 ? ` (${r.durationMs}ms)` : '';
    log(`    ${mark} ${r.title}${time}${r.state === 'skipped' ? ' (skipped)' : ''}`);
  }
  for (const r of suite.results.filter((x) => x.state === 'failed')) {
    log(`\n  FAILED: ${r.title}\n${indent(r.detail ?? '')}`);
  }
  log(
    `\n  ${count(suite.results, 'passed')} passing, ${count(suite.results, 'failed')} failing, ${count(suite.results, 'skipped')} skipped (${(suite.durationMs / 1000).toFixed(1)} s)`,
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');
}

/**
 * A mocha reporter: spec output on the console, and the results written to the file named by the
 * reporter option `output` or by SEQLAB_RESULTS_FILE, so the summary can add every suite up.
 *   mocha --reporter out/test/harness/resultsReporter.js --reporter-option output=test-results/unit.json
 */
import Mocha from 'mocha';
import { writeResults, type TestResult } from './results';

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

class ResultsReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const reporterOptions = (options?.reporterOptions ?? {}) as { output?: string; suite?: string };
    const output = reporterOptions.output ?? process.env.SEQLAB_RESULTS_FILE;
    const suite = reporterOptions.suite ?? process.env.SEQLAB_RESULTS_SUITE ?? 'tests';
    const results: TestResult[] = [];
    const started = Date.now();
    runner.on(EVENT_TEST_PASS, (test) => results.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration }));
    // A failing hook arrives here too, as a "test" titled after the hook: it counts as a failure.
    runner.on(EVENT_TEST_FAIL, (test, err: Error) => results.push({ title: test.fullTitle(), state: 'failed', durationMs: test.duration, detail: err?.stack ?? String(err) }));
    runner.on(EVENT_TEST_PENDING, (test) => results.push({ title: test.fullTitle(), state: 'skipped', detail: 'marked pending' }));
    runner.once(EVENT_RUN_END, () => {
      if (output) writeResults(output, { suite, results, durationMs: Date.now() - started });
    });
  }
}

export = ResultsReporter;

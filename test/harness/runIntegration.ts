/**
 * Runs the extension integration tests (test/integration) inside a real extension host, twice each:
 * the main suite in a trusted workspace and the untrusted suite in an untrusted one.
 *   - code-server host: the VS Code server carried by code-server, its workbench opened in Chromium.
 *     Always runs: everything it needs installs from the npm registry and Debian.
 *   - desktop host: @vscode/test-electron, where a desktop VS Code is installed (VSCODE_EXECUTABLE_PATH)
 *     or may be downloaded (SEQLAB_VSCODE_DOWNLOAD=1); under Xvfb when there is no display. Otherwise
 *     it says loudly that it did not run.
 * Results go to test-results/integration-<host>-<suite>.json; the exit code is 1 if any test failed
 * or a suite produced no results.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launchChromium } from './browser';
import { formatLoopReport, readLoopReport } from './eventLoopReport';
import { startService, tail, waitFor, type Service } from './processes';
import { count, printResults, readResults, writeResults, type SuiteResults } from './results';
import { makeWorkspace } from './sampleWorkspace';
import { EXTENSION_ROOT, makeProfile, RESULTS_DIR, ROOT, scratchDir, startTestServer, testRunUrl } from './workbench';

type SuiteName = 'main' | 'untrusted';
const SUITES: readonly SuiteName[] = ['main', 'untrusted'];
const TESTS_MODULE = path.join(ROOT, 'out', 'test', 'integration', 'index.js');
/** A bound on one suite, far above its normal time, so a hang fails instead of eating CI's budget. */
const SUITE_TIMEOUT_MS = Number(process.env.SEQLAB_SUITE_TIMEOUT_MS ?? 15 * 60_000);

function resultsFile(host: string, suite: SuiteName): string {
  return path.join(RESULTS_DIR, `integration-${host}-${suite}.json`);
}

function suiteEnv(host: string, suite: SuiteName): Record<string, string> {
  return { SEQLAB_INTEGRATION_SUITE: suite, SEQLAB_RESULTS_FILE: resultsFile(host, suite), SEQLAB_RESULTS_SUITE: `integration (${host}, ${suite})` };
}

// ---------------------------------------------------------------- code-server host

async function runInCodeServer(suite: SuiteName, scratch: string): Promise<SuiteResults> {
  const host = 'code-server';
  const output = resultsFile(host, suite);
  fs.rmSync(output, { force: true });
  const workspace = makeWorkspace(path.join(scratch, `workspace-${suite}`));
  const profile = makeProfile(path.join(scratch, `profile-${suite}`));
  const server = await startTestServer({ profile, trusted: suite === 'main', env: suiteEnv(host, suite) });
  const browser = await launchChromium();
  const started = Date.now();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(testRunUrl(server, workspace, TESTS_MODULE));
    // The extension host exits when run() settles; its results file is the only reliable verdict.
    return await waitFor(
      `the ${suite} suite's results (${output})`,
      () => {
        const results = readResults(output);
        if (results) return results;
        if (/Extension Host Process exited/.test(safeRead(server.service.logFile)) && Date.now() - started > 5000) {
          // Give the file a moment after the exit, then report the host's log instead of waiting on.
          return waitAfterExit(output, server.service.logFile, suite);
        }
        return undefined;
      },
      SUITE_TIMEOUT_MS,
      500,
    ).catch(async (err: Error) => {
      await page.screenshot({ path: path.join(RESULTS_DIR, `integration-${host}-${suite}.png`) }).catch(() => undefined);
      return crashed(host, suite, started, `${err.message}\nserver log:\n${tail(server.service.logFile)}`);
    });
  } finally {
    await browser.close();
    await server.stop();
  }
}

async function waitAfterExit(output: string, log: string, suite: SuiteName): Promise<SuiteResults> {
  await new Promise((r) => setTimeout(r, 2000));
  const results = readResults(output);
  if (results) return results;
  throw new Error(`the extension host exited without writing the ${suite} suite's results\n${tail(log)}`);
}

function crashed(host: string, suite: SuiteName, started: number, detail: string): SuiteResults {
  const results: SuiteResults = {
    suite: `integration (${host}, ${suite})`,
    durationMs: Date.now() - started,
    results: [{ title: `the ${suite} suite ran to the end in the ${host} extension host`, state: 'failed', detail }],
  };
  writeResults(resultsFile(host, suite), results);
  return results;
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------- desktop host (@vscode/test-electron)

async function runInDesktop(suite: SuiteName, scratch: string): Promise<SuiteResults> {
  const host = 'desktop';
  const output = resultsFile(host, suite);
  fs.rmSync(output, { force: true });
  let executable = process.env.VSCODE_EXECUTABLE_PATH;
  if (!executable && process.env.SEQLAB_VSCODE_DOWNLOAD !== '1') {
    const results: SuiteResults = {
      suite: `integration (${host}, ${suite})`,
      durationMs: 0,
      results: [],
      notRun:
        'NOT RUN: no desktop VS Code here (set VSCODE_EXECUTABLE_PATH to an installed one, or SEQLAB_VSCODE_DOWNLOAD=1 where ' +
        'VS Code can be downloaded). The same tests ran in the code-server extension host above.',
    };
    writeResults(output, results);
    return results;
  }
  const { downloadAndUnzipVSCode, runTests } = await import('@vscode/test-electron');
  executable ??= await downloadAndUnzipVSCode();
  const workspace = makeWorkspace(path.join(scratch, `desktop-workspace-${suite}`));
  const profile = makeProfile(path.join(scratch, `desktop-profile-${suite}`));
  const display = await ensureDisplay(scratch);
  const started = Date.now();
  try {
    const profileArgs = ['--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir];
    if (suite === 'main') {
      await runTests({
        vscodeExecutablePath: executable,
        extensionDevelopmentPath: EXTENSION_ROOT,
        extensionTestsPath: TESTS_MODULE,
        extensionTestsEnv: suiteEnv(host, suite),
        launchArgs: [workspace, '--disable-extensions', ...profileArgs],
      });
    } else {
      // runTests always adds --disable-workspace-trust; the untrusted suite needs trust left on.
      await runDesktop(
        executable,
        [
          workspace,
          '--disable-extensions',
          ...profileArgs,
          '--no-sandbox',
          '--disable-gpu-sandbox',
          '--disable-updates',
          '--skip-welcome',
          '--skip-release-notes',
          `--extensionDevelopmentPath=${EXTENSION_ROOT}`,
          `--extensionTestsPath=${TESTS_MODULE}`,
        ],
        suiteEnv(host, suite),
      );
    }
  } catch (err) {
    // A failing test makes VS Code exit non-zero; the results file says which. Without one, the host itself failed.
    if (!readResults(output)) return crashed(host, suite, started, String(err));
  } finally {
    await display?.stop();
  }
  return readResults(output) ?? crashed(host, suite, started, 'VS Code exited without writing results');
}

/** Runs a desktop VS Code to its exit, its output passed through. */
function runDesktop(executable: string, args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`VS Code exited with ${code ?? signal}`))));
  });
}

/** A desktop VS Code needs a display: where there is none, a virtual one (Xvfb, which setup.sh installs). */
async function ensureDisplay(scratch: string): Promise<Service | undefined> {
  if (process.platform !== 'linux' || process.env.DISPLAY) return undefined;
  const number = 90 + Math.floor(Math.random() * 9);
  const xvfb = startService('Xvfb', [`:${number}`, '-screen', '0', '1400x900x24', '-nolisten', 'tcp'], path.join(scratch, 'xvfb.log'));
  await new Promise((r) => setTimeout(r, 1000));
  if (xvfb.process.exitCode !== null) throw new Error(`Xvfb did not start:\n${tail(xvfb.logFile)}`);
  process.env.DISPLAY = `:${number}`;
  return xvfb;
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  if (!fs.existsSync(TESTS_MODULE)) throw new Error(`${TESTS_MODULE} is missing: run \`npm run compile-tests\` first`);
  const scratch = scratchDir('integration');
  const only = process.env.SEQLAB_INTEGRATION_HOSTS?.split(',') ?? ['code-server', 'desktop'];
  let failed = 0;
  for (const [host, run] of [
    ['code-server', runInCodeServer],
    ['desktop', runInDesktop],
  ] as const) {
    if (!only.includes(host)) {
      console.log(`\n  integration (${host}): NOT RUN: excluded by SEQLAB_INTEGRATION_HOSTS=${process.env.SEQLAB_INTEGRATION_HOSTS}`);
      continue;
    }
    for (const suite of SUITES) {
      const results = await run(suite, scratch);
      if (results.notRun) {
        console.log(`\n  ${results.suite}: ${results.notRun}`);
        continue;
      }
      printResults(results);
      if (results.results.length === 0) {
        console.log(`  ${results.suite}: ran no test, which counts as a failure`);
        failed += 1;
      }
      failed += count(results.results, 'failed');
    }
  }
  // The extension logs how its event loop fared during every run; the brief's budget is 50 ms.
  console.log(`\n${formatLoopReport('integration', readLoopReport(scratch))}`);
  // Kept on failure: the servers' logs and the workspaces with their run folders are in it.
  if (failed === 0 && !process.env.SEQLAB_KEEP_SCRATCH) fs.rmSync(scratch, { recursive: true, force: true });
  else console.log(`\n  logs and workspaces kept in ${scratch}`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? String(err));
    process.exit(1);
  },
);

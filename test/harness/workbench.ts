/**
 * A real VS Code, offline: code-server (VS Code's workbench in the browser, with its remote extension
 * host on this machine) or the plain VS Code server it carries, started with a fresh profile and the
 * extension loaded straight from this repository. test/harness/setup.sh installs both and exports
 * their paths (SEQLAB_NODE24, SEQLAB_CODE_SERVER).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, startService, waitForHttp, type Service } from './processes';

/** The repository. */
export const ROOT = path.resolve(__dirname, '../../..');
/**
 * The extension the workbench loads: this repository, or another copy of it (a build to compare, or a
 * deliberately broken one, to see that the tests catch it).
 */
export const EXTENSION_ROOT = path.resolve(process.env.SEQLAB_EXTENSION_ROOT ?? ROOT);
export const RESULTS_DIR = path.join(ROOT, 'test-results');

interface Tools {
  node24: string;
  codeServer: string;
}

function tools(): Tools {
  const node24 = process.env.SEQLAB_NODE24;
  const codeServer = process.env.SEQLAB_CODE_SERVER;
  if (!node24 || !codeServer || !fs.existsSync(node24) || !fs.existsSync(codeServer)) {
    throw new Error('code-server is not set up: run `bash test/harness/setup.sh` and source the env file it prints (npm test and npm start do both)');
  }
  return { node24, codeServer };
}

/** The extension's id as VS Code names its folder in an extensions directory. */
function extensionFolderName(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  return `${pkg.publisher}.${pkg.name}-${pkg.version}`;
}

/** Settings that keep a test workbench quiet and deterministic: no welcome page, no chat, no update checks. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'telemetry.telemetryLevel': 'off',
  'git.enabled': false,
  'window.restoreWindows': 'none',
};

export interface Profile {
  readonly dir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
}

/**
 * A user-data and extensions folder in `dir` (created if missing; the settings file is written only
 * once, so a person's own changes in a kept profile survive). The extensions folder links to this
 * repository, so the workbench runs the extension as built in dist/ (reload the window after a rebuild).
 */
export function makeProfile(dir: string, userSettings: Record<string, unknown> = {}): Profile {
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  if (!fs.existsSync(settingsFile)) fs.writeFileSync(settingsFile, JSON.stringify({ ...QUIET_SETTINGS, ...userSettings }, null, 2) + '\n');
  const link = path.join(extensionsDir, extensionFolderName());
  fs.rmSync(link, { force: true });
  fs.symlinkSync(EXTENSION_ROOT, link, 'dir');
  return { dir, userDataDir, extensionsDir };
}

export interface RunningWorkbench {
  readonly url: string;
  readonly port: number;
  readonly service: Service;
  readonly profile: Profile;
  stop(): Promise<void>;
}

export interface CodeServerOptions {
  readonly workspace: string;
  readonly profile: Profile;
  /** Defaults to a free port. */
  readonly port?: number;
  /** False leaves workspace trust on, so the folder opens untrusted. */
  readonly trusted?: boolean;
}

/** code-server, the workbench a person uses: the extension installed from the profile's extensions folder. */
export async function startCodeServer(options: CodeServerOptions): Promise<RunningWorkbench> {
  const { node24, codeServer } = tools();
  const port = options.port ?? (await freePort());
  const { profile } = options;
  // An explicit config file: code-server would otherwise write one into the user's ~/.config.
  const config = path.join(profile.dir, 'code-server.yaml');
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    path.join(codeServer, 'out', 'node', 'entry.js'),
    '--config',
    config,
    '--user-data-dir',
    profile.userDataDir,
    '--extensions-dir',
    profile.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(options.trusted === false ? [] : ['--disable-workspace-trust']),
    options.workspace,
  ];
  const service = startService(node24, args, path.join(profile.dir, 'code-server.log'), serverEnv());
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(`${url}healthz`, service, 60_000);
  return { url, port, service, profile, stop: () => service.stop() };
}

export interface TestServerOptions {
  readonly profile: Profile;
  readonly trusted: boolean;
  /** Extra environment for the extension host (the test module reads its settings from there). */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The plain VS Code server inside code-server, with the smoke-test driver enabled: only that honours
 * the `extensionDevelopmentPath`/`extensionTestsPath` payload that runs a test module in the extension
 * host, as `@vscode/test-electron` does on the desktop.
 */
/**
 * Built-in extensions the test server leaves out: Sequence Lab does not use them, and their first
 * load, set off by a test opening a run's README.md, shares the extension host's loop with it.
 * (`--disable-extensions` leaves built-ins on and, when given, makes the server ignore every
 * `--disable-extension <id>`; VSCODE_SKIP_BUILTIN_EXTENSIONS is read by the server's scanner.)
 */
const SKIPPED_BUILTINS = ['vscode.markdown-language-features', 'vscode.markdown-math', 'vscode.mermaid-markdown-features'];

export async function startTestServer(options: TestServerOptions): Promise<RunningWorkbench> {
  const { node24, codeServer } = tools();
  const port = await freePort();
  const { profile } = options;
  const args = [
    path.join(codeServer, 'lib', 'vscode', 'out', 'server-main.js'),
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--disable-telemetry',
    // Only the extension under test runs, as @vscode/test-electron's --disable-extensions does on the
    // desktop: built-in extensions activating mid-test (markdown's, once) held the shared extension
    // host's loop for 120 ms, inside the figure that measures Sequence Lab's own work.
    '--disable-extensions',
    '--user-data-dir',
    profile.userDataDir,
    '--server-data-dir',
    path.join(profile.dir, 'server-data'),
    '--extensions-dir',
    profile.extensionsDir,
    ...(options.trusted ? ['--disable-workspace-trust'] : []),
  ];
  // Markdown's built-ins activate when a test opens a run's README.md; their first load (module compile,
  // markdown-it and KaTeX set-up: 107 ms and 52 ms of the loop's CPU in a profile) landed inside the
  // next training run: VS Code's work, not Sequence Lab's.
  const env = { ...serverEnv(), VSCODE_SKIP_BUILTIN_EXTENSIONS: SKIPPED_BUILTINS.join(','), ...options.env };
  const service = startService(node24, args, path.join(profile.dir, 'vscode-server.log'), env);
  const url = `http://127.0.0.1:${port}/`;
  await waitForHttp(url, service, 60_000);
  return { url, port, service, profile, stop: () => service.stop() };
}

/** The address that opens `folder` and runs `testsModule` in the extension host of a test server. */
export function testRunUrl(server: RunningWorkbench, folder: string, testsModule: string): string {
  const remote = (p: string): string => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = JSON.stringify([
    ['extensionDevelopmentPath', remote(EXTENSION_ROOT)],
    ['extensionTestsPath', remote(testsModule)],
  ]);
  return `${server.url}?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(payload)}`;
}

/** The servers' environment: the harness's own, less what would point them at this machine's real profile. */
function serverEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.VSCODE_IPC_HOOK_CLI;
  delete env.ELECTRON_RUN_AS_NODE;
  return env;
}

/** A scratch folder for one harness run, under the system's temporary folder. */
export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `seqlab-${prefix}-`));
}

/**
 * One training worker: a forked Node process speaking `protocol/worker.ts` over IPC. A separate process
 * (not a thread) so that a native crash, an "Illegal instruction" from tfjs-node or an out-of-memory kill
 * ends only the worker; the host hears about it through `onDidExit` with the exit code, signal and the
 * last lines the worker wrote to stderr.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { WORKER_PROTOCOL_VERSION, isWorkerToHost, type HostToWorker, type WorkerToHost } from '../../protocol/worker';
import { Disposable } from '../base/dispose';
import { Emitter } from '../base/event';
import type { Logger } from '../base/logger';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines of the worker's stderr, for the failure reason. */
  stderrTail: string[];
  /** Set when the process could not be started at all. */
  spawnError?: string;
}

/** Starts the worker process; tests pass a fake worker script. */
export type WorkerSpawner = () => ChildProcess;

export function workerSpawner(scriptPath: string, extraEnv: Record<string, string> = {}): WorkerSpawner {
  return () =>
    fork(scriptPath, [], {
      // Inside VS Code `process.execPath` is Electron: this makes it behave as plain Node (as language servers do).
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...extraEnv },
      // The extension host's own flags (inspector ports, loaders) must not leak into the worker.
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
}

/** "crashed (signal SIGSEGV)", "exited with code 1", ... in words for the user. */
export function describeExit(exit: Pick<WorkerExit, 'code' | 'signal' | 'spawnError'>): string {
  if (exit.spawnError) return `could not be started (${exit.spawnError})`;
  if (exit.signal === 'SIGKILL') return 'was killed (signal SIGKILL: out of memory, or ended by the system)';
  if (exit.signal === 'SIGILL') return 'crashed (signal SIGILL: the CPU lacks an instruction the native backend needs; set sequenceLab.backend to "wasm")';
  if (exit.signal) return `crashed (signal ${exit.signal})`;
  if (exit.code === 134) return 'aborted (exit code 134, often out of memory)';
  return `exited unexpectedly with code ${exit.code}`;
}

const TAIL_LINES = 20;
/** `nice` value of worker processes (Windows maps it to below-normal priority). */
const WORKER_NICENESS = 10;

export class WorkerProcess extends Disposable {
  private readonly _onDidReceive = this._register(new Emitter<WorkerToHost>());
  readonly onDidReceive = this._onDidReceive.event;
  private readonly _onDidExit = this._register(new Emitter<WorkerExit>());
  readonly onDidExit = this._onDidExit.event;

  private readonly child: ChildProcess;
  private readonly stderrTail: string[] = [];
  private stderrPartial = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null; spawnError?: string } | undefined;
  private exited = false;
  private released = false;
  private helloResolve?: (version: number) => void;
  /** When the worker last sent anything (performance.now()): its heartbeat, for the supervision. */
  lastHeardAt = performance.now();
  /** Resolves with the worker's protocol version when it says hello. */
  readonly hello: Promise<number>;

  constructor(
    spawn: WorkerSpawner,
    private readonly log: Logger,
    private readonly label: string,
  ) {
    super();
    this.hello = new Promise((resolve) => (this.helloResolve = resolve));
    this.child = spawn();
    // Below normal priority: on a small machine the editor (and this event loop) stays responsive
    // while training takes whatever CPU is left.
    if (this.child.pid !== undefined) {
      try {
        os.setPriority(this.child.pid, WORKER_NICENESS);
      } catch {
        // Not permitted on this system: train at normal priority.
      }
    }
    this.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) this.log.info(`[${this.label}] ${line}`);
    });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.onStderr(chunk));
    this.child.on('message', (raw) => this.onMessage(raw));
    this.child.on('error', (err) => {
      // 'error' means the process could not be spawned or could not be killed; only the first matters here.
      this.log.error(`[${this.label}] process error: ${err.message}`);
      if (this.child.pid === undefined) {
        this.exitInfo = { code: null, signal: null, spawnError: err.message };
        this.finish();
      }
    });
    this.child.on('exit', (code, signal) => {
      this.exitInfo = { code, signal };
    });
    // 'close' comes after 'exit' once stdio has drained, so the stderr tail is complete.
    this.child.on('close', (code, signal) => {
      this.exitInfo ??= { code, signal };
      this.finish();
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get isAlive(): boolean {
    return !this.exited;
  }

  /** Sends a message; false when the channel is gone (the exit event will follow). */
  send(msg: HostToWorker): boolean {
    if (this.exited || !this.child.connected) return false;
    try {
      this.child.send(msg);
      return true;
    } catch (e) {
      this.log.warn(`[${this.label}] send failed: ${(e as Error).message}`);
      return false;
    }
  }

  /** Waits for hello; resolves false if it does not come within `timeoutMs` or the worker exits first. */
  async waitForHello(timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const exited = new Promise<'exit'>((resolve) => {
      if (this.exited) resolve('exit');
      else this._register(this.onDidExit(() => resolve('exit')));
    });
    const result = await Promise.race([this.hello, timeout, exited]);
    clearTimeout(timer);
    if (result === 'timeout') return { ok: false, reason: `the training process did not answer within ${Math.round(timeoutMs / 1000)} s` };
    if (result === 'exit') return { ok: false, reason: 'the training process exited while starting' };
    if (result !== WORKER_PROTOCOL_VERSION) {
      return { ok: false, reason: `the training process speaks protocol version ${result}, the extension ${WORKER_PROTOCOL_VERSION}: reinstall the extension` };
    }
    return { ok: true };
  }

  /** Ends the process: SIGTERM, or SIGKILL when it must go now. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.exited) {
      this.log.warn(`[${this.label}] killing process ${this.child.pid} (${signal})`);
      this.child.kill(signal);
    }
  }

  /**
   * Lets go of a training worker when the extension host shuts down: closing the IPC channel tells it
   * to stop after the current step with a checkpoint and exit on its own (killing it would lose the
   * steps since the last checkpoint). If this process outlives the grace period, it kills the worker.
   */
  release(graceMs: number): void {
    if (this.exited) return;
    this.released = true;
    try {
      this.child.disconnect();
    } catch {
      // Already disconnected.
    }
    this.child.unref();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    setTimeout(() => this.kill(), graceMs).unref();
    super.dispose();
  }

  override dispose(): void {
    if (!this.released) this.kill();
    super.dispose();
  }

  private onMessage(msg: unknown): void {
    this.lastHeardAt = performance.now();
    if (!isWorkerToHost(msg)) {
      this.log.warn(`[${this.label}] dropped malformed message: ${JSON.stringify(msg)?.slice(0, 300)}`);
      return;
    }
    if (msg.type === 'hello') {
      this.helloResolve?.(msg.version);
      return;
    }
    // A sign of life only: `lastHeardAt` has it.
    if (msg.type === 'heartbeat') return;
    this._onDidReceive.fire(msg);
  }

  private onStderr(chunk: string): void {
    const lines = (this.stderrPartial + chunk).split('\n');
    this.stderrPartial = lines.pop() ?? '';
    for (const line of lines) this.pushStderr(line);
  }

  private pushStderr(line: string): void {
    if (!line.trim()) return;
    this.log.warn(`[${this.label}] ${line}`);
    this.stderrTail.push(line.slice(0, 500));
    if (this.stderrTail.length > TAIL_LINES) this.stderrTail.shift();
  }

  private finish(): void {
    if (this.exited) return;
    this.exited = true;
    if (this.stderrPartial) this.pushStderr(this.stderrPartial);
    const info = this.exitInfo ?? { code: null, signal: null };
    this.log.info(`[${this.label}] process exited (code ${info.code}, signal ${info.signal})`);
    this._onDidExit.fire({ ...info, stderrTail: [...this.stderrTail] });
  }
}

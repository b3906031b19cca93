/**
 * Child processes for the harness: servers started in their own process group (so stopping one also
 * stops the extension hosts and helpers it forked), their output kept in a log file, and waits that
 * give up with a reason instead of hanging.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';

export interface Service {
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Stops the whole process group; resolves once the leader has exited. */
  stop(): Promise<void>;
}

/** Starts `command` detached in a new process group, stdout and stderr appended to `logFile`. */
export function startService(command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): Service {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], env });
  fs.closeSync(out);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  // A harness that dies must not leave a server behind: the group goes with it.
  const onExit = (): void => killGroup(child, 'SIGKILL');
  process.once('exit', onExit);
  return {
    process: child,
    logFile,
    async stop() {
      process.removeListener('exit', onExit);
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      // Forked helpers may outlive the leader by a moment; the group signal reaches them too.
      killGroup(child, 'SIGKILL');
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Waits until `url` answers any HTTP status, or the service exits first. */
export function waitForHttp(url: string, service: Service, timeoutMs: number): Promise<true> {
  return waitFor(
    `${url} to answer (log: ${service.logFile})`,
    async () => {
      if (service.process.exitCode !== null) {
        throw new Error(`server exited with code ${service.process.exitCode} before answering; its log:\n${tail(service.logFile)}`);
      }
      try {
        await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
        return true;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
  );
}

/** The last `lines` lines of a text file, for error messages. */
export function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

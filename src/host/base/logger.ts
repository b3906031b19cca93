/**
 * What host logic needs of a log: the subset of `vscode.LogOutputChannel` it calls, so the same code
 * logs to the "Sequence Lab" output channel in VS Code and to the console (or nowhere) in unit tests.
 */
export interface Logger {
  trace(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const nullLogger: Logger = { trace() {}, info() {}, warn() {}, error() {} };

/**
 * A logger that never throws: after the output channel is disposed (the extension deactivating) a
 * late line is dropped instead of breaking the disposal of everything registered after it.
 */
export function guardedLogger(target: Logger): Logger {
  const guard = (write: (message: string) => void) => (message: string) => {
    try {
      write(message);
    } catch {
      // The channel is gone.
    }
  };
  return {
    trace: guard((m) => target.trace(m)),
    info: guard((m) => target.info(m)),
    warn: guard((m) => target.warn(m)),
    error: guard((m) => target.error(m)),
  };
}

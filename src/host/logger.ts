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

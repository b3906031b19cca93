/** What the run commands share: argument checks and how a refusal reaches the user. */
import * as vscode from 'vscode';
import type { RunState } from '../../protocol/types';
import { isRunId } from '../../protocol/validate';
import { WorkerRequestError } from '../runs/workerRequests';

export const LIVE: readonly RunState[] = ['queued', 'starting', 'training', 'paused'];
export const RESUMABLE: readonly RunState[] = ['stopped', 'interrupted', 'failed', 'diverged'];

/** A run id passed by a test or a view, if it is one. */
export function validId(value: unknown): string | undefined {
  return isRunId(value) ? value : undefined;
}

/** Tells the user why nothing happened. */
export function refuse(message: string): undefined {
  void vscode.window.showErrorMessage(`Sequence Lab: ${message}`);
  return undefined;
}

/** An error as a sentence, with the worker's hint when it gave one. */
export function commandErrorText(e: unknown): string {
  if (e instanceof WorkerRequestError && e.hint) return `${e.message} ${e.hint}`;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Reads the `sequenceLab.*` settings into a training configuration. The merge and the range checks are
 * the training core's (`validateConfig`), so settings, the command line and the worker agree on them.
 */
import * as vscode from 'vscode';
import { DEFAULT_CONFIG, validateConfig, type ValidatedConfig } from '../../core/config';
import type { TrainConfig } from '../../protocol/types';
import { megabytesToBytes } from '../runs/inputFiles';

export const SECTION = 'sequenceLab';

/** The training configuration from settings (for the folder `scope`), with `overrides` on top. */
export function readTrainConfig(scope?: vscode.Uri, overrides: Partial<Record<keyof TrainConfig, unknown>> = {}): ValidatedConfig {
  const settings = vscode.workspace.getConfiguration(SECTION, scope);
  const fromSettings: Partial<Record<keyof TrainConfig, unknown>> = {};
  for (const key of Object.keys(DEFAULT_CONFIG) as (keyof TrainConfig)[]) {
    const value = settings.get<unknown>(key);
    if (value !== undefined && value !== null) fromSettings[key] = value;
  }
  const base = validateConfig(fromSettings);
  const problems = base.problems.map((p) => `Setting sequenceLab.${p}`);
  const merged = validateConfig(overrides, base.config);
  return { config: merged.config, problems: [...problems, ...merged.problems] };
}

/** Largest file to train on without asking, in bytes (setting sequenceLab.maxFileSizeMB). */
export function maxFileSizeBytes(scope?: vscode.Uri): number {
  const mb = vscode.workspace.getConfiguration(SECTION, scope).get<number>('maxFileSizeMB', 50);
  return megabytesToBytes(typeof mb === 'number' && Number.isFinite(mb) && mb > 0 ? mb : 50);
}

export function showStatusBar(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('showStatusBar', true);
}

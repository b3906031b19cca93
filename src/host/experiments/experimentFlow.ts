/**
 * The questions "Run an Experiment…" asks: a preset (its question, and what to look for), or "Vary a
 * setting…": which setting, then its values, comma-separated. Values the setting does not accept are
 * refused in the input box itself, with the planner's reasons, so nothing trains on them.
 */
import * as vscode from 'vscode';
import { BATCHINGS, CELLS, ConfigError, NUMBER_RULES, OPTIMIZERS } from '../../core/config';
import { parseVary, planExperiment, type VariedSetting } from '../../core/experiments/experimentPlan';
import { PRESETS, type Preset } from '../../core/experiments/presets';
import type { TrainConfig } from '../../protocol/types';

/** What the user chose: a preset, one varied setting, or (from a command's arguments) a grid over two. */
export type ExperimentChoice = { preset: Preset } | { vary: VariedSetting } | { grid: VariedSetting[] };

/** Settings worth varying, with what each one changes (the shared ones, seed and the evaluation, stay fixed). */
export const VARIABLE_SETTINGS: readonly { key: keyof TrainConfig; what: string; example: string }[] = [
  { key: 'cell', what: `the model: ${CELLS.join(', ')}`, example: 'rnn,gru,lstm' },
  { key: 'hidden', what: 'hidden units per layer', example: '32,64,128' },
  { key: 'layers', what: 'stacked layers', example: '1,2' },
  { key: 'embedding', what: 'embedding size (0 is one-hot input)', example: '0,32' },
  { key: 'tau', what: 'context length of the fixed-window model', example: '4,16,64' },
  { key: 'window', what: 'time steps per batch (the BPTT truncation length)', example: '8,32,128' },
  { key: 'batch', what: 'sequences per batch', example: '16,32,64' },
  { key: 'batching', what: `batching: ${BATCHINGS.join(', ')}`, example: 'random,sequential' },
  { key: 'optimizer', what: `optimizer: ${OPTIMIZERS.join(', ')}`, example: 'adam,sgd' },
  { key: 'lr', what: 'learning rate', example: '0.001,0.01,0.1' },
  { key: 'clip', what: 'gradient clipping threshold (0 disables)', example: '0,1' },
  { key: 'steps', what: 'training steps', example: '500,1000' },
];

/** Why `text` cannot be the values of `key` on top of `settings`, or undefined when every value is accepted. */
export function varyProblem(key: string, text: string, settings: TrainConfig): string | undefined {
  try {
    planExperiment({ base: {}, vary: [parseVary(`${key}=${text}`)] }, settings);
    return undefined;
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.join(' ');
    throw e;
  }
}

/** Asks for a preset or a varied setting; undefined when the user cancels. `presets: false` asks only for the setting. */
export async function pickExperiment(settings: TrainConfig, title: string, presets = true): Promise<ExperimentChoice | undefined> {
  if (presets) {
    type Item = vscode.QuickPickItem & { preset?: Preset };
    const items: Item[] = [
      ...PRESETS.map((p) => ({ label: p.question, detail: p.lookFor, preset: p })),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(settings) Vary a setting…', detail: 'Pick one setting and the values to compare; every other setting stays as it is.' },
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title,
      placeHolder: 'Which question? Each preset trains a few runs on this file, one after another.',
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    if (picked.preset) return { preset: picked.preset };
  }
  const setting = await vscode.window.showQuickPick(
    VARIABLE_SETTINGS.map((s) => ({ label: s.key, description: `now ${String(settings[s.key])}`, detail: s.what, key: s.key, example: s.example })),
    { title, placeHolder: 'Vary which setting?', matchOnDetail: true, ignoreFocusOut: true },
  );
  if (!setting) return undefined;
  const rule = NUMBER_RULES[setting.key];
  const text = await vscode.window.showInputBox({
    title: `${title}: values of ${setting.key}`,
    prompt: `Two or more values, separated by commas${rule ? ` (${rule.min} to ${rule.max}: ${rule.why})` : ''}. Each value is one run.`,
    placeHolder: setting.example,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? varyProblem(setting.key, v, settings) : 'Enter two or more values, separated by commas.'),
  });
  if (text === undefined) return undefined;
  return { vary: parseVary(`${setting.key}=${text}`) };
}

/**
 * An experiment: one base configuration, one setting varied over a few values (or a grid over two),
 * trained as a group on the same text with the same seed, so that differences come from the setting.
 * A "value" may set several fields at once ("window, tau 16" is {cell: 'window', tau: 16}); each has a
 * label for legends and tables. Every planned configuration is validated strictly before anything
 * trains: one bad value refuses the whole experiment with the reason.
 */
import { ConfigError, DEFAULT_CONFIG, NUMBER_RULES, parseConfigStrict } from '../config';
import type { TrainConfig } from '../../protocol/types';

export interface VariedValue {
  label: string;
  patch: Partial<TrainConfig>;
}

export interface VariedSetting {
  /** What varies, for the legend's title ("cell", "clip", "model"). */
  name: string;
  values: VariedValue[];
}

export interface ExperimentSpec {
  /** Overrides of the user's settings shared by every run. */
  base: Partial<TrainConfig>;
  /** One setting, or two for a grid. */
  vary: VariedSetting[];
}

export interface PlannedRun {
  /** "lstm", or "cell = lstm, clip = 0" in a grid. */
  label: string;
  /** The varied value's label per varied setting name. */
  values: Record<string, string>;
  config: TrainConfig;
}

/** At most this many runs in one experiment: each trains for minutes. */
export const MAX_EXPERIMENT_RUNS = 16;

/** Fields that must be the same in every run, or the comparison is not of one setting. */
const SHARED: readonly (keyof TrainConfig)[] = ['seed', 'level', 'valFraction', 'evalInterval', 'evalTokens', 'gradMapInterval'];

export function planExperiment(spec: ExperimentSpec, settings: TrainConfig = DEFAULT_CONFIG): PlannedRun[] {
  if (spec.vary.length < 1 || spec.vary.length > 2) throw new ConfigError([`An experiment varies one setting, or two for a grid (got ${spec.vary.length}).`]);
  for (const v of spec.vary) {
    if (v.values.length < 2) throw new ConfigError([`Varying ${v.name} needs at least two values (got ${v.values.length}).`]);
    const labels = new Set(v.values.map((x) => x.label));
    if (labels.size !== v.values.length) throw new ConfigError([`${v.name} lists a value twice.`]);
  }
  const count = spec.vary.reduce((n, v) => n * v.values.length, 1);
  if (count > MAX_EXPERIMENT_RUNS) throw new ConfigError([`That is ${count} runs; an experiment holds at most ${MAX_EXPERIMENT_RUNS}.`]);
  const base = parseConfigStrict(spec.base, settings);
  const combos: VariedValue[][] = spec.vary.length === 1 ? spec.vary[0].values.map((v) => [v]) : spec.vary[0].values.flatMap((a) => spec.vary[1].values.map((b) => [a, b]));
  const problems: string[] = [];
  const runs: PlannedRun[] = [];
  for (const combo of combos) {
    const patch = Object.assign({}, ...combo.map((c) => c.patch)) as Partial<TrainConfig>;
    const label = spec.vary.length === 1 ? combo[0].label : combo.map((c, i) => `${spec.vary[i].name} = ${c.label}`).join(', ');
    const shared = SHARED.filter((k) => k in patch && patch[k] !== base[k]);
    if (shared.length) problems.push(`${label}: ${shared.join(', ')} must be the same in every run of an experiment.`);
    try {
      runs.push({ label, values: Object.fromEntries(combo.map((c, i) => [spec.vary[i].name, c.label])), config: parseConfigStrict(patch, base) });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(...e.problems.map((p) => `${label}: ${p}`));
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return runs;
}

/**
 * `--vary NAME=V1,V2,...` of the command line: values parsed as numbers for numeric settings, kept as
 * strings for the others (validation says which are accepted).
 */
export function parseVary(argument: string): VariedSetting {
  const eq = argument.indexOf('=');
  if (eq <= 0) throw new ConfigError([`--vary takes NAME=V1,V2,... (got ${JSON.stringify(argument)}).`]);
  const name = argument.slice(0, eq).trim();
  const raw = argument
    .slice(eq + 1)
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  const numeric = name in NUMBER_RULES;
  return {
    name,
    values: raw.map((v) => {
      const value = numeric && v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
      return { label: v, patch: { [name]: value } as Partial<TrainConfig> };
    }),
  };
}

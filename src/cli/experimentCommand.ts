/**
 *   sequence-lab experiment FILE... --vary NAME=V1,V2,... [--vary NAME2=...] [train options] [--json]
 *   sequence-lab experiment FILE... --preset ID [train options] [--json]
 * Trains one run per value (a grid for two --vary), one after another, on the same text with the same
 * seed; a run that diverges or fails is reported and the others go on; Ctrl-C cancels, keeping the
 * finished runs. Writes .seqlab/experiments/<id>/experiment.json naming the runs, and prints the
 * results table (with --json, one line: {"experimentDir", "runs": [{value, runDir, bestValLoss,
 * memoryHorizon, tokensPerSec, state}]}).
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SeqLabError } from '../core/errors';
import { parseVary, planExperiment, type ExperimentSpec } from '../core/experiments/experimentPlan';
import { PRESETS, presetById, type Preset } from '../core/experiments/presets';
import { probeRun } from '../core/experiments/probeRun';
import { EXPERIMENT_FORMAT, EXPERIMENT_VERSION, EXPERIMENTS_FOLDER, writeExperiment, type ExperimentRecord } from '../core/experiments/experimentRecord';
import { resultRow, resultsMarkdown, type ResultRow } from '../core/experiments/resultsTable';
import { newRunId, readRunHistory, RUNS_FOLDER } from '../core/runFiles';
import { runTraining } from '../core/runTraining';
import { TrainControl } from '../core/trainer';
import type { RunState } from '../protocol/types';
import { configFrom, TRAIN_FLAG_OPTIONS } from './trainOptions';
import { UsageError } from './usageError';

export async function experimentCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...TRAIN_FLAG_OPTIONS, vary: { type: 'string', multiple: true }, preset: { type: 'string' }, quiet: { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (positionals.length === 0) throw new UsageError('experiment needs at least one text file.');
  const preset = values.preset === undefined ? undefined : presetFrom(values.preset, values.vary);
  if (!preset && !values.vary?.length) throw new UsageError('experiment needs --vary NAME=V1,V2,... (once, or twice for a grid), or --preset ID.');
  const spec: ExperimentSpec = preset?.spec ?? { base: {}, vary: values.vary!.map(parseVary) };
  const settings = configFrom(values);
  // Every value is validated here, before anything trains.
  const plan = planExperiment(spec, settings);
  const files = positionals.map((f) => path.resolve(f));
  const id = newRunId();
  const dir = path.resolve(EXPERIMENTS_FOLDER, id);
  const record: ExperimentRecord = {
    format: EXPERIMENT_FORMAT,
    version: EXPERIMENT_VERSION,
    id,
    name: `${path.basename(files[0])}: ${preset?.question ?? spec.vary.map((v) => v.name).join(' × ')}`,
    createdAt: new Date().toISOString(),
    files,
    ...(preset ? { presetId: preset.id } : {}),
    base: settings,
    vary: spec.vary,
    runs: plan.map((p) => ({ label: p.label, values: p.values })),
    state: 'running',
  };
  writeExperiment(dir, record);
  const control = new TrainControl();
  let cancelled = false;
  process.on('SIGINT', () => {
    if (cancelled) process.exit(130);
    cancelled = true;
    process.stderr.write('\nCancelling: the current run stops with a checkpoint; finished runs are kept (Ctrl-C again to quit now)...\n');
    control.stop();
  });
  const rows: (ResultRow & { runDir: string })[] = [];
  for (let i = 0; i < plan.length && !cancelled; i++) {
    const { label, config } = plan[i];
    const runId = newRunId();
    const runDir = path.resolve(RUNS_FOLDER, runId);
    record.runs[i] = { ...record.runs[i], runId, state: 'training' };
    writeExperiment(dir, record);
    if (!values.quiet) process.stderr.write(`[${i + 1}/${plan.length}] ${label}: training ${config.steps} steps...\n`);
    let state: RunState;
    try {
      const result = await runTraining({ runId, runDir, files, config, control });
      state = result.reason === 'interrupted' ? 'stopped' : result.reason;
    } catch (e) {
      if (!(e instanceof SeqLabError)) throw e;
      // One value failing does not end the experiment: the others still answer the question.
      state = e.code === 'DIVERGED' ? 'diverged' : 'failed';
      process.stderr.write(`${label}: ${e.message}\n`);
    }
    record.runs[i] = { ...record.runs[i], state };
    writeExperiment(dir, record);
    // The probe needs a trained model: a run that diverged or failed has no answer to give.
    const probe = preset?.probe && state === 'completed' ? probeRun(runDir, files) : undefined;
    const history = readRunHistory(runDir);
    rows.push({
      ...resultRow({
        label,
        state,
        info: history?.record.info,
        durationMs: history?.record.durationMs ?? 0,
        metrics: history?.metrics ?? [],
        evals: history?.evals ?? [],
        gradMaps: history?.gradMaps ?? [],
        probe,
      }),
      runDir,
    });
  }
  record.state = cancelled ? 'cancelled' : 'completed';
  writeExperiment(dir, record);
  if (values.json) {
    const runs = rows.map((r, i) => ({
      value: plan[i].label,
      runDir: r.runDir,
      bestValLoss: r.bestValLoss ?? null,
      memoryHorizon: r.memoryHorizon ?? null,
      tokensPerSec: r.tokensPerSec ?? null,
      state: r.state,
    }));
    const answer = preset ? { preset: preset.id, question: preset.question, answer: preset.answer(rows) } : {};
    process.stdout.write(JSON.stringify({ experimentDir: dir, state: record.state, ...answer, runs }) + '\n');
  } else {
    const answer = preset ? `${preset.question} ${preset.answer(rows)}\n` : '';
    process.stdout.write(`${resultsMarkdown(rows)}${answer}Experiment: ${dir}\n`);
  }
  return cancelled ? 130 : 0;
}

/** A preset by id; it fixes what varies, so --vary beside it is refused rather than silently ignored. */
function presetFrom(id: string, vary: string[] | undefined): Preset {
  if (vary?.length) throw new UsageError('--preset fixes what varies: give either --preset or --vary, not both.');
  const preset = presetById(id);
  if (!preset) throw new UsageError(`Unknown preset "${id}". Presets: ${PRESETS.map((p) => p.id).join(', ')}.`);
  return preset;
}

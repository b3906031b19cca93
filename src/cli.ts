/**
 * The command line over the training core:
 *   sequence-lab train FILE... [options]     train, write the run folder, print the final validation loss
 *   sequence-lab sample CHECKPOINT [options] generate text from a run or checkpoint
 *   sequence-lab experiment FILE --vary N=V1,V2 train one run per value, same text and seed; a results table
 *   sequence-lab export RUN --format F --out D  write a checkpoint as a tfjs Layers model or safetensors
 *   sequence-lab forecast FILE|--generate G     the chapter's autoregressive models on numeric columns
 * The same core the extension's worker runs; tests and benchmarks drive it too.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from './core/backend';
import { loadCheckpoint } from './core/checkpoint';
import { ConfigError, DEFAULT_CONFIG } from './core/config';
import { createModel } from './core/createModel';
import { SeqLabError } from './core/errors';
import { Rng } from './core/rng';
import { newRunId, RUNS_FOLDER } from './core/runFiles';
import { runTraining } from './core/runTraining';
import { DEFAULT_MAX_BYTES } from './core/text';
import { generate } from './core/sample';
import { TrainControl } from './core/trainer';
import { Vocabulary } from './core/vocabulary';
import { exportCommand } from './cli/exportCommand';
import { forecastCommand } from './cli/forecastCommand';
import { UsageError } from './cli/usageError';
import { configFrom, TRAIN_FLAG_OPTIONS } from './cli/trainOptions';
import { experimentCommand } from './cli/experimentCommand';
import { PRESETS } from './core/experiments/presets';
import type { BackendChoice, MetricPoint } from './protocol/types';

const USAGE = `Sequence Lab: train small recurrent language models on your own text.

Usage:
  sequence-lab train FILE... [options]
  sequence-lab sample CHECKPOINT [--prompt TEXT] [--length N] [--temperature T] [--top-k K] [--seed S]
  sequence-lab experiment FILE... --vary NAME=V1,V2,... [--vary NAME2=...] [train options] [--json]
  sequence-lab experiment FILE... --preset ID [train options] [--json]
                        presets, the chapter's questions: ${PRESETS.map((p) => p.id).join(', ')}
  sequence-lab export RUN_DIR --format tfjs|safetensors --out DIR [--force] [--json]
  sequence-lab forecast FILE --column NAME[,NAME...] [--time-column NAME] [--interpolate]
                        [--model linear|linear-sgd|mlp|rnn|gru|lstm] [--tau N] [--train-fraction F] [--period P]
                        [--hidden N] [--window N] [--steps N] [--batch N] [--lr X] [--clip X]
                        [--head mse|gaussian] [--seed S] [--backend B] [--save] [--json]
  sequence-lab forecast --generate sine|sines|walk|logistic [same options]

Train options (defaults in brackets):
  --cell rnn|gru|lstm|window   model [${DEFAULT_CONFIG.cell}]; window = fixed-window MLP baseline over --tau tokens
  --level char|word            tokens [${DEFAULT_CONFIG.level}]
  --hidden N  --layers N       hidden units [${DEFAULT_CONFIG.hidden}], stacked layers [${DEFAULT_CONFIG.layers}]
  --embedding N                learned embedding size, 0 = one-hot [${DEFAULT_CONFIG.embedding}]
  --tau N                      context of the window model [${DEFAULT_CONFIG.tau}]
  --batch N  --window N        sequences per batch [${DEFAULT_CONFIG.batch}], time steps (BPTT length) [${DEFAULT_CONFIG.window}]
  --batching random|sequential [${DEFAULT_CONFIG.batching}]
  --activation tanh|relu       the vanilla RNN's nonlinearity [${DEFAULT_CONFIG.activation}]
  --truncation fixed|random    random: each batch's length uniform in [window/2, 3 window/2], mean window [${DEFAULT_CONFIG.truncation}]
  --keep-graph K               sequential batching: backpropagate through K previous windows too (0-8) [${DEFAULT_CONFIG.keepGraph}]
  --optimizer adam|sgd|rmsprop [${DEFAULT_CONFIG.optimizer}]  --lr X [${DEFAULT_CONFIG.lr}]  --clip X (0 = off) [${DEFAULT_CONFIG.clip}]
  --steps N  --seed N          [${DEFAULT_CONFIG.steps}], [${DEFAULT_CONFIG.seed}]
  --eval-interval N  --eval-tokens N  --grad-map-interval N  --sample-interval N  --checkpoint-interval N
  --min-freq N  --max-vocab N  --val-fraction X
  --backend auto|tensorflow|wasm|cpu  [${DEFAULT_CONFIG.backend}]
  --threads 0|1|2              gradient threads; 2 splits each batch over two cores, 0 = automatic [${DEFAULT_CONFIG.threads}]
  --out DIR                    run folder [./${RUNS_FOLDER}/<id>]
  --resume RUN                 continue a run (its folder) from its latest checkpoint
  --fine-tune CHECKPOINT       start from another run's weights and vocabulary
  --allow-changed-text         with --resume, when the text changed since the checkpoint: continue as
                               fine-tuning on it (weights and optimizer kept, batches start afresh)
  --max-mb N  --truncate       per-file size limit [50]; --truncate trains on the first N MB instead of refusing
  --quiet                      no progress bar
  --json                       print the result as one JSON line
`;

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** A one-line progress bar: redrawn in place on a terminal, one line every 5% otherwise. */
function progressBar(total: number, quiet: boolean): (p: MetricPoint, valLoss?: number) => void {
  let lastPrinted = -1;
  const tty = process.stderr.isTTY;
  return (p, valLoss) => {
    if (quiet) return;
    const fraction = p.step / total;
    const width = 24;
    const filled = Math.round(fraction * width);
    const secondsPerStep = p.elapsedMs / Math.max(1, p.step);
    const left = formatDuration((total - p.step) * secondsPerStep);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.step}/${total}  loss ${p.loss.toFixed(3)}${valLoss !== undefined ? `  val ${valLoss.toFixed(3)}` : ''}  ${p.tokensPerSec.toLocaleString('en-US')} tok/s  ${left} left`;
    if (tty) process.stderr.write(`\r${line}\x1b[K`);
    else if (Math.floor(fraction * 20) > lastPrinted || p.step === total) {
      lastPrinted = Math.floor(fraction * 20);
      process.stderr.write(line + '\n');
    }
  };
}

async function train(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...TRAIN_FLAG_OPTIONS,
      out: { type: 'string' },
      resume: { type: 'string' },
      'fine-tune': { type: 'string' },
      'allow-changed-text': { type: 'boolean' },
      'max-mb': { type: 'string' },
      truncate: { type: 'boolean' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length === 0) throw new UsageError('train needs at least one text file.');
  const config = configFrom(values);
  const runId = values.resume ? path.basename(path.resolve(values.resume)) : newRunId();
  const runDir = path.resolve(values.resume ?? values.out ?? path.join(RUNS_FOLDER, runId));
  const maxMb = values['max-mb'] !== undefined ? Number(values['max-mb']) : DEFAULT_MAX_BYTES / (1024 * 1024);
  if (!(maxMb > 0)) throw new UsageError('--max-mb must be a positive number.');
  const control = new TrainControl();
  let interrupts = 0;
  process.on('SIGINT', () => {
    // First Ctrl-C stops after the current step and writes a checkpoint; a second one quits at once.
    if (++interrupts > 1) process.exit(130);
    process.stderr.write('\nStopping after this step (Ctrl-C again to quit now)...\n');
    control.stop();
  });
  const bar = progressBar(config.steps, !!values.quiet);
  let lastVal: number | undefined;
  const result = await runTraining({
    runId,
    runDir,
    files: positionals.map((f) => path.resolve(f)),
    config,
    resumeFrom: values.resume ? runDir : undefined,
    fineTuneFrom: values['fine-tune'],
    allowChangedText: !!values['allow-changed-text'],
    maxBytes: maxMb * 1024 * 1024,
    truncate: !!values.truncate,
    control,
    onProgress: (_phase, message) => values.quiet || process.stderr.write(`${message}...\n`),
    onStarted: (info) =>
      values.quiet ||
      process.stderr.write(
        `Backend ${info.backend} (${info.backendReason}), ${info.threads ?? 1} thread(s); vocabulary ${info.vocabSize}; ${info.paramCount.toLocaleString('en-US')} parameters; ${info.trainTokens.toLocaleString('en-US')} training tokens.\n`,
      ),
    hooks: {
      onStep: (p) => bar(p, lastVal),
      onEval: (e) => (lastVal = e.valLoss),
    },
  });
  if (process.stderr.isTTY && !values.quiet) process.stderr.write('\n');
  const finalVal = lastVal;
  if (values.json) {
    process.stdout.write(
      JSON.stringify({ runDir, reason: result.reason, step: result.step, valLoss: finalVal, bestValLoss: result.bestValLoss, backend: result.info.backend }) + '\n',
    );
  } else {
    process.stdout.write(`${result.message}\nRun folder: ${runDir}\n`);
    if (finalVal !== undefined) {
      const bpc = finalVal / Math.LN2 / result.info.charsPerToken;
      process.stdout.write(`Final validation loss: ${finalVal.toFixed(4)} nats/token (perplexity ${Math.exp(finalVal).toFixed(2)}, ${bpc.toFixed(3)} bits/char)\n`);
    }
  }
  return result.reason === 'diverged' ? 3 : 0;
}

async function sample(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      prompt: { type: 'string', default: '' },
      length: { type: 'string', default: '200' },
      temperature: { type: 'string', default: '0.8' },
      'top-k': { type: 'string', default: '0' },
      seed: { type: 'string', default: '0' },
      backend: { type: 'string', default: 'auto' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('sample needs one checkpoint (a run folder or checkpoint folder).');
  const length = Number(values.length);
  const temperature = Number(values.temperature);
  const topK = Number(values['top-k']);
  if (!Number.isInteger(length) || length < 1 || length > 100_000) throw new UsageError('--length must be a whole number from 1 to 100000.');
  if (!(temperature >= 0 && temperature <= 10)) throw new UsageError('--temperature must be between 0 (greedy) and 10.');
  if (!Number.isInteger(topK) || topK < 0) throw new UsageError('--top-k must be a whole number, 0 for no limit.');
  const checkpoint = loadCheckpoint(path.resolve(positionals[0]));
  await selectBackend(values.backend as BackendChoice);
  const vocab = Vocabulary.fromJSON(checkpoint.vocab);
  const model = createModel(checkpoint.config, vocab.size, new Rng(0));
  try {
    model.params.write(checkpoint.weights);
    process.stdout.write(values.prompt);
    generate(model, vocab, checkpoint.config.level, {
      prompt: values.prompt,
      length,
      temperature,
      topK,
      rng: new Rng(Number(values.seed)),
      onToken: (t) => process.stdout.write(t),
    });
    process.stdout.write('\n');
  } finally {
    model.dispose();
  }
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'train') return await train(rest);
    if (command === 'sample') return await sample(rest);
    if (command === 'export') return exportCommand(rest);
    if (command === 'experiment') return await experimentCommand(rest);
    if (command === 'forecast') return await forecastCommand(rest);
    process.stdout.write(USAGE);
    return command === undefined || command === '--help' || command === '-h' || command === 'help' ? 0 : 2;
  } catch (e) {
    if (e instanceof SeqLabError) {
      const hint = e.code === 'TEXT_CHANGED' ? `${e.hint} To continue as fine-tuning, add --allow-changed-text.` : e.hint;
      process.stderr.write(`\nError: ${e.message}\n${hint ? `${hint}\n` : ''}`);
      return 1;
    }
    if (e instanceof ConfigError || e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`Error: ${(e as Error).message}\nRun "sequence-lab --help" for the options.\n`);
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`Unexpected error: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);

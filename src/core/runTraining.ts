/**
 * One training run from files to checkpoints, as the worker and the command line both perform it:
 * pick the backend, read and check the text, build (or restore) the model, train, and keep the run
 * folder current (run.json, metric logs, checkpoints) the whole time.
 */
import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BackendName, CheckpointRef, RunInfo, TrainConfig } from '../protocol/types';
import type { StartupPhase } from '../protocol/worker';
import { selectBackend } from './backend';
import { minTokensFor } from './batches';
import { CheckpointData, loadCheckpoint, pruneCheckpoints, saveCheckpoint } from './checkpoint';
import { buildCorpus, Corpus } from './corpus';
import { createModel } from './createModel';
import { SeqLabError } from './errors';
import type { LanguageModel } from './model';
import { ngramLoss } from './ngram';
import { Rng } from './rng';
import { RunRecord, RunWriter, readRunRecord } from './runFiles';
import { readTextFile } from './text';
import { tokenStatsInfo } from './tokenStats';
import { TrainControl, Trainer, TrainerHooks, TrainOutcome } from './trainer';
import { Vocabulary } from './vocabulary';

export interface RunTrainingOptions {
  runId: string;
  runDir: string;
  files: string[];
  config: TrainConfig;
  /** Continue this run from its checkpoint (a run folder or checkpoint folder). */
  resumeFrom?: string;
  /** Start from another run's weights and vocabulary. */
  fineTuneFrom?: string;
  /**
   * Resuming when the text differs from the checkpoint's (its hash): continue as fine-tuning on the new
   * text (weights, optimizer and step kept, batch order started afresh) instead of failing with
   * TEXT_CHANGED.
   */
  allowChangedText?: boolean;
  /** Per-file byte limit, and whether to cut larger files instead of refusing them. */
  maxBytes?: number;
  truncate?: boolean;
  control: TrainControl;
  hooks?: TrainerHooks;
  onProgress?(phase: StartupPhase, message: string): void;
  /** Called once training is about to start: the trainer serves live sampling. */
  onStarted?(info: RunInfo, trainer: Trainer): void;
  /**
   * Called after a checkpoint is safely on disk, with the checkpoints the run keeps now, the new one
   * among them (older ones beyond the newest few and the best are deleted as new ones come).
   */
  onCheckpointSaved?(kept: readonly CheckpointRef[]): void;
}

export interface RunResult extends TrainOutcome {
  info: RunInfo;
  bestValLoss?: number;
}

/** Reads and concatenates the training files (a blank line between files). */
export function readCorpusText(files: readonly string[], maxBytes?: number, truncate?: boolean): string {
  return files.map((f) => readTextFile(f, { maxBytes, truncate }).text).join('\n\n');
}

/** sha256 of the training text, as stored in checkpoints: resuming checks the text did not change. */
export function textHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Runs training to the end (completed, stopped or diverged). Input problems throw SeqLabError. */
export async function runTraining(options: RunTrainingOptions): Promise<RunResult> {
  const { config, control } = options;
  const progress = options.onProgress ?? (() => undefined);
  const previous = readRunRecord(options.runDir);
  const now = new Date().toISOString();
  const record: RunRecord =
    previous && options.resumeFrom
      ? { ...previous, state: 'starting', reason: undefined, updatedAt: now }
      : {
          id: options.runId,
          // A run the host queued already has a name and a creation time: keep them.
          name: previous?.name ?? options.files.map((f) => path.basename(f)).join(', '),
          createdAt: previous?.createdAt ?? now,
          updatedAt: now,
          files: options.files,
          config,
          state: 'starting',
          step: 0,
          durationMs: 0,
          checkpoints: [],
          fineTunedFrom: options.fineTuneFrom,
        };
  const writer = RunWriter.create(options.runDir, record);
  let model: LanguageModel | undefined;
  let trainer: Trainer | undefined;
  try {
    progress('backend', `Loading the ${config.backend} backend`);
    const backend = await selectBackend(config.backend);

    const checkpoint: (CheckpointData & { dir: string }) | undefined = options.resumeFrom
      ? loadCheckpoint(options.resumeFrom)
      : options.fineTuneFrom
        ? loadCheckpoint(options.fineTuneFrom)
        : undefined;
    // A resumed run keeps its configuration; fine-tuning keeps the architecture and vocabulary.
    const runConfig: TrainConfig =
      options.resumeFrom && checkpoint
        ? { ...checkpoint.config, steps: Math.max(config.steps, checkpoint.config.steps) }
        : checkpoint
          ? { ...config, ...architectureOf(checkpoint.config) }
          : config;

    progress('reading', `Reading ${options.files.map((f) => path.basename(f)).join(', ')}`);
    const text = readCorpusText(options.files, options.maxBytes, options.truncate);
    const hash = textHash(text);
    const textChanged = !!options.resumeFrom && !!checkpoint?.textHash && checkpoint.textHash !== hash;
    if (textChanged && !options.allowChangedText) {
      throw new SeqLabError(
        'TEXT_CHANGED',
        `The text changed since the checkpoint at step ${checkpoint!.step} was written: its saved batch order would not apply to it.`,
        'Continue as fine-tuning on the new text (the weights and optimizer carry over, batches start afresh), or restore the original text.',
      );
    }
    progress('tokenizing', `Tokenizing ${text.length.toLocaleString('en-US')} characters (${runConfig.level} level)`);
    const prefix = runConfig.cell === 'window' ? runConfig.tau - 1 : 0;
    const corpus: Corpus = buildCorpus(text, {
      level: runConfig.level,
      minFreq: runConfig.minFreq,
      maxVocab: runConfig.maxVocab,
      valFraction: runConfig.valFraction,
      vocab: checkpoint ? Vocabulary.fromJSON(checkpoint.vocab) : undefined,
      minTrainTokens: minTokensFor(runConfig.batching, runConfig.batch, runConfig.window, prefix, { truncation: runConfig.truncation }),
    });

    progress('building', `Building ${runConfig.cell.toUpperCase()} with ${runConfig.layers} x ${runConfig.hidden} units`);
    model = createModel(runConfig, corpus.vocab.size, new Rng(runConfig.seed));
    trainer = new Trainer(model, corpus, runConfig);
    if (checkpoint) {
      progress('restoring', `Restoring step ${checkpoint.step} from ${path.basename(checkpoint.dir)}`);
      if (options.resumeFrom) await trainer.restore(checkpoint, { freshBatches: textChanged });
      else model.params.write(checkpoint.weights);
    }
    if (wantsTwoThreads(runConfig, backend.name)) await trainer.enableDataParallel(backend.name);
    // Measured where the unigram line is (corpus.unigramLoss): the validation split, or the training text without one.
    const heldOut = corpus.val.length > 0 ? corpus.val : corpus.train;
    const info: RunInfo = {
      backend: backend.name,
      backendReason: backend.reason,
      vocabSize: corpus.vocab.size,
      paramCount: model.params.count,
      trainTokens: corpus.train.length,
      valTokens: corpus.val.length,
      uniformLoss: Math.log(corpus.vocab.size),
      unigramLoss: corpus.unigramLoss,
      charsPerToken: corpus.charsPerToken,
      threads: trainer.threads,
      // The chapter's count-based baselines and the text's token statistics, once per session.
      bigramLoss: ngramLoss(corpus.train, heldOut, corpus.vocab.size, 2),
      trigramLoss: ngramLoss(corpus.train, heldOut, corpus.vocab.size, 3),
      tokenStats: tokenStatsInfo(corpus.train, corpus.vocab.tokens, runConfig.level),
    };
    writer.update({ state: 'training', info, config: runConfig, step: trainer.step });
    options.onStarted?.(info, trainer);

    const hooks = options.hooks ?? {};
    let sinceSave = Date.now();
    const outcome = await trainer.run(
      {
        onStep(point) {
          writer.append('metrics', point);
          hooks.onStep?.(point);
          // run.json follows along every few seconds, so a crash loses little of the summary.
          if (Date.now() - sinceSave > 5000) {
            writer.update({ step: point.step, lastLoss: point.loss, durationMs: point.elapsedMs, bestValLoss: trainer!.best });
            sinceSave = Date.now();
          }
        },
        onEval(point) {
          writer.append('evals', point);
          hooks.onEval?.(point);
        },
        onGradMap(map) {
          writer.append('gradmaps', map);
          hooks.onGradMap?.(map);
        },
        onStateChange(state) {
          writer.update({ state });
          hooks.onStateChange?.(state);
        },
        onSample(sample) {
          writer.append('samples', sample);
          hooks.onSample?.(sample);
        },
        onCheckpoint(data) {
          const ref = saveCheckpoint(path.join(options.runDir, 'checkpoints'), { ...data, textHash: hash });
          const all = [...writer.record.checkpoints.filter((c) => c.step !== ref.step), ref];
          const checkpoints = pruneCheckpoints(path.join(options.runDir, 'checkpoints'), all);
          writer.update({ checkpoints, step: data.step, lastLoss: data.lastLoss, bestValLoss: data.bestValLoss, durationMs: data.elapsedMs });
          options.onCheckpointSaved?.(checkpoints);
          return ref;
        },
      },
      control,
    );

    writer.update({
      state: outcome.reason,
      reason: outcome.message,
      step: outcome.step,
      lastLoss: trainer.last,
      bestValLoss: trainer.best,
      durationMs: trainer.elapsedMs || writer.record.durationMs,
    });
    return { ...outcome, info, bestValLoss: trainer.best };
  } catch (e) {
    const message = e instanceof SeqLabError ? e.message : `Training failed: ${(e as Error).message}`;
    // A changed text awaits the user's choice (fine-tune or cancel): the run stays as it was meanwhile.
    if (e instanceof SeqLabError && e.code === 'TEXT_CHANGED' && previous) writer.update({ state: previous.state, reason: previous.reason });
    else writer.update({ state: 'failed', reason: message });
    throw e;
  } finally {
    await trainer?.dispose();
    model?.dispose();
  }
}

/** Two threads when asked for, or automatically where they help (see TrainConfig.threads). */
export function wantsTwoThreads(config: TrainConfig, backend: BackendName): boolean {
  const threads = config.threads ?? 0;
  if (threads === 1 || config.batch < 2 || (backend !== 'wasm' && backend !== 'cpu')) return false;
  return threads === 2 || os.availableParallelism() >= 2;
}

/** The fields that fix a model's shape: fine-tuning must keep them. */
function architectureOf(config: TrainConfig): Partial<TrainConfig> {
  const { cell, hidden, layers, embedding, tau, level } = config;
  return { cell, hidden, layers, embedding, tau, level };
}

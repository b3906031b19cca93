/**
 * The training loop. It reads top to bottom like nanoGPT's train.py: batch, forward and backward,
 * clip, step, log, evaluate, sample, checkpoint. It knows nothing of the UI: progress leaves through
 * hooks (the worker turns them into messages, the command line into a progress bar).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, CheckpointRef, EvalPoint, FinishReason, GradMap, MetricPoint, Readouts, SampleRecord, TrainConfig } from '../protocol/types';
import { Batcher, createBatcher, evalBatches } from './batches';
import type { Corpus } from './corpus';
import { GradientSource, LocalGradients } from './gradients';
import type { LanguageModel } from './model';
import { applyGradients, clipByGlobalNorm, createOptimizer, readOptimizerState, sumOfSquares, writeOptimizerState } from './optimizer';
import { DataParallelGradients } from './parallel/dataParallelGradients';
import { GATE_BLOCKS, memoryHorizon, recurrentBlockReadouts, spectralEvery, stateGradNorms } from './readouts';
import { Rng } from './rng';
import { generate } from './sample';
import type { CheckpointData } from './checkpoint';

export interface TrainerHooks {
  onStep?(point: MetricPoint): void;
  onEval?(point: EvalPoint): void;
  onGradMap?(map: GradMap): void;
  onSample?(sample: SampleRecord): void;
  /** Training paused (between two steps) or resumed. */
  onStateChange?(state: 'paused' | 'training'): void;
  /** Asked to persist a checkpoint; the trainer gathers the data, the caller writes it. */
  onCheckpoint?(data: CheckpointData): Promise<CheckpointRef | void> | CheckpointRef | void;
}

export type TrainOutcome = { reason: FinishReason; message: string; step: number };

/** Cooperative control from outside the loop; each request takes effect between two steps. */
export class TrainControl {
  stopRequested = false;
  /** The stop came from the host going away (a reload or closed window), not from the user. */
  interrupted = false;
  paused = false;
  checkpointRequested = false;
  private wake?: () => void;

  stop(): void {
    this.stopRequested = true;
    this.wake?.();
  }

  /** Stops because the host went away: the run ends `interrupted`, to be resumed after the reload. */
  interrupt(): void {
    this.interrupted = true;
    this.stop();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Resolves when neither paused nor stopped... or immediately. */
  async waitWhilePaused(): Promise<void> {
    while (this.paused && !this.stopRequested) await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = undefined;
  }
}

/** Yields to the event loop so messages (stop, pause, sample) are handled between steps. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Trainer {
  step = 0;
  readonly optimizer: tf.Optimizer;
  private readonly batcher: Batcher;
  private readonly sampleRng: Rng;
  private source: GradientSource;
  /** Threads computing gradients: 1, or 2 after enableDataParallel. */
  threads = 1;
  private startLoss: number | undefined;
  private bestValLoss: number | undefined;
  private lastLoss: number | undefined;
  private readonly evalSet;
  /** Training time of earlier sessions of this run (resumed runs). */
  private priorMs = 0;
  /** The newest evaluation and training time: the history itself lives in the run's logs, not here. */
  private lastEval: EvalPoint | undefined;
  elapsedMs = 0;
  /** Steps, and clipped steps, since the previous gradient map: the readouts' clip rate. */
  private stepsSinceMap = 0;
  private clipsSinceMap = 0;
  /** Gradient maps so far in this session: the recurrent matrices are measured every spectralEvery-th. */
  private maps = 0;

  constructor(
    readonly model: LanguageModel,
    readonly corpus: Corpus,
    readonly config: TrainConfig,
  ) {
    this.optimizer = createOptimizer(config.optimizer, config.lr);
    // Separate streams: sampling during training must not change which batches come next.
    this.batcher = createBatcher(config.batching, corpus.train, config.batch, config.window, model.prefix, config.seed + 1, {
      truncation: config.truncation,
      keepGraph: config.keepGraph,
    });
    this.sampleRng = new Rng(config.seed + 2);
    this.source = new LocalGradients(model, config.batching === 'sequential');
    const val = corpus.val.length >= model.prefix + 2 ? corpus.val : corpus.train;
    const evalWindow = Math.min(config.window, val.length - model.prefix - 1);
    this.evalSet = evalBatches(val, evalWindow, model.prefix, config.evalTokens, 64);
  }

  /**
   * Restores step, optimizer, batch order and carried state from a checkpoint of this run. With
   * `freshBatches` (the text changed: fine-tuning on it), the weights, optimizer and step carry over but
   * batch order and carried state start afresh: offsets into another text mean nothing.
   */
  async restore(data: CheckpointData, options: { freshBatches?: boolean } = {}): Promise<void> {
    this.model.params.write(data.weights);
    if (data.optimizer.length) await writeOptimizerState(this.optimizer, this.model.params, data.optimizer);
    this.step = data.step;
    if (!options.freshBatches) this.batcher.restore(data.batcher);
    this.sampleRng.setState(data.sampleRng);
    this.lastEval = data.lastEval;
    this.bestValLoss = data.bestValLoss;
    this.lastLoss = data.lastLoss;
    this.startLoss = data.startLoss;
    this.priorMs = data.elapsedMs;
    this.elapsedMs = data.elapsedMs;
    if (!options.freshBatches) await this.source.setCarriedState(data.carriedState);
  }

  get best(): number | undefined {
    return this.bestValLoss;
  }

  get last(): number | undefined {
    return this.lastLoss;
  }

  async run(hooks: TrainerHooks, control: TrainControl): Promise<TrainOutcome> {
    const { config } = this;
    const started = Date.now();
    let rate = 0;
    while (this.step < config.steps) {
      if (control.paused) {
        hooks.onStateChange?.('paused');
        const pausedAt = Date.now();
        await control.waitWhilePaused();
        this.priorMs -= Date.now() - pausedAt; // time spent paused is not training time
        hooks.onStateChange?.('training');
      }
      if (control.stopRequested) break;
      const t0 = performance.now();
      const result = await this.trainOneStep();
      const seconds = (performance.now() - t0) / 1000;
      // Tokens per second, smoothed over the last few steps so the display does not flicker.
      rate = rate === 0 ? result.tokens / seconds : 0.8 * rate + 0.2 * (result.tokens / seconds);
      if (result.diverged) return this.finish('diverged', result.diverged);
      this.step++;
      const point: MetricPoint = {
        step: this.step,
        loss: result.loss,
        gradNorm: result.globalNorm,
        clipped: result.clipped,
        tokensPerSec: Math.round(rate),
        elapsedMs: this.priorMs + (Date.now() - started),
      };
      this.elapsedMs = point.elapsedMs;
      this.lastLoss = result.loss;
      hooks.onStep?.(point);
      if (result.map) hooks.onGradMap?.({ ...result.map, step: this.step });

      const last = this.step === config.steps;
      if (this.step % config.evalInterval === 0 || last) {
        const valLoss = this.evaluate();
        const e = { step: this.step, valLoss };
        this.lastEval = e;
        if (this.bestValLoss === undefined || valLoss < this.bestValLoss) this.bestValLoss = valLoss;
        hooks.onEval?.(e);
      }
      if (config.sampleInterval > 0 && (this.step % config.sampleInterval === 0 || last)) {
        hooks.onSample?.(this.sample('', config.sampleLength, config.temperature, 0));
      }
      if ((config.checkpointInterval > 0 && this.step % config.checkpointInterval === 0) || last || control.checkpointRequested) {
        control.checkpointRequested = false;
        await hooks.onCheckpoint?.(await this.checkpointData(this.priorMs + (Date.now() - started)));
      }
      await yieldToEventLoop();
    }
    if (control.stopRequested) {
      // Keep what was learned: a stopped run ends with a checkpoint of its last step.
      if (this.step > 0) await hooks.onCheckpoint?.(await this.checkpointData(this.priorMs + (Date.now() - started)));
      if (control.interrupted) {
        return this.finish(
          'interrupted',
          `Interrupted at step ${this.step}: VS Code was reloaded or closed while it trained. Resume continues from the checkpoint at step ${this.step}.`,
        );
      }
      return this.finish('stopped', `Stopped at step ${this.step}.`);
    }
    return this.finish('completed', `Finished ${this.step} steps; validation loss ${this.bestValLoss?.toFixed(3)} nats/token (best).`);
  }

  private finish(reason: TrainOutcome['reason'], message: string): TrainOutcome {
    return { reason, message, step: this.step };
  }

  /**
   * Moves gradient computation onto two threads (data parallel). Call after `restore`, before `run`:
   * the replica starts from this model's weights, optimizer state and carried state.
   */
  async enableDataParallel(backend: BackendName): Promise<void> {
    const dp = await DataParallelGradients.start(this.model, this.config, this.model.vocabSize, backend);
    await dp.restore(this.model.params.read(), await readOptimizerState(this.optimizer, this.model.params));
    await dp.setCarriedState(await this.source.getCarriedState());
    await this.source.dispose();
    this.source = dp;
    this.threads = 2;
  }

  /** One optimisation step: gradients from the source, then clip and apply here. */
  async trainOneStep(): Promise<{ loss: number; globalNorm: number; clipped: boolean; tokens: number; diverged?: string; map?: Omit<GradMap, 'step'> }> {
    const { config, model } = this;
    const batch = this.batcher.next();
    const wantMap = config.gradMapInterval > 0 && (this.step + 1) % config.gradMapInterval === 0;
    const g = await this.source.compute(batch, wantMap);
    // Scored tokens: kept windows (keepGraph) are recomputed, not predicted again.
    const tokens = batch.batch * (batch.window - (batch.lossFrom ?? 0));
    const sq = g.grads.map(sumOfSquares);
    const globalNorm = Math.sqrt(sq.reduce((a, b) => a + b, 0));
    if (this.startLoss === undefined) this.startLoss = g.loss;
    const diverged = divergence(g.loss, globalNorm, this.startLoss);
    if (diverged) return { loss: g.loss, globalNorm, clipped: false, tokens, diverged };

    const clipped = clipByGlobalNorm(g.grads, globalNorm, config.clip);
    this.stepsSinceMap++;
    if (clipped) this.clipsSinceMap++;
    this.source.willApply(g.grads);
    const names = model.params.names();
    const grads = tf.tidy(() => Object.fromEntries(names.map((n, i) => [n, tf.tensor(g.grads[i], model.params.get(n).shape)])));
    applyGradients(this.optimizer, model.params, grads);
    tf.dispose(grads);

    const map: Omit<GradMap, 'step'> | undefined = g.lastStepMap && {
      hiddenGradNorms: g.lastStepMap,
      totalGradNorms: g.totalMap,
      ...(g.lastStepCellMap ? { cellGradNorms: g.lastStepCellMap } : {}),
      paramGradNorms: Object.fromEntries(names.map((n, i) => [n, Math.sqrt(sq[i])])),
      globalNorm,
      clip: config.clip,
      readouts: this.readouts(g.lastStepMap, g.lastStepCellMap),
    };
    return { loss: g.loss, globalNorm, clipped, tokens, map };
  }

  /**
   * The readouts recorded with a gradient map: memory horizons from the map just measured, the
   * recurrent matrices' spectra as they are after this step's update, and the clip rate since the
   * previous map.
   */
  private readouts(lastStep: number[][], cells: number[][] | undefined): Readouts {
    const readouts: Readouts = {
      memoryHorizon: lastStep.map((h, l) => memoryHorizon(stateGradNorms(h, cells?.[l]))),
      ...(cells ? { memoryHorizonH: lastStep.map((h) => memoryHorizon(h)) } : {}),
      clipRate: this.stepsSinceMap ? this.clipsSinceMap / this.stepsSinceMap : 0,
    };
    this.stepsSinceMap = 0;
    this.clipsSinceMap = 0;
    const { cell, hidden } = this.config;
    if (cell !== 'window' && this.maps++ % spectralEvery(hidden) === 0) {
      const G = GATE_BLOCKS[cell].length;
      const blocks = this.model.params
        .names()
        .filter((n) => n.endsWith('/recurrent_kernel'))
        .map((n) => recurrentBlockReadouts(this.model.params.get(n).dataSync() as Float32Array, hidden, G));
      readouts.gates = [...GATE_BLOCKS[cell]];
      readouts.spectralRadius = blocks.map((b) => b.spectralRadius);
      readouts.sigmaMax = blocks.map((b) => b.sigmaMax);
    }
    return readouts;
  }

  /** Mean validation loss, nats/token. */
  evaluate(): number {
    let sum = 0;
    let count = 0;
    for (const batch of this.evalSet) {
      sum += tf.tidy(() => this.model.evaluate(batch).dataSync()[0]);
      count += batch.batch * batch.window;
    }
    return sum / count;
  }

  sample(prompt: string, length: number, temperature: number, topK: number, onToken?: (text: string) => void): SampleRecord {
    const text = generate(this.model, this.corpus.vocab, this.corpus.level, { prompt, length, temperature, topK, rng: this.sampleRng, onToken });
    return { step: this.step, prompt, text, temperature };
  }

  async checkpointData(elapsedMs: number): Promise<CheckpointData> {
    return {
      step: this.step,
      config: this.config,
      vocab: this.corpus.vocab.toJSON(),
      weights: this.model.params.read(),
      optimizer: await readOptimizerState(this.optimizer, this.model.params),
      batcher: this.batcher.state(),
      sampleRng: this.sampleRng.getState(),
      carriedState: await this.source.getCarriedState(),
      startLoss: this.startLoss,
      lastEval: this.lastEval,
      bestValLoss: this.bestValLoss,
      lastLoss: this.lastLoss,
      elapsedMs,
    };
  }

  async dispose(): Promise<void> {
    await this.source.dispose();
    this.optimizer.dispose();
  }
}

/** Why training must stop, or undefined. A diverged step is never applied, so the weights stay good. */
export function divergence(loss: number, globalNorm: number, startLoss: number): string | undefined {
  if (!Number.isFinite(loss)) return `The loss became ${loss} (not a number): training diverged. Lower the learning rate or enable gradient clipping.`;
  if (!Number.isFinite(globalNorm)) return `The gradient norm became ${globalNorm}: training diverged. Lower the learning rate or enable gradient clipping.`;
  const limit = Math.max(3 * startLoss, startLoss + 10);
  if (loss > limit)
    return `The loss rose to ${loss.toFixed(2)}, far above its start (${startLoss.toFixed(2)}): training diverged. Lower the learning rate or enable gradient clipping.`;
  return undefined;
}

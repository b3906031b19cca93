/**
 * Data-parallel gradients on two cores: each step, the batch's sequences are split in two; this
 * thread computes the first group while a replica thread (replica.ts) computes the second, and the
 * two gradients are averaged, weighted by group size, exactly as one pass over the whole batch would
 * (up to float rounding). The trainer then clips and applies the result; the replica applies the very
 * same numbers, so the two model copies never drift apart.
 *
 * The whole-window gradient map combines exactly: a group's map is taken for the mean over its own
 * sequences, so the whole batch's norm is sqrt((w_a n_a)^2 + (w_b n_b)^2) with w the group's share.
 * The last prediction's map is measured on the batch's first sequences, which are this thread's.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BackendName, TrainConfig } from '../../protocol/types';
import type { Batch } from '../batches';
import { CarriedState, Gradients, GradientSource, LocalGradients } from '../gradients';
import type { LanguageModel } from '../model';
import type { NamedArray } from '../params';
import type { FromReplica, ToReplica } from './replicaMessages';
import { joinState, sliceBatch, sliceState } from './splitBatch';

/** dist/replica.js beside the bundle (or the compiled replica.js beside this file in tests). */
export const REPLICA_ENTRY = path.join(__dirname, 'replica.js');

type Waiter = { type: FromReplica['type']; resolve: (m: FromReplica) => void; reject: (e: Error) => void };

export class DataParallelGradients implements GradientSource {
  private readonly local: LocalGradients;
  private readonly worker: Worker;
  private readonly computed: Float32Array;
  private readonly applied: Float32Array;
  private readonly waiters: Waiter[] = [];
  private failure: Error | undefined;
  private sizes: number[];

  private constructor(model: LanguageModel, config: TrainConfig, entry: string) {
    this.local = new LocalGradients(model, config.batching === 'sequential');
    const floats = model.params.count;
    this.computed = new Float32Array(new SharedArrayBuffer(floats * 4));
    this.applied = new Float32Array(new SharedArrayBuffer(floats * 4));
    this.sizes = model.params.names().map((n) => model.params.get(n).size);
    this.worker = new Worker(entry);
    this.worker.on('message', (m: FromReplica) => this.receive(m));
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => code !== 0 && this.fail(new Error(`the replica thread exited with code ${code}`)));
  }

  /** Starts the replica with a copy of the model's current weights. */
  static async start(model: LanguageModel, config: TrainConfig, vocabSize: number, backend: BackendName, entry = REPLICA_ENTRY): Promise<DataParallelGradients> {
    const dp = new DataParallelGradients(model, config, entry);
    dp.send({
      type: 'init',
      backend,
      config,
      vocabSize,
      weights: model.params.read(),
      computed: dp.computed.buffer as SharedArrayBuffer,
      applied: dp.applied.buffer as SharedArrayBuffer,
    });
    await dp.expect('ready');
    return dp;
  }

  private send(message: ToReplica): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(message);
  }

  private receive(message: FromReplica): void {
    if (message.type === 'error') return this.fail(new Error(`replica: ${message.message}`));
    const i = this.waiters.findIndex((w) => w.type === message.type);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(message);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiters.splice(0)) w.reject(e);
  }

  private expect<T extends FromReplica['type']>(type: T): Promise<Extract<FromReplica, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ type, resolve: resolve as (m: FromReplica) => void, reject }));
  }

  private split(batchSize: number): [number, number] {
    const a = Math.ceil(batchSize / 2);
    return [a, batchSize - a];
  }

  async compute(batch: Batch, wantMap: boolean): Promise<Gradients> {
    const [nA, nB] = this.split(batch.batch);
    // The replica starts on its half first; this thread computes the other meanwhile. (Waiters are
    // registered right after sending: a reply cannot arrive before this function yields.)
    this.send({ type: 'compute', batch: sliceBatch(batch, nA, nA + nB), wantMap });
    const reply = this.expect('computed');
    const mine = this.local.computeSync(sliceBatch(batch, 0, nA), wantMap);
    const theirs = await reply;
    const wA = nA / batch.batch;
    const wB = nB / batch.batch;
    let offset = 0;
    const grads = mine.grads.map((g, p) => {
      const other = this.computed.subarray(offset, offset + this.sizes[p]);
      offset += this.sizes[p];
      const out = new Float32Array(g.length);
      for (let i = 0; i < g.length; i++) out[i] = wA * g[i] + wB * other[i];
      return out;
    });
    const combine = (a?: number[][], b?: number[][]) => (a && b ? a.map((row, l) => row.map((v, t) => Math.hypot(wA * v, wB * b[l][t]))) : undefined);
    return {
      loss: wA * mine.loss + wB * theirs.loss,
      grads,
      // Measured on the first sequences of the batch, which are this thread's (see LAST_STEP_ROWS).
      lastStepMap: mine.lastStepMap,
      lastStepCellMap: mine.lastStepCellMap,
      totalMap: combine(mine.totalMap, theirs.totalMap),
    };
  }

  willApply(grads: Float32Array[]): void {
    let offset = 0;
    for (const g of grads) {
      this.applied.set(g, offset);
      offset += g.length;
    }
    this.send({ type: 'apply' });
  }

  /** After a checkpoint was restored into the model and optimizer: give the replica the same. */
  async restore(weights: NamedArray[], optimizer: NamedArray[]): Promise<void> {
    this.send({ type: 'restore', weights, optimizer });
    await this.expect('restored');
  }

  async getCarriedState(): Promise<CarriedState | undefined> {
    this.send({ type: 'getState' });
    const reply = this.expect('state');
    return joinState(await this.local.getCarriedState(), (await reply).state);
  }

  async setCarriedState(state: CarriedState | undefined): Promise<void> {
    const B = state?.[0].shape[0] ?? 0;
    const [nA, nB] = this.split(B);
    await this.local.setCarriedState(sliceState(state, 0, nA));
    this.send({ type: 'setState', state: sliceState(state, nA, nA + nB) });
  }

  async dispose(): Promise<void> {
    await this.local.dispose();
    if (!this.failure) this.worker.postMessage({ type: 'dispose' } satisfies ToReplica);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

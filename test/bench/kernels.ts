/**
 * Our WebAssembly SIMD kernels in isolation, against tfjs-wasm in the same process (interleaved, so a
 * busy machine slows both alike), and the profile of one training step with and without them.
 *
 *   npm run build && npm run compile-tests && node out/test/bench/kernels.js [--hidden 256] [--reps 20] [--json FILE]
 *
 * Products at a layer's shapes (B batch 32, T window 64, G gates * H): h U [B,H]x[H,G] (every step
 * forward), dz U^T [B,G]x[G,H] (every step backward), dU = hPrev^T dZ [H,T*B]x[T*B,G] (once a pass).
 * Ours: B packed beforehand where the kernels pack it once per pass (U, U^T), packing included for dZ.
 * tfjs: tf.matMul then dataSync (the read a kernel boundary costs), on untransposed operands.
 */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../../src/core/backend';
import { DEFAULT_CONFIG } from '../../src/core/config';
import { createModel } from '../../src/core/createModel';
import { KernelArena, simdKernels } from '../../src/core/kernels/simdModule';
import type { Implementation, RecurrentModel } from '../../src/core/recurrentModel';
import { Rng } from '../../src/core/rng';
import type { CellType, TrainConfig } from '../../src/protocol/types';

const BATCH = 32;
const WINDOW = 64;
const VOCAB = 65;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.next() - 0.5);
}

interface ProductRow {
  name: string;
  M: number;
  K: number;
  N: number;
  oursGflops: number;
  tfjsGflops: number;
  ratio: number;
}

/** GFLOP/s of C = A B, ours and tfjs's, `reps` interleaved rounds, median of each. */
function product(name: string, M: number, K: number, N: number, reps: number, packEachCall: boolean): ProductRow {
  const k = simdKernels()!.exports;
  const arena = new KernelArena(k);
  const rng = new Rng(1);
  const a = random(M * K, rng);
  const b = random(K * N, rng);
  const A = arena.put(a);
  const Braw = arena.put(b);
  const Bp = arena.allocBytes(k.packedBytes(K, N));
  const C = arena.alloc(M * N);
  k.packB(Braw, N, K, N, 0, Bp);
  const ta = tf.tensor2d(a, [M, K]);
  const tb = tf.tensor2d(b, [K, N]);
  const flop = 2 * M * K * N;
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    let t0 = performance.now();
    if (packEachCall) k.packB(Braw, N, K, N, 0, Bp);
    k.gemm(A, K, Bp, C, N, M, K, N, 0);
    const mine = performance.now() - t0;
    t0 = performance.now();
    const c = tf.matMul(ta, tb);
    c.dataSync();
    const tfjs = performance.now() - t0;
    c.dispose();
    if (r >= 2) {
      ours.push(mine);
      theirs.push(tfjs);
    }
  }
  // Same numbers? One entry checked against tfjs, as a guard on the benchmark itself.
  const ref = tf.matMul(ta, tb).dataSync();
  const got = arena.f32()[C / 4 + M * N - 1];
  if (Math.abs(got - ref[M * N - 1]) > 1e-3 * (1 + Math.abs(ref[M * N - 1]))) throw new Error(`${name}: ours ${got}, tfjs ${ref[M * N - 1]}`);
  tf.dispose([ta, tb]);
  const oursGflops = flop / median(ours) / 1e6;
  const tfjsGflops = flop / median(theirs) / 1e6;
  return { name, M, K, N, oursGflops, tfjsGflops, ratio: oursGflops / tfjsGflops };
}

/** Milliseconds of one training step's forward+backward (no optimizer), median over `reps`, and of the forward pass alone. */
function stepProfile(cell: CellType, hidden: number, implementation: Implementation, threads: number, reps: number): { stepMs: number; forwardMs: number; mapStepMs: number } {
  const config: TrainConfig = { ...DEFAULT_CONFIG, cell, hidden, batch: BATCH, window: WINDOW, layers: 1 };
  const model = createModel(config, VOCAB, new Rng(0), implementation);
  if (threads === 2 && !(model as RecurrentModel).useKernelThreads()) throw new Error('the kernel pool did not start');
  const rng = new Rng(3);
  const batch = {
    x: Int32Array.from({ length: BATCH * WINDOW }, () => rng.int(VOCAB)),
    y: Int32Array.from({ length: BATCH * WINDOW }, () => rng.int(VOCAB)),
    batch: BATCH,
    window: WINDOW,
    prefix: 0,
    continues: false,
  };
  const time = (f: () => void) => {
    const ts: number[] = [];
    for (let r = 0; r < reps + 1; r++) {
      const t0 = performance.now();
      f();
      if (r > 0) ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  const step = (map: boolean) => () =>
    tf.tidy(() => {
      const r = model.trainStep(batch, undefined, map);
      for (const g of Object.values(r.grads)) g.dataSync();
      r.loss.dataSync();
    });
  const stepMs = time(step(false));
  const mapStepMs = time(step(true));
  const forwardMs = time(() => tf.tidy(() => model.evaluate(batch).dataSync()));
  model.dispose();
  return { stepMs, forwardMs, mapStepMs };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { hidden: { type: 'string', default: '256' }, reps: { type: 'string', default: '20' }, json: { type: 'string' } } });
  const H = Number(values.hidden);
  const reps = Number(values.reps);
  const backend = await selectBackend('wasm');
  const k = simdKernels();
  if (!k) throw new Error('no SIMD kernels in this runtime');
  console.log(`Backend: ${backend.reason}\n`);
  const products: ProductRow[] = [];
  for (const G of [H, 3 * H, 4 * H]) {
    products.push(product(`h U (G=${G / H}H)`, BATCH, H, G, reps * 5, false));
    products.push(product(`dz U^T (G=${G / H}H)`, BATCH, G, H, reps * 5, false));
    products.push(product(`dU = hPrev^T dZ (G=${G / H}H), packing dZ included`, H, BATCH * WINDOW, G, Math.max(3, reps >> 2), true));
  }
  console.log('| product | M x K x N | ours GFLOP/s | tfjs-wasm GFLOP/s (with dataSync) | ratio |\n|---|---|---:|---:|---:|');
  for (const p of products) console.log(`| ${p.name} | ${p.M} x ${p.K} x ${p.N} | ${p.oursGflops.toFixed(1)} | ${p.tfjsGflops.toFixed(1)} | ${p.ratio.toFixed(2)} |`);

  const profiles: Record<string, unknown>[] = [];
  console.log(`\nOne training step, hidden ${H}, batch ${BATCH}, window ${WINDOW} (forward + backward, no optimizer; median of ${reps}):`);
  console.log('| cell | implementation | threads | step ms | step with both maps ms | forward (evaluate) ms | tokens/s (step) |\n|---|---|---:|---:|---:|---:|---:|');
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const [impl, threads] of [
      ['fused', 1],
      ['simd', 1],
      ['simd', 2],
    ] as const) {
      const p = stepProfile(cell, H, impl, threads, reps);
      profiles.push({ cell, implementation: impl, threads, ...p });
      console.log(
        `| ${cell} | ${impl} | ${threads} | ${p.stepMs.toFixed(1)} | ${p.mapStepMs.toFixed(1)} | ${p.forwardMs.toFixed(1)} | ${Math.round((BATCH * WINDOW) / (p.stepMs / 1000))} |`,
      );
    }
  }
  if (values.json) fs.writeFileSync(values.json, JSON.stringify({ backend, variant: k.variant, products, profiles }, null, 2));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

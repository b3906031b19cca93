/**
 * The training worker: a child process of the extension host (forked with ELECTRON_RUN_AS_NODE), so a
 * native crash or running out of memory in training cannot take the editor down. It runs one training
 * job at a time and speaks the typed protocol of `protocol/worker.ts` over Node's IPC channel: messages
 * in, training-core calls, messages out.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../core/backend';
import { loadCheckpoint } from '../core/checkpoint';
import { ConfigError, parseConfigStrict } from '../core/config';
import { createModel } from '../core/createModel';
import { SeqLabError } from '../core/errors';
import type { LanguageModel } from '../core/model';
import { Rng } from '../core/rng';
import { WORKER_ERROR_LOG } from '../core/runFiles';
import { probeValidation } from '../core/experiments/probeRun';
import { readCorpusText, runTraining } from '../core/runTraining';
import { beamSearch } from '../core/beamSearch';
import { generate, inspect } from '../core/sample';
import { TrainControl, Trainer } from '../core/trainer';
import { Vocabulary } from '../core/vocabulary';
import type { BackendName, TokenLevel, TrainConfig } from '../protocol/types';
import type { BeamRequest, InsideRequest } from '../protocol/inside';
import { signalRequest, traceRequest } from './insideRequests';
import { HostToWorker, InspectRequest, isHostToWorker, ProbeRequest, rejectionOf, SampleRequest, StartTraining, WORKER_PROTOCOL_VERSION, WorkerToHost } from '../protocol/worker';

function send(message: WorkerToHost): void {
  // After the host has gone (reload), there is no one to tell: the run goes on to its checkpoint. A
  // message sent as the channel closes fails: the callback takes the error, which would otherwise be
  // an unhandled 'error' event that ends the process before that checkpoint.
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
}

interface LiveRun {
  runId: string;
  runDir: string;
  control: TrainControl;
  trainer?: Trainer;
}

let live: LiveRun | undefined;
let shuttingDown = false;

function errorMessage(e: unknown, ids: { runId?: string; requestId?: string }): WorkerToHost {
  if (e instanceof SeqLabError) return { type: 'error', ...ids, code: e.code, message: e.message, hint: e.hint };
  if (e instanceof ConfigError) return { type: 'error', ...ids, code: 'BAD_CONFIG', message: e.message, hint: 'Check the sequenceLab.* settings.' };
  return {
    type: 'error',
    ...ids,
    code: 'INTERNAL',
    message: `Training failed: ${(e as Error)?.message ?? String(e)}`,
    hint: 'See the "Sequence Lab" output channel for details; the last checkpoint can be resumed.',
  };
}

async function start(msg: StartTraining): Promise<void> {
  if (msg.version !== WORKER_PROTOCOL_VERSION) {
    send({ type: 'error', runId: msg.runId, code: 'PROTOCOL', message: `Worker protocol ${WORKER_PROTOCOL_VERSION}, host sent ${msg.version}.`, hint: 'Reload the window.' });
    return;
  }
  if (live) {
    send({ type: 'error', runId: msg.runId, code: 'BUSY', message: `The worker is already training run ${live.runId}.` });
    return;
  }
  const run: LiveRun = { runId: msg.runId, runDir: msg.runDir, control: new TrainControl() };
  live = run;
  const { runId } = msg;
  try {
    const config = parseConfigStrict(msg.config);
    const result = await runTraining({
      runId,
      runDir: msg.runDir,
      files: [...msg.files],
      config,
      resumeFrom: msg.resumeFrom,
      fineTuneFrom: msg.fineTuneFrom,
      allowChangedText: msg.allowChangedText,
      maxBytes: msg.maxBytes,
      truncate: msg.truncate,
      control: run.control,
      onProgress: (phase, message) => send({ type: 'progress', runId, phase, message }),
      onStarted: (info, trainer) => {
        run.trainer = trainer;
        send({ type: 'started', runId, info, startStep: trainer.step });
      },
      onCheckpointSaved: (kept) => send({ type: 'checkpoint', runId, checkpoints: [...kept] }),
      hooks: {
        onStep: (point) => send({ type: 'metrics', runId, point }),
        onEval: (point) => send({ type: 'eval', runId, point }),
        onGradMap: (map) => send({ type: 'gradmap', runId, map }),
        onSample: (sample) => send({ type: 'sample', runId, sample }),
        onStateChange: (state) => send({ type: 'state', runId, state }),
      },
    });
    send({ type: 'finished', runId, reason: result.reason, message: result.message, step: result.step });
  } catch (e) {
    send(errorMessage(e, { runId }));
  } finally {
    live = undefined;
    if (shuttingDown) process.exit(0);
  }
}

/** A model restored from a checkpoint for sampling or inspection, released after use. */
async function withCheckpointModel<T>(
  location: string,
  use: (model: LanguageModel, vocab: Vocabulary, level: TokenLevel, backend: BackendName, config: TrainConfig) => T,
): Promise<T> {
  const checkpoint = loadCheckpoint(location);
  // Reuse the backend a live run chose; otherwise the best available.
  const backend = live ? (tf.getBackend() as BackendName) : (await selectBackend('auto')).name;
  const vocab = Vocabulary.fromJSON(checkpoint.vocab);
  const model = createModel(checkpoint.config, vocab.size, new Rng(0));
  try {
    model.params.write(checkpoint.weights);
    return use(model, vocab, checkpoint.config.level, backend, checkpoint.config);
  } finally {
    model.dispose();
  }
}

async function sample(msg: SampleRequest): Promise<void> {
  const { requestId } = msg;
  const options = {
    prompt: msg.prompt,
    length: msg.length,
    temperature: msg.temperature,
    topK: msg.topK,
    rng: new Rng(msg.seed),
    onToken: (token: string) => send({ type: 'sampleToken', requestId, token }),
  };
  // Beam search (width 1 is greedy) or sampling: the best beam's text, sent whole (it is not streamed).
  const decode = (model: LanguageModel, vocab: Vocabulary, level: TokenLevel) =>
    msg.beam !== undefined ? (beamSearch(model, vocab, level, { prompt: msg.prompt, length: msg.length, width: msg.beam })[0]?.text ?? '') : generate(model, vocab, level, options);
  try {
    const trainer = live && live.runId === msg.runId ? live.trainer : undefined;
    if (trainer) {
      const text = decode(trainer.model, trainer.corpus.vocab, trainer.corpus.level);
      send({ type: 'sampleDone', requestId, text, backend: tf.getBackend() as BackendName });
    } else if (msg.checkpoint) {
      const done = await withCheckpointModel(msg.checkpoint, (model, vocab, level, backend) => ({ text: decode(model, vocab, level), backend }));
      send({ type: 'sampleDone', requestId, ...done });
    } else {
      send({ type: 'error', requestId, code: 'NO_MODEL', message: 'That run is not training and no checkpoint was given.', hint: 'Sample from a run that has a checkpoint.' });
    }
  } catch (e) {
    send(errorMessage(e, { requestId }));
  }
}

async function inspectText(msg: InspectRequest): Promise<void> {
  try {
    const result = await withCheckpointModel(msg.checkpoint, (model, vocab, level) => inspect(model, vocab, level, msg.text, msg.topK));
    send({ type: 'inspected', requestId: msg.requestId, tokens: result.tokens, meanSurprisal: result.meanSurprisal });
  } catch (e) {
    send(errorMessage(e, { requestId: msg.requestId }));
  }
}

/** The context-length probe on the validation part of the run's text, split as training split it (same vocabulary, same fraction). */
async function probe(msg: ProbeRequest): Promise<void> {
  try {
    const text = readCorpusText(msg.files, msg.maxBytes, msg.truncate);
    const points = await withCheckpointModel(msg.checkpoint, (model, vocab, _level, _backend, config) => probeValidation(model, config, vocab, text));
    send({ type: 'probed', requestId: msg.requestId, points });
  } catch (e) {
    send(errorMessage(e, { requestId: msg.requestId }));
  }
}

/** Hidden units and pattern signals over a text, and beam search from a checkpoint (protocol/inside.ts). */
async function insideRequest(msg: InsideRequest): Promise<void> {
  const { requestId } = msg;
  try {
    if (msg.type === 'insideTrace') send({ type: 'insideTraced', requestId, trace: traceRequest(msg) });
    else if (msg.type === 'insideSignal') send({ type: 'insideSignalDone', requestId, signal: signalRequest(msg) });
    else send({ type: 'beamDone', requestId, ...(await beam(msg)) });
  } catch (e) {
    send(errorMessage(e, { requestId }));
  }
}

async function beam(msg: BeamRequest): Promise<{ text: string; logProb: number }> {
  const [best] = await withCheckpointModel(msg.checkpoint, (model, vocab, level) => beamSearch(model, vocab, level, { prompt: msg.prompt, length: msg.length, width: msg.width }));
  return { text: best.text, logProb: best.logProb };
}

function handle(msg: HostToWorker): void {
  switch (msg.type) {
    case 'start':
      void start(msg);
      return;
    case 'sample':
      void sample(msg);
      return;
    case 'inspect':
      void inspectText(msg);
      return;
    case 'probe':
      void probe(msg);
      return;
    case 'insideTrace':
    case 'insideSignal':
    case 'beam':
      void insideRequest(msg);
      return;
    case 'shutdown':
      shuttingDown = true;
      if (!live) process.exit(0);
      live.control.stop();
      return;
    default: {
      if (!live || live.runId !== msg.runId) {
        // Scoped to the request when it has an id: the host fails that request, not the run.
        send({
          type: 'error',
          runId: msg.runId,
          ...(msg.requestId !== undefined ? { requestId: msg.requestId } : {}),
          code: 'NOT_RUNNING',
          message: `Run ${msg.runId} is not training in this worker.`,
        });
        return;
      }
      const { control } = live;
      if (msg.type === 'stop') control.stop();
      else if (msg.type === 'pause') control.pause();
      else if (msg.type === 'resume') control.resume();
      else control.checkpointRequested = true;
    }
  }
}

process.on('message', (msg: unknown) => {
  if (!isHostToWorker(msg)) {
    // A refused sample (a prompt past the limit, a NaN temperature) fails that request, never the run.
    send(rejectionOf(msg));
    return;
  }
  handle(msg);
});

// Signs of life for the host's supervision: every few seconds from this timer, which fires only
// between steps, and a metrics message after every step, which counts as one too.
const HEARTBEAT_MS = 2000;
setInterval(() => send({ type: 'heartbeat', ...(live ? { runId: live.runId, step: live.trainer?.step ?? 0 } : {}) }), HEARTBEAT_MS).unref();

// The host going away (window closed or reloaded) ends training: stop at the next step with a
// checkpoint, then exit, so the run can be resumed after the reload.
process.on('disconnect', () => {
  shuttingDown = true;
  // The host has closed our output pipes too: a write to them (a library's warning) fails with
  // EPIPE, which must not end the process before it has written its checkpoint.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  if (!live) process.exit(0);
  live.control.interrupt();
});

process.on('uncaughtException', (e) => {
  if (process.connected) send(errorMessage(e, { runId: live?.runId }));
  else if (live) {
    // No host to tell: leave the reason where the next window will find it, beside the run.
    try {
      fs.appendFileSync(path.join(live.runDir, WORKER_ERROR_LOG), `${new Date().toISOString()} ${(e as Error)?.stack ?? String(e)}\n`);
    } catch {
      // The run folder is gone: nothing more to do.
    }
  }
  process.exit(1);
});

send({ type: 'hello', version: WORKER_PROTOCOL_VERSION, pid: process.pid });

/**
 * The replica thread of data-parallel training (a worker_threads entry, bundled to dist/replica.js).
 * It holds an identical copy of the model and optimizer on its own tfjs backend, computes the
 * gradients of its share of each batch, and applies exactly the gradients the coordinator applies,
 * so both copies stay bit-identical without sending weights back and forth.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend } from '../backend';
import { createModel } from '../createModel';
import { LocalGradients } from '../gradients';
import type { LanguageModel } from '../model';
import { applyGradients, createOptimizer, writeOptimizerState } from '../optimizer';
import { Rng } from '../rng';
import type { FromReplica, ToReplica } from './replicaMessages';

interface Replica {
  model: LanguageModel;
  optimizer: tf.Optimizer;
  source: LocalGradients;
  computed: Float32Array;
  applied: Float32Array;
}

let replica: Replica | undefined;

function post(message: FromReplica): void {
  parentPort!.postMessage(message);
}

/** Views of one flat buffer as one array per parameter, in the store's order. */
function perParam(model: LanguageModel, flat: Float32Array): Float32Array[] {
  let offset = 0;
  return model.params.names().map((n) => {
    const size = model.params.get(n).size;
    const view = flat.subarray(offset, offset + size);
    offset += size;
    return view;
  });
}

async function handle(msg: ToReplica): Promise<void> {
  switch (msg.type) {
    case 'init': {
      await selectBackend(msg.backend);
      const model = createModel(msg.config, msg.vocabSize, new Rng(msg.config.seed));
      model.params.write(msg.weights);
      replica = {
        model,
        optimizer: createOptimizer(msg.config.optimizer, msg.config.lr),
        // The last prediction's map is measured on the coordinator's sequences only.
        source: new LocalGradients(model, msg.config.batching === 'sequential', false),
        computed: new Float32Array(msg.computed),
        applied: new Float32Array(msg.applied),
      };
      post({ type: 'ready' });
      return;
    }
    case 'compute': {
      const r = replica!;
      const g = r.source.computeSync(msg.batch, msg.wantMap);
      let offset = 0;
      for (const a of g.grads) {
        r.computed.set(a, offset);
        offset += a.length;
      }
      post({ type: 'computed', loss: g.loss, lastStepMap: g.lastStepMap, totalMap: g.totalMap });
      return;
    }
    case 'apply': {
      const r = replica!;
      const names = r.model.params.names();
      const views = perParam(r.model, r.applied);
      const grads = tf.tidy(() => Object.fromEntries(names.map((n, i) => [n, tf.tensor(views[i], r.model.params.get(n).shape)])));
      applyGradients(r.optimizer, r.model.params, grads);
      tf.dispose(grads);
      return;
    }
    case 'restore': {
      const r = replica!;
      r.model.params.write(msg.weights);
      if (msg.optimizer.length) await writeOptimizerState(r.optimizer, r.model.params, msg.optimizer);
      post({ type: 'restored' });
      return;
    }
    case 'getState':
      post({ type: 'state', state: await replica!.source.getCarriedState() });
      return;
    case 'setState':
      await replica!.source.setCarriedState(msg.state);
      return;
    case 'dispose':
      await replica?.source.dispose();
      replica?.optimizer.dispose();
      replica?.model.dispose();
      process.exit(0);
  }
}

// Messages are handled strictly in order: an 'apply' always finishes before the next 'compute'.
let queue = Promise.resolve();
parentPort!.on('message', (msg: ToReplica) => {
  queue = queue.then(() => handle(msg)).catch((e: Error) => post({ type: 'error', message: e.stack ?? e.message }));
});

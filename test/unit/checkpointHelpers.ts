/** A real checkpoint of a tiny model, for the checkpoint tests. */
import { CheckpointData } from '../../src/core/checkpoint';
import { buildCorpus } from '../../src/core/corpus';
import { createModel } from '../../src/core/createModel';
import { Rng } from '../../src/core/rng';
import { Trainer } from '../../src/core/trainer';
import type { TrainConfig } from '../../src/protocol/types';
import { tinyConfig } from './helpers';
import { syntheticText } from './longRun';

const CONFIG: TrainConfig = tinyConfig({ cell: 'lstm', hidden: 8, batch: 2, window: 4, batching: 'sequential', steps: 10, evalTokens: 50 });

/** The checkpoint of a tiny trained model at `step`. */
export async function checkpointAt(step: number, config = CONFIG): Promise<CheckpointData> {
  const corpus = buildCorpus(syntheticText(3000), { ...config, minTrainTokens: 50 });
  const t = new Trainer(createModel(config, corpus.vocab.size, new Rng(config.seed)), corpus, config);
  await t.trainOneStep();
  const data = await t.checkpointData(1234);
  await t.dispose();
  t.model.dispose();
  return { ...data, step };
}

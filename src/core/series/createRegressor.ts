/** A network regressor of a kind, seeded. */
import { Rng } from '../rng';
import { LatentRegressor } from './latentRegressor';
import { MlpRegressor } from './mlpRegressor';
import type { NetworkRegressor, RegressorShape } from './networkRegressor';

export function createRegressor(shape: RegressorShape, seed: number, implementation?: 'reference' | 'fused'): NetworkRegressor {
  const rng = new Rng(seed);
  return shape.kind === 'mlp' ? new MlpRegressor(shape, rng) : new LatentRegressor(shape, rng, implementation);
}

/**
 * Built-in series, to start with no file. `sine` is the chapter's: x_t = sin(0.01 t) + ε_t with
 * ε_t ~ N(0, 0.2²), t = 1 .. 1000, the first 600 points for training, tau = 4.
 */
import { Rng } from '../rng';
import { makeSeries, type Series } from './series';

export const GENERATORS = ['sine', 'sines', 'walk', 'logistic'] as const;
export type GeneratorName = (typeof GENERATORS)[number];

export interface GeneratedSeries {
  series: Series;
  /** What the chapter (or the generator's nature) suggests. */
  defaults: { tau: number; trainLength: number; period?: number };
  description: string;
}

export function generateSeries(name: GeneratorName, options: { length?: number; seed?: number } = {}): GeneratedSeries {
  const T = options.length ?? 1000;
  const rng = new Rng(options.seed ?? 0);
  const x = new Float64Array(T);
  const trainLength = Math.round(0.6 * T);
  switch (name) {
    case 'sine':
      for (let t = 1; t <= T; t++) x[t - 1] = Math.sin(0.01 * t) + 0.2 * rng.normal();
      return { series: makeSeries(x, 1, ['sine']), defaults: { tau: 4, trainLength }, description: 'sin(0.01 t) + N(0, 0.2²), the chapter’s series' };
    case 'sines':
      // Periods 40 and 10: together they repeat every 40 steps, the seasonal-naive period.
      for (let t = 1; t <= T; t++) x[t - 1] = Math.sin((2 * Math.PI * t) / 40) + 0.5 * Math.sin((2 * Math.PI * t) / 10) + 0.1 * rng.normal();
      return { series: makeSeries(x, 1, ['sines']), defaults: { tau: 16, trainLength, period: 40 }, description: 'sin(2πt/40) + 0.5 sin(2πt/10) + N(0, 0.1²)' };
    case 'walk': {
      let v = 0;
      for (let t = 0; t < T; t++) x[t] = v += rng.normal();
      return { series: makeSeries(x, 1, ['walk']), defaults: { tau: 4, trainLength }, description: 'a Gaussian random walk: the best forecast is the last value' };
    }
    case 'logistic': {
      // r = 3.9: chaotic; a one-step map that is easy to learn yet whose long forecasts must fail.
      let v = 0.2;
      for (let t = 0; t < T; t++) x[t] = v = 3.9 * v * (1 - v);
      return { series: makeSeries(x, 1, ['logistic']), defaults: { tau: 2, trainLength }, description: 'the logistic map x ← 3.9 x (1 − x), chaotic' };
    }
  }
}

/**
 * Numeric sequences: the closed-form autoregressive fit against an independent solve, and the
 * chapter's result on its noisy sine (tau = 4, 600 training points of 1,000).
 */
import * as assert from 'node:assert/strict';
import { forecast } from '../../src/core/series/forecast';
import { generateSeries } from '../../src/core/series/generators';
import { lagDesign } from '../../src/core/series/lags';
import { fitLinearAR, fitLinearARBySgd } from '../../src/core/series/linearAR';
import { fitNormalizer, makeSeries, normalize } from '../../src/core/series/series';
import { Rng } from '../../src/core/rng';
import { runForecast } from '../../src/core/series/runForecast';

/** Least squares through the normal equations (XᵀX) β = Xᵀy, solved by Gauss-Jordan with partial pivoting. */
function normalEquations(X: number[][], y: number[]): number[] {
  const n = X[0].length;
  const M = Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: n }, (_, j) => X.reduce((s, row) => s + row[i] * row[j], 0)),
    X.reduce((s, row, r) => s + row[i] * y[r], 0),
  ]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

describe('numeric sequences: autoregressive models', () => {
  it('the closed-form fit equals an independent least-squares solve to 1e-6 (d = 3, tau = 5)', () => {
    const rng = new Rng(3);
    const T = 400;
    const d = 3;
    const v = new Float64Array(T * d);
    for (let i = 0; i < v.length; i++) v[i] = (i >= d ? 0.6 * v[i - d] : 0) + rng.normal();
    const series = makeSeries(v, d);
    const tau = 5;
    const design = lagDesign(series, tau, 0, 300);
    assert.equal(design.rows, 295);
    const model = fitLinearAR(design, tau);
    const X = Array.from({ length: design.rows }, (_, r) => [...design.features.subarray(r * design.width, (r + 1) * design.width), 1]);
    let worst = 0;
    for (let j = 0; j < d; j++) {
      const beta = normalEquations(
        X,
        Array.from({ length: design.rows }, (_, r) => design.targets[r * d + j]),
      );
      for (let i = 0; i < design.width; i++) worst = Math.max(worst, Math.abs(beta[i] - model.weights[i * d + j]));
      worst = Math.max(worst, Math.abs(beta[design.width] - model.bias[j]));
    }
    assert.ok(worst < 1e-6, `largest coefficient difference ${worst}`);
  });

  it('recovers the coefficients of a noiseless AR(2) exactly', () => {
    const v = new Float64Array(200);
    v[0] = 1;
    v[1] = 0.5;
    for (let t = 2; t < v.length; t++) v[t] = 1.2 * v[t - 1] - 0.5 * v[t - 2] + 0.3;
    const model = fitLinearAR(lagDesign(makeSeries(v, 1), 2, 0, 200), 2);
    // Oldest first: x_{t-2} then x_{t-1}.
    assert.ok(Math.abs(model.weights[0] + 0.5) < 1e-9 && Math.abs(model.weights[1] - 1.2) < 1e-9 && Math.abs(model.bias[0] - 0.3) < 1e-9, `${model.weights} ${model.bias}`);
  });

  it('refuses a constant series with a reason instead of dividing by zero', () => {
    const series = makeSeries(new Float64Array(50).fill(2), 1, ['flat']);
    assert.throws(() => fitNormalizer(series, 30), /flat is constant/);
    assert.throws(() => fitLinearAR(lagDesign(series, 2, 0, 30), 2), /linearly dependent/);
  });

  describe("the chapter's noisy sine: sin(0.01 t) + N(0, 0.2²), T = 1000, 600 for training, tau = 4", () => {
    const { series, defaults } = generateSeries('sine', { seed: 0 });
    const { tau, trainLength } = defaults;
    const norm = fitNormalizer(series, trainLength);
    const normalized = normalize(series, norm);
    const model = fitLinearAR(lagDesign(normalized, tau, 0, trainLength), tau);
    const report = forecast(model, series, normalized, norm, trainLength);

    it('one-step test MSE is near the noise variance 0.04 plus what four noisy lags cannot recover, and equals an independent least-squares fit', () => {
      // Independent: raw (unnormalised) values, normal equations; predictions of an affine fit do not depend on scaling.
      const raw = lagDesign(series, tau, 0, trainLength);
      const X = Array.from({ length: raw.rows }, (_, r) => [...raw.features.subarray(r * tau, (r + 1) * tau), 1]);
      const beta = normalEquations(X, Array.from(raw.targets));
      const test = lagDesign(series, tau, trainLength, series.length);
      let sum = 0;
      for (let r = 0; r < test.rows; r++) {
        let p = beta[tau];
        for (let i = 0; i < tau; i++) p += beta[i] * test.features[r * tau + i];
        sum += (p - test.targets[r]) ** 2;
      }
      const independent = sum / test.rows;
      const ours = report.testMse['1'];
      assert.ok(ours > 0.04 && ours < 0.07, `one-step test MSE ${ours}`);
      assert.ok(Math.abs(ours - independent) / independent < 1e-9, `ours ${ours}, independent ${independent}`);
    });

    it('the SGD-trained linear model reaches within 5% of the least-squares test MSE', () => {
      const { model: sgd, losses } = fitLinearARBySgd(lagDesign(normalized, tau, 0, trainLength), tau, { epochs: 40, lr: 0.05, seed: 1 });
      assert.ok(losses[losses.length - 1] < losses[0], 'training loss falls');
      const sgdMse = forecast(sgd, series, normalized, norm, trainLength).testMse['1'];
      const ls = report.testMse['1'];
      assert.ok(Math.abs(sgdMse - ls) / ls < 0.05, `SGD ${sgdMse}, least squares ${ls}`);
    });

    it('k-step error grows with k (k = 1, 4, 16, 64), and the naive last value is worse than the model one step ahead', () => {
      const k = report.testMse;
      assert.deepEqual(Object.keys(k), ['1', '4', '16', '64']);
      assert.ok(k['1'] < k['4'] && k['4'] < k['16'] && k['16'] < k['64'], JSON.stringify(k));
      assert.ok(k['1'] < report.baselineMse.last_value['1'], `${k['1']} vs ${report.baselineMse.last_value['1']}`);
    });

    it('the free-running forecast decays toward a constant', () => {
      const f = report.freeRun;
      const spread = (a: Float64Array) => Math.max(...a) - Math.min(...a);
      const early = f.subarray(0, 100);
      const late = f.subarray(f.length - 100);
      assert.ok(spread(late) < 0.2 * spread(early), `the first 100 predictions span ${spread(early)}, the last 100 ${spread(late)}`);
      assert.ok(spread(late) < 0.02 * spread(series.values.subarray(trainLength)), 'far flatter than the series it predicts');
    });
  });
});

describe('numeric sequences: a forecasting run', () => {
  it('the sine generator with its defaults: the chapter’s split, tau 4, JSON-ready errors in original units', async () => {
    const r = await runForecast({ generate: 'sine', model: 'linear' });
    assert.equal(r.tau, 4);
    assert.equal(r.trainLength, 600);
    assert.deepEqual(Object.keys(r.test_mse), ['1', '4', '16', '64']);
    assert.ok(r.test_mse['1'] > 0.04 && r.test_mse['1'] < 0.07);
    assert.ok(r.baseline_mse.last_value['1'] > r.test_mse['1']);
    const sgd = await runForecast({ generate: 'sine', model: 'linear-sgd' });
    assert.ok(Math.abs(sgd.test_mse['1'] - r.test_mse['1']) / r.test_mse['1'] < 0.05);
  });

  it('sums of sines get a seasonal-naive baseline at their period; bad options are refused with a reason', async () => {
    const r = await runForecast({ generate: 'sines', model: 'linear' });
    assert.ok(r.baseline_mse.seasonal_naive, 'a period is known');
    assert.ok(r.test_mse['1'] < r.baseline_mse.seasonal_naive!['1'], `${r.test_mse['1']} vs ${r.baseline_mse.seasonal_naive!['1']}`);
    await assert.rejects(runForecast({ generate: 'sine', model: 'linear', tau: 0 }), /tau = 0 is out of range/);
    await assert.rejects(runForecast({ generate: 'sine', model: 'linear', trainFraction: 1.5 }), /between 0 and 1/);
    await assert.rejects(runForecast({ model: 'linear' }), /Nothing to forecast/);
  });
});

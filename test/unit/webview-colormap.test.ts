import * as assert from 'assert';
import { colormapTable, luminance, normalize, viridis } from '../../src/webview/lib/colormap';
import { finiteRange, log10Safe, niceTicks, secondaryTicks } from '../../src/webview/lib/scale';
import { parseColor, withAlpha } from '../../src/webview/lib/color';
import { DEFAULT_PREFS, sanitizePrefs } from '../../src/webview/lib/prefs';

describe('webview colour map', () => {
  it('matches published viridis end and middle points within a few units', () => {
    // matplotlib's table: viridis(0) = #440154, viridis(0.5) = #21918c, viridis(1) = #fde725
    const close = (a: readonly number[], b: readonly number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 6);
    assert.ok(close(viridis(0), [0x44, 0x01, 0x54]), String(viridis(0)));
    assert.ok(close(viridis(0.5), [0x21, 0x91, 0x8c]), String(viridis(0.5)));
    assert.ok(close(viridis(1), [0xfd, 0xe7, 0x25]), String(viridis(1)));
  });

  it('gets lighter monotonically (a perceptual map)', () => {
    let prev = -1;
    for (let i = 0; i <= 100; i++) {
      const l = luminance(viridis(i / 100));
      assert.ok(l > prev, `luminance falls at ${i}`);
      prev = l;
    }
  });

  it('clamps out-of-range input and builds a lookup table', () => {
    assert.deepStrictEqual(viridis(-3), viridis(0));
    assert.deepStrictEqual(viridis(7), viridis(1));
    const table = colormapTable(4);
    assert.strictEqual(table.length, 16);
    assert.deepStrictEqual([...table.slice(12, 15)], [...viridis(1)]);
    assert.strictEqual(normalize(5, 0, 10), 0.5);
    assert.strictEqual(normalize(5, 3, 3), 0.5);
  });
});

describe('webview scales', () => {
  it('log10 of non-positive values is NaN', () => {
    assert.strictEqual(log10Safe(1000), 3);
    assert.ok(Number.isNaN(log10Safe(0)));
    assert.ok(Number.isNaN(log10Safe(-1)));
  });

  it('nice ticks fall on 1-2-5 multiples inside the range', () => {
    assert.deepStrictEqual(niceTicks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
    assert.deepStrictEqual(niceTicks(1.23, 4.17, 5), [1.5, 2, 2.5, 3, 3.5, 4]);
    assert.deepStrictEqual(finiteRange([NaN, 3, null, -1, Infinity]), { min: -1, max: 3 });
    assert.strictEqual(finiteRange([NaN]), undefined);
  });

  it('places perplexity ticks at the loss whose exp is the label', () => {
    const { positions, labels } = secondaryTicks(Math.log(3), Math.log(70), 'perplexity');
    assert.deepStrictEqual(labels, ['5', '10', '20', '50']);
    positions.forEach((p, i) => assert.ok(Math.abs(Math.exp(p) - Number(labels[i])) < 1e-9));
  });

  it('places bits-per-character ticks using characters per token', () => {
    // word-level: 5 characters per token; loss 7 nats/token = 7 / ln 2 / 5 = 2.02 bpc
    const { positions, labels } = secondaryTicks(3, 7, 'bpc', 5);
    assert.ok(labels.length >= 3);
    positions.forEach((p, i) => assert.ok(Math.abs(p / Math.LN2 / 5 - Number(labels[i])) < 1e-9));
    assert.ok(positions.every((p) => p >= 3 && p <= 7));
  });

  it('perplexity ticks stay few over a wide range', () => {
    const { labels } = secondaryTicks(0.1, 9, 'perplexity');
    assert.ok(labels.length >= 3 && labels.length <= 8, labels.join(','));
  });
});

describe('webview colours and preferences', () => {
  it('parses the colour forms VS Code themes use and makes them translucent', () => {
    assert.deepStrictEqual(parseColor('#fff'), { r: 255, g: 255, b: 255, a: 1 });
    assert.deepStrictEqual(parseColor('#3794ff'), { r: 0x37, g: 0x94, b: 0xff, a: 1 });
    assert.deepStrictEqual(parseColor('#00000080'), { r: 0, g: 0, b: 0, a: 128 / 255 });
    assert.deepStrictEqual(parseColor('rgba(204, 204, 204, 0.5)'), { r: 204, g: 204, b: 204, a: 0.5 });
    assert.deepStrictEqual(parseColor('rgb(1 2 3 / 50%)'), { r: 1, g: 2, b: 3, a: 0.5 });
    assert.strictEqual(parseColor('var(--x)'), undefined);
    assert.strictEqual(withAlpha('#ff0000', 0.25), 'rgba(255, 0, 0, 0.25)');
    assert.strictEqual(withAlpha('rgba(0, 0, 0, 0.5)', 0.5), 'rgba(0, 0, 0, 0.25)');
    assert.strictEqual(withAlpha('red', 0.5), 'red');
  });

  it('keeps valid stored preferences and replaces invalid ones with defaults', () => {
    assert.deepStrictEqual(sanitizePrefs(undefined), DEFAULT_PREFS);
    const p = sanitizePrefs({ smoothing: 0.5, secondary: 'bpc', xLog: true, layer: 2, gradQuantity: 'total', compareUnit: 'bpc' });
    assert.deepStrictEqual(p, { smoothing: 0.5, secondary: 'bpc', xLog: true, layer: 2, gradQuantity: 'total', compareUnit: 'bpc' });
    const bad = sanitizePrefs({ smoothing: 1, secondary: 'x', xLog: 'yes', layer: -1, gradQuantity: 'hidden', compareUnit: 3 });
    assert.deepStrictEqual(bad, DEFAULT_PREFS);
  });
});

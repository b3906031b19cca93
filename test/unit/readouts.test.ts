/** The readouts against matrices and gradient profiles whose answers are known in closed form. */
import * as assert from 'node:assert/strict';
import { clipRate, largestSingularValue, memoryHorizon, spectralRadius, squareBlock } from '../../src/core/readouts';

/** Row-major [n, n] from rows. */
const mat = (rows: number[][]) => Float64Array.from(rows.flat());

describe('readouts', () => {
  it('memory horizon: steps back until the gradient falls below 1e-3 of its last value', () => {
    // Halving every step back: 2^-k >= 1e-3 for k <= 9 (2^-10 = 0.000977).
    const halving = Array.from({ length: 64 }, (_, t) => 2 ** -(63 - t));
    assert.equal(memoryHorizon(halving), 9);
    assert.equal(memoryHorizon(Array(64).fill(0.5)), 63, 'never vanishing: the whole window');
    assert.equal(memoryHorizon([1, 1, 1e-9, 1, 1]), 1, 'a drop ends it (consecutive)');
    assert.equal(memoryHorizon([3, 0]), 0, 'no gradient at the last step: no horizon');
    assert.equal(memoryHorizon([]), 0);
  });

  it('spectral radius of a scaled rotation (complex eigenvalues 0.9 e^{±iθ}) and of a triangular matrix', () => {
    const theta = 0.7;
    const r = 0.9;
    const rotation = mat([
      [r * Math.cos(theta), -r * Math.sin(theta), 0],
      [r * Math.sin(theta), r * Math.cos(theta), 0],
      [0, 0, 0.5],
    ]);
    assert.ok(Math.abs(spectralRadius(rotation, 3) - 0.9) < 1e-3, `${spectralRadius(rotation, 3)}`);
    // Eigenvalues of a triangular matrix are its diagonal: ρ = 1.3, though its entries are larger.
    const upper = mat([
      [0.2, 5, 3],
      [0, -1.3, 4],
      [0, 0, 1.1],
    ]);
    assert.ok(Math.abs(spectralRadius(upper, 3) - 1.3) < 0.01, `${spectralRadius(upper, 3)}`);
  });

  it('largest singular value: of a diagonal matrix, and at least the spectral radius of a non-normal one', () => {
    assert.ok(
      Math.abs(
        largestSingularValue(
          mat([
            [3, 0],
            [0, -4],
          ]),
          2,
        ) - 4,
      ) < 1e-9,
    );
    // [[1, 2], [0, 1]]: σ_max = 1 + √2, ρ = 1.
    const shear = mat([
      [1, 2],
      [0, 1],
    ]);
    assert.ok(Math.abs(largestSingularValue(shear, 2) - (1 + Math.SQRT2)) < 1e-9);
    assert.ok(spectralRadius(shear, 2) < 1.05, 'a Jordan block grows only polynomially');
  });

  it('squareBlock takes one gate block of a [H, G*H] recurrent kernel', () => {
    // H = 2, G = 2: row-major [2, 4].
    const U = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual([...squareBlock(U, 2, 4, 2)], [3, 4, 7, 8]);
  });

  it('clip rate: the fraction of logged steps that were clipped', () => {
    assert.equal(clipRate([{ clipped: true }, { clipped: false }, { clipped: false }, { clipped: false }]), 0.25);
    assert.equal(clipRate([]), undefined, 'no step yet');
  });
});

/**
 * A perceptual colour map for the gradient heatmap. Viridis (matplotlib's default) has lightness
 * that rises monotonically and stays readable for the common forms of colour blindness, on light
 * and dark backgrounds alike. This is the degree-6 polynomial fit of viridis by Matt Zucker
 * (shadertoy WlfXRN, CC0), within about 1% of the published table. Pure.
 */

const C = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
] as const;

export type Rgb = readonly [number, number, number];

/** Viridis at t in [0, 1] (clamped) as 0..255 integer channels. */
export function viridis(t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const channel = (c: 0 | 1 | 2) => {
    let v = C[6][c];
    for (let k = 5; k >= 0; k--) v = v * x + C[k][c];
    return Math.round(255 * Math.min(1, Math.max(0, v)));
  };
  return [channel(0), channel(1), channel(2)];
}

/** `n` colours sampled evenly from 0 to 1, as RGBA bytes (4n entries), for fast per-cell lookup. */
export function colormapTable(n = 256): Uint8ClampedArray {
  const out = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = viridis(n === 1 ? 0 : i / (n - 1));
    out.set([r, g, b, 255], 4 * i);
  }
  return out;
}

/** Position of `value` in [min, max] as 0..1 (0.5 when the range is empty). */
export function normalize(value: number, min: number, max: number): number {
  if (!(max > min)) return 0.5;
  return Math.min(1, Math.max(0, (value - min) / (max - min)));
}

/** Relative luminance (WCAG) of an sRGB colour, 0..1; used to pick legible text over a cell. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

export function rgbCss([r, g, b]: Rgb): string {
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * Colour strings as VS Code themes write them (#rgb, #rrggbb, #rrggbbaa, rgb(), rgba()), turned into
 * translucent variants for canvas drawing, where CSS color-mix() cannot be relied on. Pure.
 */

export interface Rgba {
  readonly r: number;
  readonly g: number;
  readonly b: number;
  readonly a: number;
}

export function parseColor(text: string): Rgba | undefined {
  const s = text.trim().toLowerCase();
  let m = /^#([0-9a-f]{3,8})$/.exec(s);
  if (m) {
    const hex = m[1];
    if (hex.length === 3 || hex.length === 4) {
      const [r, g, b, a = 'f'] = hex.split('');
      return { r: parseInt(r + r, 16), g: parseInt(g + g, 16), b: parseInt(b + b, 16), a: parseInt(a + a, 16) / 255 };
    }
    if (hex.length === 6 || hex.length === 8) {
      const a = hex.length === 8 ? parseInt(hex.slice(6, 8), 16) / 255 : 1;
      return { r: parseInt(hex.slice(0, 2), 16), g: parseInt(hex.slice(2, 4), 16), b: parseInt(hex.slice(4, 6), 16), a };
    }
    return undefined;
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)$/.exec(s);
  if (m) {
    const alpha = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return { r: Number(m[1]), g: Number(m[2]), b: Number(m[3]), a: alpha };
  }
  return undefined;
}

/** The colour with its alpha multiplied by `alpha`, as rgba(); the input unchanged if unparsable. */
export function withAlpha(color: string, alpha: number): string {
  const c = parseColor(color);
  if (!c) return color;
  return `rgba(${c.r}, ${c.g}, ${c.b}, ${Number((c.a * alpha).toFixed(3))})`;
}

// ---------------------------------------------------------------- contrast (WCAG 2)

/** WCAG relative luminance of an opaque colour, 0 (black) to 1 (white). */
export function relativeLuminance(c: Pick<Rgba, 'r' | 'g' | 'b'>): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** `color` drawn over the opaque `background`: what the eye sees of a translucent colour. */
export function composite(color: Rgba, background: Rgba): Rgba {
  const mix = (f: number, b: number) => f * color.a + b * (1 - color.a);
  return { r: mix(color.r, background.r), g: mix(color.g, background.g), b: mix(color.b, background.b), a: 1 };
}

/**
 * WCAG contrast ratio (1 to 21) of `color` drawn over `background` (a translucent colour is composited
 * first); NaN if either is unparsable. Lines and other graphics need 3:1 (WCAG 1.4.11).
 */
export function contrastRatio(color: string, background: string): number {
  const c = parseColor(color);
  const b = parseColor(background);
  if (!c || !b) return NaN;
  const bg = { ...b, a: 1 };
  const l1 = relativeLuminance(composite(c, bg));
  const l2 = relativeLuminance(bg);
  return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
}

/** Smallest contrast a chart series has against the chart's background. */
export const MIN_SERIES_CONTRAST = 3;

/**
 * `color` as a chart series can use it on `background`: opaque (a theme colour given with alpha, as
 * VS Code's default `charts.orange` is, a translucent highlight, keeps its hue, not its paleness),
 * then, only if it still has less than `minRatio` contrast, mixed toward black on a light background
 * or white on a dark one just far enough to reach it. A colour that already passes comes back as it
 * was (as #rrggbb). Unparsable input comes back unchanged.
 */
export function readableOn(color: string, background: string, minRatio = MIN_SERIES_CONTRAST): string {
  const c = parseColor(color);
  const b = parseColor(background);
  if (!c || !b) return color;
  const bg = toHex(b);
  const opaque = { ...c, a: 1 };
  if (contrastRatio(toHex(opaque), bg) >= minRatio) return toHex(opaque);
  // Toward whichever end of the scale contrasts more with the background (on mid grey, both reach 3:1).
  const target = contrastRatio('#000000', bg) >= contrastRatio('#ffffff', bg) ? 0 : 255;
  const at = (t: number) => toHex({ r: opaque.r + (target - opaque.r) * t, g: opaque.g + (target - opaque.g) * t, b: opaque.b + (target - opaque.b) * t });
  // Bisect for the least mix that passes (after rounding to hex). The end, pure black or white, passes:
  // one of the two has at least sqrt(21) = 4.6:1 against any background.
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 20; i++) {
    const mid = (lo + hi) / 2;
    if (contrastRatio(at(mid), bg) >= minRatio) hi = mid;
    else lo = mid;
  }
  return at(hi);
}

/** #rrggbb of an opaque colour (channels rounded and clamped). */
export function toHex(c: Pick<Rgba, 'r' | 'g' | 'b'>): string {
  const hex = (v: number) =>
    Math.round(Math.min(255, Math.max(0, v)))
      .toString(16)
      .padStart(2, '0');
  return `#${hex(c.r)}${hex(c.g)}${hex(c.b)}`;
}

/**
 * Chart series colours against the editor background: every one at least 3:1 (WCAG 1.4.11, graphics),
 * for VS Code's own theme colours and for the panel's fallbacks. The colours below are what VS Code
 * 1.139 (the one code-server carries) gives `--vscode-charts-*` in its default themes: its colour
 * registry's defaults, or the theme's own values where it sets them (the 2026 themes).
 */
import * as assert from 'assert';
import { contrastRatio, MIN_SERIES_CONTRAST, parseColor, readableOn } from '../../src/webview/lib/color';
import { FALLBACK_CHART_COLORS, SERIES_HUES, seriesColors, type SeriesHue } from '../../src/webview/lib/palette';

type ThemeColors = Partial<Record<SeriesHue, string>>;

/** The "typical" editor backgrounds: Light Modern's and Dark Modern's. */
const LIGHT = '#ffffff';
const DARK = '#1f1f1f';

const THEMES: { name: string; dark: boolean; background: string; colors: ThemeColors }[] = [
  // charts.orange defaults to the find-match highlight, translucent: 1.5:1 on white as VS Code draws it.
  {
    name: 'Light Modern',
    dark: false,
    background: LIGHT,
    colors: { blue: '#0063d3', orange: '#ea5c0055', green: '#388a34', purple: '#652d90', red: '#e51400', yellow: '#bf8803' },
  },
  { name: 'Dark Modern', dark: true, background: DARK, colors: { blue: '#59a4f9', orange: '#ea5c0055', green: '#89d185', purple: '#b180d7', red: '#f14c4c', yellow: '#cca700' } },
  {
    name: 'Dark+ (#1e1e1e)',
    dark: true,
    background: '#1e1e1e',
    colors: { blue: '#59a4f9', orange: '#ea5c0055', green: '#89d185', purple: '#b180d7', red: '#f14c4c', yellow: '#cca700' },
  },
  // High contrast leaves charts.orange undefined: the fallback is used.
  { name: 'Dark High Contrast', dark: true, background: '#000000', colors: { blue: '#59a4f9', green: '#89d185', purple: '#b180d7', red: '#f48771', yellow: '#ffd370' } },
  { name: 'Light High Contrast', dark: false, background: LIGHT, colors: { blue: '#0063d3', green: '#374e06', purple: '#652d90', red: '#b5200d', yellow: '#895503' } },
  { name: '2026 Light', dark: false, background: LIGHT, colors: { blue: '#1A5CFF', orange: '#d18616', green: '#388A34', purple: '#652D90', red: '#ad0707', yellow: '#667309' } },
  { name: '2026 Dark', dark: true, background: '#121314', colors: { blue: '#57A3F8', orange: '#CD861A', green: '#86CF86', purple: '#AD80D7', red: '#EF8773', yellow: '#E0B97F' } },
  // No charts.* variables at all (an old VS Code, or the development harness before it sets them).
  { name: 'fallbacks, light', dark: false, background: LIGHT, colors: {} },
  { name: 'fallbacks, dark', dark: true, background: DARK, colors: {} },
];

const paletteOf = (t: (typeof THEMES)[number]) => seriesColors((hue) => t.colors[hue], t.dark, t.background);

describe('webview chart palette', () => {
  it('measures contrast as WCAG 2 does', () => {
    assert.strictEqual(Number(contrastRatio('#000000', '#ffffff').toFixed(2)), 21);
    assert.strictEqual(contrastRatio('#123456', '#123456'), 1);
    assert.strictEqual(Number(contrastRatio('#767676', '#ffffff').toFixed(2)), 4.54);
    assert.strictEqual(contrastRatio('#ffffff', '#767676'), contrastRatio('#767676', '#ffffff'));
    // A translucent colour counts as it is drawn: over the background.
    assert.strictEqual(contrastRatio('#00000000', '#ffffff'), 1);
    assert.ok(Math.abs(contrastRatio('#ea5c0055', LIGHT) - contrastRatio('#f7c8aa', LIGHT)) < 0.02);
    assert.ok(Number.isNaN(contrastRatio('var(--x)', LIGHT)));
  });

  it("the default themes' colours as VS Code gives them are not all readable (what this fixes)", () => {
    assert.ok(contrastRatio('#ea5c0055', LIGHT) < 1.6, 'Light Modern orange');
    assert.ok(contrastRatio('#ea5c0055', DARK) < 1.6, 'Dark Modern orange');
    assert.ok(contrastRatio(FALLBACK_CHART_COLORS.light.orange, LIGHT) < MIN_SERIES_CONTRAST, 'fallback orange on white');
  });

  for (const theme of THEMES) {
    it(`${theme.name}: every series colour is opaque and at least 3:1 on the editor background`, () => {
      const palette = paletteOf(theme);
      for (const hue of SERIES_HUES) {
        const color = palette[hue];
        assert.strictEqual(parseColor(color)?.a, 1, `${hue} ${color} is opaque`);
        const ratio = contrastRatio(color, theme.background);
        assert.ok(ratio >= 3, `${hue} ${color}: ${ratio.toFixed(2)}:1 on ${theme.background}`);
        // Against the typical background of its kind too (a theme's own background may differ a little).
        const typical = theme.dark ? DARK : LIGHT;
        assert.ok(contrastRatio(color, typical) >= 3, `${hue} ${color}: ${contrastRatio(color, typical).toFixed(2)}:1 on ${typical}`);
      }
      assert.strictEqual(new Set(SERIES_HUES.map((hue) => palette[hue])).size, SERIES_HUES.length, 'six different colours');
    });
  }

  it('leaves a colour that already passes as it is, and moves a failing one only as far as needed', () => {
    assert.strictEqual(readableOn('#388A34', LIGHT), '#388a34');
    assert.strictEqual(readableOn('#89d185', DARK), '#89d185');
    // The translucent orange keeps its hue at full strength: #ea5c00 already passes on both backgrounds.
    assert.strictEqual(readableOn('#ea5c0055', LIGHT), '#ea5c00');
    assert.strictEqual(readableOn('#ea5c0055', DARK), '#ea5c00');
    const fixed = readableOn('#d18616', LIGHT);
    assert.ok(contrastRatio(fixed, LIGHT) >= 3 && contrastRatio(fixed, LIGHT) < 3.1, `${fixed} is just over 3:1`);
    const c = parseColor(fixed)!;
    assert.ok(c.r > c.g && c.g > c.b, `${fixed} is still an orange`);
    // A dark colour on a dark background gets lighter.
    const lifted = readableOn('#3a3a80', DARK);
    assert.ok(contrastRatio(lifted, DARK) >= 3, lifted);
    assert.ok(parseColor(lifted)!.b > 0x80, lifted);
    // Unparsable input is passed through for the browser to deal with.
    assert.strictEqual(readableOn('var(--x)', LIGHT), 'var(--x)');
  });

  it('reaches 3:1 for any colour on any background, mid grey included', () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const hex = () =>
      '#' +
      Array.from({ length: 3 }, () =>
        Math.floor(random() * 256)
          .toString(16)
          .padStart(2, '0'),
      ).join('');
    for (const background of ['#ffffff', '#1f1f1f', '#000000', '#777777', '#808080', '#fdf6e3', '#002b36', ...Array.from({ length: 20 }, hex)]) {
      for (let i = 0; i < 50; i++) {
        const color = hex();
        const out = readableOn(color, background);
        assert.ok(contrastRatio(out, background) >= 3, `${color} -> ${out} on ${background}: ${contrastRatio(out, background).toFixed(2)}`);
      }
    }
  });
});

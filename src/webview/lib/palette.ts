/**
 * The chart series colours: the theme's `charts.*` colours (VS Code defines them for every theme),
 * made readable on the editor background. VS Code's own defaults are not all fit for lines: in 1.139
 * `charts.orange` defaults to a translucent find-match highlight (#EA5C0055, 1.5:1 on white), and
 * high-contrast themes leave it undefined. Pure, so the contrast rule is unit-tested.
 */
import { readableOn } from './color';

export type SeriesHue = 'blue' | 'orange' | 'green' | 'purple' | 'red' | 'yellow';

/** The order of a chart's series colours: the first run of a comparison is blue, the second orange... */
export const SERIES_HUES: readonly SeriesHue[] = ['blue', 'orange', 'green', 'purple', 'red', 'yellow'];

/** Used where the theme defines no colour (before readableOn: light orange is 2.9:1 on white as it is). */
export const FALLBACK_CHART_COLORS: Readonly<Record<'light' | 'dark', Readonly<Record<SeriesHue, string>>>> = {
  light: { blue: '#1a85ff', orange: '#d18616', green: '#388a34', purple: '#652d90', red: '#e51400', yellow: '#bf8803' },
  dark: { blue: '#3794ff', orange: '#d18616', green: '#89d185', purple: '#b180d7', red: '#f14c4c', yellow: '#cca700' },
};

/**
 * Each hue's colour for lines and points on `background`: the theme's (`themeColor(hue)`, undefined or
 * '' when the theme has none) or the fallback, opaque and with at least 3:1 contrast (see readableOn).
 */
export function seriesColors(themeColor: (hue: SeriesHue) => string | undefined, dark: boolean, background: string): Record<SeriesHue, string> {
  const fallback = FALLBACK_CHART_COLORS[dark ? 'dark' : 'light'];
  const colors = {} as Record<SeriesHue, string>;
  for (const hue of SERIES_HUES) colors[hue] = readableOn(themeColor(hue) || fallback[hue], background);
  return colors;
}

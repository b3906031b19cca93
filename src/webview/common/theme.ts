/**
 * Colours for canvas and uPlot drawing, read from the CSS variables VS Code defines in every webview
 * (they follow the user's theme), and a watch for theme changes: VS Code swaps the body class
 * (vscode-light / vscode-dark / vscode-high-contrast) and rewrites the variables on <html>'s style.
 */
import { withAlpha } from '../lib/color';
import { SERIES_HUES, seriesColors } from '../lib/palette';

export interface ChartTheme {
  readonly kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  readonly foreground: string;
  readonly muted: string;
  readonly grid: string;
  readonly axis: string;
  readonly background: string;
  readonly border: string;
  readonly focus: string;
  readonly font: string;
  readonly fontFamily: string;
  /** Series colours, in order: blue, orange, green, purple, red, yellow; each at least 3:1 on `background`. */
  readonly palette: readonly string[];
  readonly red: string;
  readonly blue: string;
  readonly orange: string;
  readonly green: string;
  readonly purple: string;
  readonly yellow: string;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  return style.getPropertyValue(name).trim() || fallback;
}

export function themeKind(): ChartTheme['kind'] {
  const c = document.body.classList;
  if (c.contains('vscode-high-contrast-light')) return 'high-contrast-light';
  if (c.contains('vscode-high-contrast')) return 'high-contrast';
  return c.contains('vscode-light') ? 'light' : 'dark';
}

export function readTheme(): ChartTheme {
  const style = getComputedStyle(document.documentElement);
  const kind = themeKind();
  const hc = kind === 'high-contrast' || kind === 'high-contrast-light';
  const dark = kind === 'dark' || kind === 'high-contrast';
  const foreground = cssVar(style, '--vscode-charts-foreground', cssVar(style, '--vscode-foreground', dark ? '#cccccc' : '#3b3b3b'));
  const background = cssVar(style, '--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff');
  // Series colours: the theme's, made opaque and readable (3:1) on the background the charts sit on.
  const series = seriesColors((hue) => cssVar(style, `--vscode-charts-${hue}`, ''), dark, background);
  const fontFamily = cssVar(style, '--vscode-font-family', 'sans-serif');
  return {
    kind,
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', withAlpha(foreground, 0.7)),
    grid: hc ? withAlpha(foreground, 0.35) : withAlpha(foreground, dark ? 0.1 : 0.12),
    axis: hc ? foreground : withAlpha(foreground, 0.4),
    background,
    border: cssVar(style, '--vscode-panel-border', withAlpha(foreground, 0.2)),
    focus: cssVar(style, '--vscode-focusBorder', series.blue),
    font: `11px ${fontFamily}`,
    fontFamily,
    palette: SERIES_HUES.map((hue) => series[hue]),
    ...series,
  };
}

/** Calls `listener` (at most once a frame) whenever the theme may have changed. Returns an unsubscribe. */
export function onThemeChange(listener: () => void): () => void {
  let pending = false;
  const fire = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      listener();
    });
  };
  const observer = new MutationObserver(fire);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  return () => observer.disconnect();
}

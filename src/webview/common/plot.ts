/**
 * A uPlot chart that fills its container's width: recreated when its options change (theme, axis
 * mode), resized with the container, fed with `setData`. uPlot draws on canvas and sets its few
 * inline styles through the CSSOM, which the nonce-only CSP allows.
 */
import uPlot from 'uplot';

export type PlotOptionsFactory = (size: { width: number; height: number }) => uPlot.Options;

export class Plot {
  private chart: uPlot | undefined;
  private data: uPlot.AlignedData | undefined;
  private readonly resizeObserver: ResizeObserver;
  private lastWidth = 0;

  constructor(
    readonly container: HTMLElement,
    private readonly height: number,
    private makeOptions: PlotOptionsFactory,
  ) {
    // Resizing inside the observer callback can resize again (a scrollbar appears) and trip the
    // browser's "ResizeObserver loop" error: do it in the next frame instead.
    let pending = 0;
    this.resizeObserver = new ResizeObserver(() => {
      if (!pending)
        pending = requestAnimationFrame(() => {
          pending = 0;
          this.resize();
        });
    });
    this.resizeObserver.observe(container);
  }

  /** Width of the plotting area in CSS pixels (for downsampling), or a guess before the first draw. */
  get plotWidth(): number {
    if (this.chart) return Math.max(1, this.chart.bbox.width / devicePixelRatio);
    return Math.max(100, this.container.clientWidth - 80);
  }

  get instance(): uPlot | undefined {
    return this.chart;
  }

  /** @param resetScales false keeps the current zoom (uPlot otherwise re-fits the axes to the data). */
  setData(data: uPlot.AlignedData, resetScales = true): void {
    this.data = data;
    if (!this.chart) this.create();
    else this.chart.setData(data, resetScales);
  }

  /** Re-reads the options (after a theme or mode change) and redraws with the same data. */
  rebuild(makeOptions?: PlotOptionsFactory): void {
    if (makeOptions) this.makeOptions = makeOptions;
    if (!this.data) return;
    this.chart?.destroy();
    this.chart = undefined;
    this.create();
  }

  clear(): void {
    this.chart?.destroy();
    this.chart = undefined;
    this.data = undefined;
  }

  dispose(): void {
    this.resizeObserver.disconnect();
    this.clear();
  }

  private create(): void {
    const width = Math.max(200, this.container.clientWidth);
    this.lastWidth = width;
    this.chart = new uPlot(this.makeOptions({ width, height: this.height }), this.data, this.container);
  }

  private resize(): void {
    const width = Math.max(200, this.container.clientWidth);
    if (!this.chart || Math.abs(width - this.lastWidth) < 1) return;
    this.lastWidth = width;
    this.chart.setSize({ width, height: this.height });
  }
}

/** Axis styling shared by every chart, from the theme. */
export function axisStyle(theme: { foreground: string; grid: string; axis: string; font: string }): Partial<uPlot.Axis> {
  return {
    stroke: theme.foreground,
    font: theme.font,
    labelFont: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.axis, width: 1, size: 4 },
    border: { show: true, stroke: theme.axis, width: 1 },
  };
}
